// The manifest audit of issue 16: every pod template the library renders (the examples, plus a chart with
// the job-running constructs the examples do not use) is selected by a NetworkPolicy with policyTypes
// Ingress and Egress, has a PodDisruptionBudget wherever more than one replica can run, and meets Pod
// Security "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App, Chart, Duration } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { buildExamples } from '../../examples/apps';
import { CostPreset, DriftCronJob, ModelService } from '../../src';
import { PlatformBackups } from '../../src/dr/backups';
import { SpotTrainingPool } from '../../src/training/spot-training-pool';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { ManifestObject } from '../support/schema';
import { synthValid } from '../support/synth';
import { CPU_LIMITS, JOB } from '../training/fixtures';

type Obj = Record<string, any>;

interface PodTemplate {
  readonly id: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: Obj;
  /** The most replicas that can run: undefined for Jobs (no PDB applies). */
  readonly maxReplicas?: number;
}

const TEMPLATE_PATHS: Record<string, (o: Obj) => Obj | undefined> = {
  Deployment: (o) => o.spec?.template,
  StatefulSet: (o) => o.spec?.template,
  DaemonSet: (o) => o.spec?.template,
  ReplicaSet: (o) => o.spec?.template,
  Rollout: (o) => o.spec?.template,
  Job: (o) => o.spec?.template,
  CronJob: (o) => o.spec?.jobTemplate?.spec?.template,
};

/** The most replicas of a workload: its own, or the max of an autoscaler (HPA, KEDA ScaledObject) targeting it. */
function maxReplicas(o: Obj, objects: readonly Obj[]): number | undefined {
  if (o.kind === 'Job' || o.kind === 'CronJob') return undefined;
  const ns = o.metadata?.namespace;
  const scalers = objects.filter((s) => s.metadata?.namespace === ns && ((s.kind === 'HorizontalPodAutoscaler' && s.spec?.scaleTargetRef?.name === o.metadata.name)
    || (s.kind === 'ScaledObject' && s.spec?.scaleTargetRef?.name === o.metadata.name)));
  return Math.max(o.spec?.replicas ?? 1, ...scalers.map((s) => s.spec?.maxReplicas ?? s.spec?.maxReplicaCount ?? 100));
}

function podTemplates(objects: readonly Obj[]): PodTemplate[] {
  return objects.flatMap((o) => {
    const template = TEMPLATE_PATHS[o.kind]?.(o);
    if (!template) return [];
    return [{ id: `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`, namespace: o.metadata?.namespace, labels: template.metadata?.labels ?? {}, spec: template.spec, maxReplicas: maxReplicas(o, objects) }];
  });
}

/** Whether a label selector (matchLabels and In/NotIn/Exists/DoesNotExist expressions) selects `labels`. */
function selects(selector: Obj | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e: Obj) => {
    switch (e.operator) {
      case 'In': return e.values.includes(labels[e.key]);
      case 'NotIn': return !e.values.includes(labels[e.key]);
      case 'Exists': return e.key in labels;
      case 'DoesNotExist': return !(e.key in labels);
      default: return false;
    }
  });
  return byLabels && byExpressions;
}

