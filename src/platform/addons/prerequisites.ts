import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PropsValidator } from '../../core/errors';
import { isRecord, stableJson, valueAt } from '../../core/json';
import { KubernetesObject } from '../../core/synth';

/** What kind of thing a cluster must provide. */
export enum PrerequisiteKind {
  /** A CustomResourceDefinition (and the controller acting on it), named `<Kind>.<group>`. */
  CRD = 'crd',
  /** A controller acting on built-in objects (for example the AWS Load Balancer Controller on `Ingress` class `alb`). */
  CONTROLLER = 'controller',
  /** A custom metric (`custom.metrics.k8s.io`), named `<resource>/<metric>`, for example `pods/http_requests_per_second`. */
  CUSTOM_METRIC = 'custom-metric',
  /** An external metric (`external.metrics.k8s.io`); an add-on providing `*` serves them all (KEDA). */
  EXTERNAL_METRIC = 'external-metric',
  /** A PriorityClass the pods name. */
  PRIORITY_CLASS = 'priority-class',
  /** A StorageClass the volume claims name. */
  STORAGE_CLASS = 'storage-class',
  /** A namespace the objects live in or select, with the labels they select it by. */
  NAMESPACE = 'namespace',
  /** An Istio Gateway (`<namespace>/<name>`) the VirtualServices bind to. */
  GATEWAY = 'gateway',
}

/** One thing an add-on provides (`name` `*`: every thing of its kind). */
export interface Provision {
  /** Kind. */
  readonly kind: PrerequisiteKind;
  /** Name, in the form of {@link Prerequisite.name}. */
  readonly name: string;
}

/** Something the cluster already has (installed by other means), with why. */
export interface ExternalPrerequisite extends Provision {
  /** Who provides it, for the reader (for example `EKS: gp2 is the default StorageClass`). */
  readonly providedBy: string;
}

/** One thing the rendered objects need from the cluster. */
export interface Prerequisite {
  /** Kind. */
  readonly kind: PrerequisiteKind;
  /** Name (`Rollout.argoproj.io`, `pods/http_requests_per_second`, `istio-ingress/ingress`, ...). */
  readonly name: string;
  /** Labels a namespace must carry (NetworkPolicy namespace selectors). @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The objects that need it, as `Kind namespace/name`. */
  readonly requiredBy: readonly string[];
}

/** A prerequisite and what satisfies it. */
export interface PrerequisiteStatus extends Prerequisite {
  /** `addon:<release>` or `external: <providedBy>`. */
  readonly providedBy: string;
}

/** An add-on, as the check sees it. */
export interface ProvidingAddon {
  /** Release name. */
  readonly name: string;
  /** What it provides. */
  readonly provides: readonly Provision[];
}

/** The rendered objects' prerequisites, each satisfied. */
export interface PrerequisitesReport {
  /** Every prerequisite, sorted by kind and name. */
  readonly prerequisites: readonly PrerequisiteStatus[];
}

/** API groups served by Kubernetes itself: no CRD needed. */
const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '', 'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io', 'scheduling.k8s.io',
  'admissionregistration.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'node.k8s.io', 'apiextensions.k8s.io', 'certificates.k8s.io',
  'events.k8s.io', 'flowcontrol.apiserver.k8s.io', 'apiregistration.k8s.io',
]);

/** PriorityClasses every cluster has. */
const BUILT_IN_PRIORITY_CLASSES: ReadonlySet<string> = new Set(['system-cluster-critical', 'system-node-critical']);

/** The label the API server sets on every namespace (Kubernetes 1.22+): a selector on it only needs the namespace to exist. */
const NAME_LABEL = 'kubernetes.io/metadata.name';

/** A prerequisite before it is tied to the objects that need it. */
type Need = Omit<Prerequisite, 'requiredBy'>;

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

function refOf(o: KubernetesObject): string {
  const ns = o.metadata?.namespace;
  return `${o.kind} ${ns ? `${ns}/` : ''}${o.metadata?.name ?? '?'}`;
}

/** Every value under `key` anywhere in `value`. */
function collect(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) {
    value.forEach((x) => collect(x, key, out));
  } else if (isRecord(value)) {
    for (const [k, x] of Object.entries(value)) {
      if (k === key) {
        out.push(x);
      }
      collect(x, key, out);
    }
  }
  return out;
}

