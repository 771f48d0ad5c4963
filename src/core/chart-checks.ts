import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { cronProblem } from './cron';
import { addSynthCheck, isDns1035Label, isDns1123Label, isDns1123Subdomain, ValidationError } from './errors';
import { valueAt } from './json';
import { isTimeZone } from './time';

/**
 * Kinds without a namespace: two of them collide by name alone. The
 * library's cluster-scoped kinds plus the common built-in ones.
 */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'PriorityClass',
  'StorageClass', 'PersistentVolume', 'IngressClass', 'RuntimeClass', 'NodePool', 'EC2NodeClass', 'ClusterSecretStore',
  'APIService', 'GatewayClass',
]);

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * What Kubernetes requires of the name of an object of `kind`
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/,
 * k8s.io/apimachinery/pkg/api/validation): a DNS-1123 label for namespaces,
 * a DNS-1035 label for Services, a path segment for RBAC objects, at most 52
 * characters for CronJobs (the controller appends 11 to name its Jobs), a
 * DNS-1123 subdomain for every other kind (custom resources included). The
 * rule in words when `name` breaks it, else undefined.
 */
export function objectNameProblem(kind: string, name: string): string | undefined {
  if (kind === 'Namespace') {
    return isDns1123Label(name) ? undefined
      : "a Namespace name must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
  }
  if (kind === 'Service') {
    return isDns1035Label(name) ? undefined
      : "a Service name must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter, ending with a letter or digit, at most 63 characters";
  }
  if (RBAC_KINDS.has(kind)) {
    return name !== '' && name !== '.' && name !== '..' && !/[/%]/.test(name) ? undefined
      : `a ${kind} name must be a path segment: not empty, '.' or '..', without '/' or '%'`;
  }
  if (!isDns1123Subdomain(name)) {
    return `a ${kind} name must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters`;
  }
  return kind === 'CronJob' && name.length > 52 ? 'a CronJob name must be at most 52 characters (its Jobs are named <name>-<11 characters>)' : undefined;
}

const CHECKED = new WeakSet<Chart>();

/**
 * Makes the chart of `scope` check, at synth, every object it renders (so
 * the rule holds for every object, whichever construct wrote it):
 *
 * - names and namespaces are what Kubernetes accepts for the kind
 *   ({@link objectNameProblem}; a namespace is a DNS-1123 label);
 * - no two objects are the same object (API group, kind, namespace, name),
 *   naming both construct paths;
 * - every CronJob's `spec.schedule` passes the library's one cron parser and
 *   its `spec.timeZone` is an IANA name.
 *
 * Idempotent per chart; a scope outside any chart is ignored.
 */
export function checkChartAtSynth(scope: IConstruct): void {
  const chart = chartOf(scope);
  if (chart === undefined || CHECKED.has(chart)) {
    return;
  }
  CHECKED.add(chart);
  addSynthCheck(chart, () => chartProblems(chart));
}

function chartOf(scope: IConstruct): Chart | undefined {
  const found = scope.node.scopes.slice().reverse().find((s) => Chart.isChart(s));
  return Chart.isChart(found) ? found : undefined;
}

/** Every problem of the objects `chart` renders (see {@link checkChartAtSynth}). */
export function chartProblems(chart: Chart): ValidationError[] {
  const errors: ValidationError[] = [];
  if (chart.namespace !== undefined && !isDns1123Label(chart.namespace)) {
    errors.push(new ValidationError(chart.node.path, 'namespace', chart.namespace,
      "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"));
  }
  const seen = new Map<string, string>();
  const objects = chart.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c) && chartOf(c) === chart);
  for (const o of objects) {
    const path = o.node.path;
    const nameProblem = objectNameProblem(o.kind, o.name);
    if (nameProblem) {
      errors.push(new ValidationError(path, 'metadata.name', o.name, nameProblem));
    }
    const namespace = CLUSTER_SCOPED.has(o.kind) ? undefined : o.metadata.namespace;
    if (namespace !== undefined && namespace !== chart.namespace && !isDns1123Label(namespace)) {
      errors.push(new ValidationError(path, 'metadata.namespace', namespace,
        "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"));
    }
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : 'core';
    const key = `${group}/${o.kind} ${namespace ?? ''}/${o.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push(new ValidationError(path, 'metadata.name', o.name,
        `collides with ${first}: both render ${o.kind} ${namespace ? `${namespace}/` : ''}${o.name} (${group}); give the constructs distinct names`));
    } else {
      seen.set(key, path);
    }
    if (o.kind === 'CronJob') {
      errors.push(...cronJobProblems(o));
    }
  }
  return errors;
}

/** The schedule and time zone of a rendered CronJob, by the library's one parser. */
function cronJobProblems(o: ApiObject): ValidationError[] {
  const spec = valueAt(o.toJson(), 'spec');
  const schedule = valueAt(spec, 'schedule');
  const timeZone = valueAt(spec, 'timeZone');
  const errors: ValidationError[] = [];
  const problem = typeof schedule === 'string' ? cronProblem(schedule) : 'is required';
  if (problem) {
    errors.push(new ValidationError(o.node.path, 'spec.schedule', schedule, problem));
  }
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !isTimeZone(timeZone))) {
    errors.push(new ValidationError(o.node.path, 'spec.timeZone', timeZone, 'must be an IANA time zone such as UTC or Europe/Berlin'));
  }
  return errors;
}