/** The Pod Security "restricted" violations of a pod spec (v1.28 level). */
function restrictedViolations(spec: Obj): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !allowedVolumes.includes(type)) out.push(`volume ${v.name} of type ${type}`);
  }
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const name = `container ${c.name}`;
    if (sc.privileged) out.push(`${name} privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${name} allowPrivilegeEscalation not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${name} does not drop ALL capabilities`);
    if ((sc.capabilities?.add ?? []).some((x: string) => x !== 'NET_BIND_SERVICE')) out.push(`${name} adds capabilities`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) out.push(`${name} may run as root`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${name} runs as UID 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${name} without seccomp RuntimeDefault`);
    if ((c.ports ?? []).some((p: Obj) => p.hostPort)) out.push(`${name} uses a hostPort`);
  }
  return out;
}

/** The findings of the audit: one line per problem. */
function audit(objects: readonly Obj[]): string[] {
  const findings: string[] = [];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  for (const t of podTemplates(objects)) {
    const selecting = policies.filter((p) => p.metadata?.namespace === t.namespace && selects(p.spec?.podSelector, t.labels));
    if (!selecting.some((p) => ['Ingress', 'Egress'].every((x) => (p.spec?.policyTypes ?? []).includes(x)))) {
      findings.push(`${t.id}: no NetworkPolicy with policyTypes Ingress and Egress selects its pods`);
    }
    if ((t.maxReplicas ?? 1) > 1 && !budgets.some((b) => b.metadata?.namespace === t.namespace && selects(b.spec?.selector, t.labels))) {
      findings.push(`${t.id}: up to ${t.maxReplicas} replicas but no PodDisruptionBudget`);
    }
    findings.push(...restrictedViolations(t.spec).map((v) => `${t.id}: Pod Security restricted: ${v}`));
  }
  return findings;
}

/** A chart with the job-running constructs the examples do not use: drift check, restore drill, spot pool with fallback and a training job. */
function jobsApp(): App {
  const app = new App();
  const chart = new Chart(app, 'jobs', { namespace: 'ml-churn' });
  const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
  new DriftCronJob(chart, 'drift', {
    model,
    reference: { uri: 'https://data.example.com/churn/reference.csv' },
    current: { uri: 'https://data.example.com/churn/current.csv' },
    features: [{ name: 'tenure', type: 'numeric' }],
  });
  new PlatformBackups(new Chart(app, 'backups'), 'platform', {
    disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30) },
    namespaces: ['ml-churn'], services: [model], drill: {},
  });
  const training = new Chart(app, 'training', { namespace: 'ml-train' });
  const pool = new SpotTrainingPool(training, 'cpu-train', {
    clusterName: 'ml-prod', nodeRole: 'KarpenterNodeRole-ml-prod', limits: CPU_LIMITS, onDemandFallback: { after: Duration.minutes(30) },
  });
  pool.addTrainingJob('resnet', JOB);
  return app;
}

describe('manifest audit: NetworkPolicy, PodDisruptionBudget and Pod Security restricted for every pod template', () => {
  /** Every example chart's objects, by file, as `cdk8s synth` writes them. */
  function synthExamples(): Map<string, Obj[]> {
    const outdir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      buildExamples(outdir).synth();
      return new Map(readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml')).sort()
        .map((f) => [f, parseAllDocuments(readFileSync(join(outdir, f), 'utf8')).map((d) => d.toJS() as Obj)]));
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('finds the problems it looks for (a bare Deployment with 3 replicas, root, no policy)', () => {
    const bare = { kind: 'Deployment', metadata: { name: 'x', namespace: 'n' }, spec: { replicas: 3, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c' }] } } } };
    const findings = audit([bare]);
    assert.ok(findings.some((f) => /no NetworkPolicy/.test(f)));
    assert.ok(findings.some((f) => /no PodDisruptionBudget/.test(f)));
    assert.ok(findings.some((f) => /may run as root/.test(f)));
    const ingressOnly = { kind: 'NetworkPolicy', metadata: { name: 'x', namespace: 'n' }, spec: { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Ingress'] } };
    assert.ok(audit([bare, ingressOnly]).some((f) => /no NetworkPolicy/.test(f)), 'an Ingress-only policy leaves egress open');
  });

  it('reports zero findings for every example', () => {
    const examples = synthExamples();
    assert.ok(examples.size >= 4, 'the examples synthesized');
    let templates = 0;
    const findings: string[] = [];
    for (const objects of examples.values()) {
      templates += podTemplates(objects).length;
      findings.push(...audit(objects));
    }
    assert.deepEqual(findings.sort(), []);
    assert.ok(templates >= 8, `audited ${templates} pod templates`);
  });

  it('reports zero findings for the drift check, restore drill, fallback controller and training job', async () => {
    // synthValid synthesizes (and validates) the whole app of the chart.
    const objects: ManifestObject[] = await synthValid(jobsApp().charts[0]);
    const ids = podTemplates(objects).map((t) => t.id).sort();
    for (const expected of ['CronJob ml-churn/churn-model-drift', 'CronJob velero/platform-restore-drill', 'CronJob ml-train/cpu-train-fallback', 'Job ml-train/resnet']) {
      assert.ok(ids.includes(expected), `${expected} in ${ids.join(', ')}`);
    }
    assert.deepEqual(audit(objects), []);
    const drift = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === 'churn-model-drift') as Obj;
    assert.deepEqual(drift.spec.egress.slice(1), [
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }], ports: [{ protocol: 'TCP', port: 9091 }] },
    ], 'drift: AWS and the https sources on 443 (deduplicated), the Pushgateway');
  });
});