/** What one object needs, before removing what the objects provide themselves. */
function needsOf(o: KubernetesObject): Need[] {
  const needs: Need[] = [];
  const group = groupOf(o.apiVersion);
  if (!BUILT_IN_GROUPS.has(group)) {
    needs.push({ kind: PrerequisiteKind.CRD, name: `${o.kind}.${group}` });
  }
  const ns = o.metadata?.namespace;
  if (ns && o.kind !== 'Namespace') {
    needs.push({ kind: PrerequisiteKind.NAMESPACE, name: ns });
  }
  for (const name of collect(o, 'priorityClassName')) {
    if (typeof name === 'string' && !BUILT_IN_PRIORITY_CLASSES.has(name)) {
      needs.push({ kind: PrerequisiteKind.PRIORITY_CLASS, name });
    }
  }
  for (const name of collect(o, 'storageClassName')) {
    if (typeof name === 'string' && name !== '') {
      needs.push({ kind: PrerequisiteKind.STORAGE_CLASS, name });
    }
  }
  if (o.kind === 'HorizontalPodAutoscaler') {
    needs.push(...hpaMetricNeeds(o));
  }
  if (o.kind === 'NetworkPolicy') {
    needs.push(...namespaceSelectorNeeds(o));
  }
  if (o.kind === 'VirtualService' && group === 'networking.istio.io') {
    needs.push(...gatewayNeeds(o));
  }
  if (o.kind === 'Ingress' && valueAt(o, 'spec', 'ingressClassName') === 'alb') {
    needs.push({ kind: PrerequisiteKind.CONTROLLER, name: 'aws-load-balancer-controller' });
  }
  return needs;
}

/** Pods and Object metrics come from a custom-metrics adapter, External ones from an external-metrics server (kubernetes/kubernetes#99514: one unavailable metric blocks scale-down). */
function hpaMetricNeeds(o: KubernetesObject): Need[] {
  const metrics = valueAt(o, 'spec', 'metrics');
  return (Array.isArray(metrics) ? metrics : []).flatMap((m: unknown): Need[] => {
    const type = valueAt(m, 'type');
    if (type === 'Pods') {
      return [{ kind: PrerequisiteKind.CUSTOM_METRIC, name: `pods/${String(valueAt(m, 'pods', 'metric', 'name'))}` }];
    }
    if (type === 'Object') {
      const kind = String(valueAt(m, 'object', 'describedObject', 'kind')).toLowerCase();
      return [{ kind: PrerequisiteKind.CUSTOM_METRIC, name: `${kind}s/${String(valueAt(m, 'object', 'metric', 'name'))}` }];
    }
    if (type === 'External') {
      return [{ kind: PrerequisiteKind.EXTERNAL_METRIC, name: String(valueAt(m, 'external', 'metric', 'name')) }];
    }
    return [];
  });
}

function namespaceSelectorNeeds(o: KubernetesObject): Need[] {
  return collect(valueAt(o, 'spec'), 'namespaceSelector').flatMap((sel) => {
    const labels = valueAt(sel, 'matchLabels');
    if (!isRecord(labels) || valueAt(sel, 'matchExpressions') !== undefined) {
      return [];
    }
    const name = labels[NAME_LABEL];
    const rest: Record<string, string> = {};
    for (const [k, x] of Object.entries(labels)) {
      if (k !== NAME_LABEL && typeof x === 'string') {
        rest[k] = x;
      }
    }
    // A selector by other labels only names no namespace: it cannot be checked by name.
    return typeof name === 'string' ? [{ kind: PrerequisiteKind.NAMESPACE, name, ...(Object.keys(rest).length > 0 ? { labels: rest } : {}) }] : [];
  });
}

/** `spec.gateways` entries other than `mesh`, as `<namespace>/<name>` (a bare name is in the VirtualService's namespace). */
function gatewayNeeds(o: KubernetesObject): Need[] {
  const gateways = valueAt(o, 'spec', 'gateways');
  return (Array.isArray(gateways) ? gateways : []).filter((g): g is string => typeof g === 'string' && g !== 'mesh')
    .map((g) => ({ kind: PrerequisiteKind.GATEWAY, name: g.includes('/') ? g : `${o.metadata?.namespace ?? 'default'}/${g}` }));
}

/** What the objects provide themselves (Namespaces with their labels, PriorityClasses, StorageClasses, Gateways). */
function selfProvided(objects: readonly KubernetesObject[]): { names: Set<string>; namespaceLabels: Map<string, Readonly<Record<string, unknown>>> } {
  const names = new Set<string>();
  const namespaceLabels = new Map<string, Readonly<Record<string, unknown>>>();
  for (const o of objects) {
    const name = o.metadata?.name ?? '';
    if (o.kind === 'Namespace' && o.apiVersion === 'v1') {
      const labels = valueAt(o, 'metadata', 'labels');
      namespaceLabels.set(name, isRecord(labels) ? labels : {});
    } else if (o.kind === 'PriorityClass') {
      names.add(`${PrerequisiteKind.PRIORITY_CLASS}:${name}`);
    } else if (o.kind === 'StorageClass') {
      names.add(`${PrerequisiteKind.STORAGE_CLASS}:${name}`);
    } else if (o.kind === 'Gateway' && groupOf(o.apiVersion) === 'networking.istio.io') {
      names.add(`${PrerequisiteKind.GATEWAY}:${o.metadata?.namespace ?? 'default'}/${name}`);
    }
  }
  return { names, namespaceLabels };
}

/**
 * What the cluster must provide for `objects` (every object of every chart
 * applied to it): CRDs by kind and group, controllers, custom and external
 * metrics, PriorityClasses, StorageClasses, namespaces (with the labels
 * NetworkPolicies select them by) and Istio Gateways, minus what the
 * objects provide themselves. Sorted by kind and name, deterministic.
 */
export function requiredPrerequisites(objects: readonly KubernetesObject[]): Prerequisite[] {
  const self = selfProvided(objects);
  const byKey = new Map<string, { need: Need; by: Set<string> }>();
  for (const o of objects) {
    for (const need of needsOf(o)) {
      if (self.names.has(`${need.kind}:${need.name}`)) {
        continue;
      }
      if (need.kind === PrerequisiteKind.NAMESPACE) {
        const has = self.namespaceLabels.get(need.name);
        if (has && Object.entries(need.labels ?? {}).every(([k, x]) => has[k] === x)) {
          continue;
        }
      }
      const key = `${need.kind}:${need.name}:${stableJson(need.labels ?? {})}`;
      const entry = byKey.get(key) ?? { need, by: new Set<string>() };
      entry.by.add(refOf(o));
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()]
    .map(({ need, by }) => ({ ...need, requiredBy: [...by].sort() }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

function satisfies(p: Provision, need: Prerequisite): boolean {
  return p.kind === need.kind && (p.name === need.name || p.name === '*');
}

/**
 * Checks that every prerequisite of `objects` is provided by one of the
 * `addons` or declared `external`, and returns the report. A prerequisite
 * neither provided nor declared fails with a {@link ValidationError} on
 * `addons` naming it, the objects that need it and the add-on that would
 * provide it: for example an HPA's Pods metric without a prometheus-adapter
 * rule (the HPA would never scale down, kubernetes/kubernetes#99514), or a
 * Rollout without Argo Rollouts (nothing would create its pods).
 *
 * @param path what is checked, for the error (the chart or program)
 */
export function checkPrerequisites(
  path: string, objects: readonly KubernetesObject[], addons: readonly ProvidingAddon[], external: readonly ExternalPrerequisite[] = [],
): PrerequisitesReport {
  const v: PropsValidator = new PropsValidator(path);
  const missing: Prerequisite[] = [];
  const prerequisites = requiredPrerequisites(objects).map((need): PrerequisiteStatus => {
    const addon = addons.find((a) => a.provides.some((p) => satisfies(p, need)));
    const ext = external.find((e) => satisfies(e, need));
    if (!addon && !ext) {
      missing.push(need);
    }
    return { ...need, providedBy: addon ? `addon:${addon.name}` : `external: ${ext?.providedBy ?? 'missing'}` };
  });
  const describe = (need: Prerequisite) => `the ${need.kind} '${need.name}'${need.labels ? ` (labels ${stableJson(need.labels)})` : ''} needed by `
    + `${need.requiredBy.slice(0, 3).join(', ')}${need.requiredBy.length > 3 ? ` and ${need.requiredBy.length - 3} more` : ''}`;
  v.check(missing.length === 0, 'addons', missing.map((m) => m.name),
    `${missing.map(describe).join('; ')}: provided by no add-on; turn on the add-on that provides it, or declare it in 'external' if the cluster has it`);
  return { prerequisites };
}

/** The report as Markdown: one table per kind. */
export function prerequisitesMarkdown(report: PrerequisitesReport): string {
  const lines = [
    '# Cluster prerequisites',
    '',
    'What the manifests next to this file need from the cluster, and what provides each: an add-on',
    'the platform installs (`addon:` and the release name) or the cluster itself (`external:`, declared by the platform team).',
    'Generated by `checkPrerequisites`; synthesis fails when something is neither.',
  ];
  for (const kind of Object.values(PrerequisiteKind)) {
    const rows = report.prerequisites.filter((p) => p.kind === kind);
    if (rows.length === 0) {
      continue;
    }
    lines.push('', `## ${kind}`, '', '| name | provided by | required by |', '|---|---|---|');
    for (const p of rows) {
      const name = p.labels ? `${p.name} (labels: ${Object.entries(p.labels).map(([k, x]) => `${k}=${x}`).join(', ')})` : p.name;
      lines.push(`| \`${name}\` | ${p.providedBy} | ${p.requiredBy.join(', ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `prerequisites.md` and `prerequisites.json` into `outdir`; returns the file names. */
export function writePrerequisites(outdir: string, report: PrerequisitesReport): string[] {
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'prerequisites.md'), prerequisitesMarkdown(report));
  writeFileSync(join(outdir, 'prerequisites.json'), `${stableJson(report, 2)}\n`);
  return ['prerequisites.json', 'prerequisites.md'];
}
