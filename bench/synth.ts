/**
 * Synthesis benchmark: N `AutoscaledModel`s (CostPreset.PRODUCTION) versus the
 * same Kubernetes objects written directly with cdk8s-plus-28.
 *
 * What is measured, for N = 1, 10, 100, 1000 and each variant:
 *  - wall time of constructing N models in one chart (namespace `bench`) plus
 *    `app.synthYaml()` (full synthesis to one YAML string, nothing written to
 *    disk). Module loading is excluded: imports happen before the clock starts.
 *  - peak resident memory (`process.resourceUsage().maxRSS`) and V8 heap in use
 *    after synthesis (after a forced GC, with the app and YAML still alive).
 *
 * Every (variant, N) measurement runs in a fresh child process (so peak RSS is
 * per measurement and every run is a cold, `cdk8s synth`-like process);
 * each is repeated BENCH_REPEATS times (default 3) and the median is reported.
 *
 * Variants:
 *  - `library`: `new AutoscaledModel(chart, 'model-0001', {...})` from ../src.
 *  - `plain`:   the 9 objects AutoscaledModel renders for PRODUCTION (ServiceAccount,
 *               Deployment, Service, NetworkPolicy, PodDisruptionBudget, model-card
 *               ConfigMap, ServiceMonitor, PrometheusRule, HorizontalPodAutoscaler)
 *               written by hand with cdk8s-plus-28, `kplus.k8s.*` and the generated
 *               CRD classes in ../imports, without the library's validation.
 *               Before timing, the script checks that both variants render the
 *               same objects (and reports how many YAML lines differ at N=1).
 *
 * Run:   npx tsx bench/synth.ts          (or `npm run bench`)
 * Env:   BENCH_REPEATS=5                 repetitions per (variant, N), default 3
 *        BENCH_SIZES=1,10,100            model counts, default 1,10,100,1000
 * Child: npx tsx bench/synth.ts --child <library|plain> <N>   prints one JSON line
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/prometheusrule-monitoring.coreos.com';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { AutoscaledModel, CostPreset, ModelCard, ModelVersion } from '../src';

const VARIANTS = ['library', 'plain'] as const;
type Variant = (typeof VARIANTS)[number];

const NAMESPACE = 'bench';
const IMAGE = 'registry.example/model:1.2.0';
const VERSION: ModelVersion = { model: '1.2.0', trainingCommit: '9f1c2ab', dataVersion: 'd-2026-11-01' };
const CARD: ModelCard = {
  purpose: 'Predict which customers will cancel within 30 days.',
  trainingData: 'Customer activity 2024-01..2026-10, 1.2M rows.',
  metrics: { auc: 0.91, recall_at_10pct: 0.62 },
  limitations: 'Not calibrated for accounts younger than 30 days.',
  intendedUse: 'Ranking customers for retention offers.',
  notIntendedFor: 'Credit, pricing or employment decisions.',
};

function modelName(i: number): string {
  return `model-${String(i + 1).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------
// Variant "library"
// ---------------------------------------------------------------------------

function addLibraryModel(chart: Chart, name: string): void {
  new AutoscaledModel(chart, name, {
    image: IMAGE,
    version: VERSION,
    modelCard: CARD,
    preset: CostPreset.PRODUCTION,
  });
}

// ---------------------------------------------------------------------------
// Variant "plain": the same objects, hand-written with cdk8s-plus
// ---------------------------------------------------------------------------

/** Sorted-key JSON, so the model-card ConfigMap matches the library's byte for byte. */
function sortedJson(value: unknown, indent?: number): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sort(x)]));
    }
    return v;
  };
  return JSON.stringify(sort(value), undefined, indent);
}

function modelCardMarkdown(name: string): string {
  const metrics = Object.entries(CARD.metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `| ${k} | ${v} |`);
  return [
    `# Model card: ${name} ${VERSION.model}`, '',
    '| field | value |', '|---|---|',
    `| model version | ${VERSION.model} |`,
    `| training commit | ${VERSION.trainingCommit} |`,
    `| data version | ${VERSION.dataVersion} |`,
    `| namespace | ${NAMESPACE} |`, '',
    '## Purpose', '', CARD.purpose, '',
    '## Intended use', '', CARD.intendedUse, '',
    '## Not intended for', '', CARD.notIntendedFor, '',
    '## Training data', '', CARD.trainingData, '',
    '## Performance metrics', '', '| metric | value |', '|---|---|', ...metrics, '',
    '## Limitations', '', CARD.limitations, '',
  ].join('\n');
}

function addPlainModel(chart: Chart, name: string): void {
  // A grouping construct with the same ids as the library's, so paths (and the
  // cdk8s.io/metadata.addr pod label derived from them) are identical.
  const scope = new Construct(chart, name);
  const selectorLabels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
  const labels = {
    ...selectorLabels,
    'app.kubernetes.io/version': VERSION.model,
    'app.kubernetes.io/component': 'model-server',
    'app.kubernetes.io/part-of': name,
    'app.kubernetes.io/managed-by': 'ml-platform-constructs',
  };
  const annotations = {
    'ml-platform-constructs.dev/model-version': VERSION.model,
    'ml-platform-constructs.dev/training-commit': VERSION.trainingCommit,
    'ml-platform-constructs.dev/data-version': VERSION.dataVersion,
    'ml-platform-constructs.dev/hyperparameters': '{}',
    'ml-platform-constructs.dev/cost-preset': 'production',
  };
  const port = 8000;

  const serviceAccount = new kplus.ServiceAccount(scope, 'ServiceAccount', {
    metadata: { name, labels, annotations: {} },
    automountToken: false,
  });

  const deployment = new kplus.Deployment(scope, 'Deployment', {
    metadata: { name, labels, annotations },
    podMetadata: { labels, annotations },
    select: false,
    serviceAccount,
    automountServiceAccountToken: false,
    terminationGracePeriod: Duration.seconds(45),
    securityContext: { ensureNonRoot: true, user: 1000, group: 1000, fsGroup: 1000, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH },
    strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.percent(25), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
  });
  deployment.select(kplus.LabelSelector.of({ labels: selectorLabels }));
  const probe = (path: string, initialDelay: number, period: number, timeout: number, failureThreshold: number) => kplus.Probe.fromHttpGet(path, {
    port,
    initialDelaySeconds: Duration.seconds(initialDelay),
    periodSeconds: Duration.seconds(period),
    timeoutSeconds: Duration.seconds(timeout),
    failureThreshold,
  });
  const container = deployment.addContainer({
    name: 'model-server',
    image: IMAGE,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ports: [{ name: 'http', number: port }],
    resources: {
      cpu: { request: kplus.Cpu.millis(1000), limit: kplus.Cpu.millis(2000) },
      memory: { request: Size.mebibytes(2048), limit: Size.mebibytes(4096) },
    },
    liveness: probe('/health', 30, 10, 1, 3),
    readiness: probe('/ready', 10, 5, 1, 3),
    startup: probe('/health', 0, 10, 5, 30),
    lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '10']) },
    securityContext: {
      ensureNonRoot: true,
      user: 1000,
      group: 1000,
      privileged: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: [kplus.Capability.ALL] },
      seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
    },
  });
  container.mount('/tmp', kplus.Volume.fromEmptyDir(scope, 'TmpVolume', 'tmp', { sizeLimit: Size.gibibytes(1) }));

  // Pod-spec fields cdk8s-plus has no API for.
  const podSpec = '/spec/template/spec';
  const deploymentObject = ApiObject.of(deployment);
  deploymentObject.addJsonPatch(JsonPatch.add(`${podSpec}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
  deploymentObject.addJsonPatch(JsonPatch.add(`${podSpec}/affinity`, {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{
          matchExpressions: [
            { key: 'karpenter.sh/capacity-type', operator: 'NotIn', values: ['spot'] },
            { key: 'eks.amazonaws.com/capacityType', operator: 'NotIn', values: ['SPOT'] },
          ],
        }],
      },
    },
  }));
  const spread = (topologyKey: string, whenUnsatisfiable: string) => ({
    maxSkew: 1, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels: { ...selectorLabels } }, matchLabelKeys: ['pod-template-hash'],
  });
  deploymentObject.addJsonPatch(JsonPatch.add(`${podSpec}/topologySpreadConstraints`, [
    spread('topology.kubernetes.io/zone', 'DoNotSchedule'),
    spread('kubernetes.io/hostname', 'ScheduleAnyway'),
  ]));

  const service = new kplus.Service(scope, 'Service', {
    metadata: { name, labels },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [{ name: 'http', port: 80, targetPort: port }],
  });
  for (const [key, value] of Object.entries(selectorLabels)) {
    service.selectLabel(key, value);
  }

  const tcp = (p: number) => ({ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(p) });
  new kplus.k8s.KubeNetworkPolicy(scope, 'NetworkPolicy', {
    metadata: { name, labels },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [{ podSelector: { matchLabels: {} } }], ports: [tcp(port)] },
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }], ports: [tcp(port)] },
      ],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: kplus.k8s.IntOrString.fromNumber(53) }, tcp(53)],
      }],
    },
  });

  new kplus.k8s.KubePodDisruptionBudget(scope, 'DisruptionBudget', {
    metadata: { name, labels },
    spec: {
      maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: { ...selectorLabels } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });

  new kplus.ConfigMap(scope, 'ModelCard', {
    metadata: { name: `${name}-model-card`, labels, annotations },
    data: {
      'model-card.md': modelCardMarkdown(name),
      'model-card.json': sortedJson({ name, version: VERSION, card: CARD }, 2),
    },
  });

  const monitoringLabels = { ...labels, release: 'kube-prometheus-stack' };
  new ServiceMonitor(scope, 'ServiceMonitor', {
    metadata: { name, labels: monitoringLabels },
    spec: {
      selector: { matchLabels: { ...selectorLabels } },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
    },
  });

  const sel = `{namespace="${NAMESPACE}",service="${name}"}`;
  const errSel = `{namespace="${NAMESPACE}",service="${name}",status=~"5.."}`;
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string, description: string, runbook: string) => ({
    alert,
    expr: PrometheusRuleSpecGroupsRulesExpr.fromString(expr),
    for: forDuration,
    labels: { severity, model: name },
    annotations: { summary, description, runbook_url: `runbooks/${name}-${runbook}.md` },
  });
  new PrometheusRule(scope, 'PrometheusRule', {
    metadata: { name, labels: monitoringLabels },
    spec: {
      groups: [{
        name: `${name}.rules`,
        rules: [
          rule('ModelHighErrorRate', `(sum(rate(http_requests_total${errSel}[5m])) / sum(rate(http_requests_total${sel}[5m]))) > 0.01`, '5m', 'critical',
            `${name}: more than 1% of requests fail`, `The 5xx share of ${name} requests has been above 1% for 5 minutes.`, 'model-high-error-rate'),
          rule('ModelHighLatencyP99', `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket${sel}[5m]))) > 0.5`, '10m', 'warning',
            `${name}: p99 latency above the 500 millis SLO`, `The 99th percentile latency of ${name} has been above 0.5s for 10 minutes.`, 'model-high-latency-p99'),
          rule('ModelReplicasUnavailable', `kube_deployment_status_replicas_unavailable{deployment="${name}",namespace="${NAMESPACE}"} > 0`, '10m', 'warning',
            `${name}: replicas unavailable`,
            `Some replicas of ${name} have been unavailable for 10 minutes (crash loop, failing readiness, or no capacity).`, 'model-replicas-unavailable'),
        ],
      }],
    },
  });

  new kplus.HorizontalPodAutoscaler(scope, 'Autoscaler', {
    metadata: { name, labels },
    target: deployment,
    minReplicas: 3,
    maxReplicas: 20,
    metrics: [
      kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70)),
      kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(80)),
      kplus.Metric.pods({ name: 'http_requests_per_second', target: kplus.MetricTarget.averageValue(100) }),
    ],
    scaleDown: {
      stabilizationWindow: Duration.minutes(5),
      strategy: kplus.ScalingStrategy.MAX_CHANGE,
      policies: [{ replicas: kplus.Replicas.percent(50), duration: Duration.minutes(1) }],
    },
    scaleUp: {
      stabilizationWindow: Duration.seconds(0),
      strategy: kplus.ScalingStrategy.MAX_CHANGE,
      policies: [
        { replicas: kplus.Replicas.percent(100), duration: Duration.minutes(1) },
        { replicas: kplus.Replicas.absolute(4), duration: Duration.minutes(1) },
      ],
    },
  });
}

// ---------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------

function build(variant: Variant, n: number): App {
  const app = new App();
  const chart = new Chart(app, 'bench', { namespace: NAMESPACE });
  const add = variant === 'library' ? addLibraryModel : addPlainModel;
  for (let i = 0; i < n; i++) {
    add(chart, modelName(i));
  }
  return app;
}

/** Top-level `kind:` of every YAML document, in order. */
function kindsOf(yaml: string): string[] {
  return Array.from(yaml.matchAll(/^kind: (\S+)$/gm), (m) => m[1]);
}

interface ChildResult {
  readonly variant: Variant;
  readonly n: number;
  readonly objects: number;
  readonly yamlBytes: number;
  readonly constructMs: number;
  readonly totalMs: number;
  readonly baselineRssKiB: number;
  readonly maxRssKiB: number;
  readonly heapUsedBytes: number;
}

function isVariant(value: unknown): value is Variant {
  return typeof value === 'string' && (VARIANTS as readonly string[]).includes(value);
}

function parseChildResult(text: string): ChildResult {
  const line = text.trim().split('\n').pop() ?? '';
  const parsed: unknown = JSON.parse(line);
  if (parsed === null || typeof parsed !== 'object') {
    throw new Error(`child printed no JSON object: ${text}`);
  }
  const rec = new Map(Object.entries(parsed));
  const num = (key: string): number => {
    const v = rec.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`child result lacks numeric '${key}': ${line}`);
    return v;
  };
  const variant = rec.get('variant');
  if (!isVariant(variant)) throw new Error(`child result has a bad variant: ${line}`);
  return {
    variant,
    n: num('n'),
    objects: num('objects'),
    yamlBytes: num('yamlBytes'),
    constructMs: num('constructMs'),
    totalMs: num('totalMs'),
    baselineRssKiB: num('baselineRssKiB'),
    maxRssKiB: num('maxRssKiB'),
    heapUsedBytes: num('heapUsedBytes'),
  };
}

// ---------------------------------------------------------------------------
// Child: one measurement
// ---------------------------------------------------------------------------

function runChild(variant: Variant, n: number): void {
  const baselineRssKiB = process.memoryUsage().rss / 1024;
  const t0 = performance.now();
  const app = build(variant, n);
  const t1 = performance.now();
  const yaml = app.synthYaml();
  const t2 = performance.now();
  globalThis.gc?.(); // the child runs with --expose-gc: count live heap, not garbage
  const heapUsedBytes = process.memoryUsage().heapUsed;
  const result: ChildResult = {
    variant,
    n,
    objects: kindsOf(yaml).length, // keeps `yaml` (and `app`, below) alive across the GC above
    yamlBytes: Buffer.byteLength(yaml),
    constructMs: t1 - t0,
    totalMs: t2 - t0,
    baselineRssKiB,
    maxRssKiB: process.resourceUsage().maxRSS,
    heapUsedBytes,
  };
  if (app.charts.length !== 1) throw new Error('unexpected chart count');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------
// Parent: orchestrate, check comparability, print the table
// ---------------------------------------------------------------------------

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function spawnMeasurement(variant: Variant, n: number): ChildResult {
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', __filename, '--child', variant, String(n)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60 * 1000,
  });
  if (child.error) throw child.error;
  if (child.status !== 0) {
    throw new Error(`child ${variant} N=${n} exited with ${child.status ?? child.signal}:\n${child.stderr}`);
  }
  return parseChildResult(child.stdout);
}

/** Compares one model of each variant in-process (not timed). */
function checkComparable(): void {
  const library = build('library', 1).synthYaml();
  const plain = build('plain', 1).synthYaml();
  const libKinds = kindsOf(library);
  const plainKinds = kindsOf(plain);
  console.log(`Objects per model: library ${libKinds.length} [${libKinds.join(', ')}]`);
  console.log(`                   plain   ${plainKinds.length} [${plainKinds.join(', ')}]`);
  const a = library.split('\n');
  const b = plain.split('\n');
  const differing = Math.max(a.length, b.length) - a.filter((line, i) => line === b[i]).length;
  console.log(`YAML of one model: library ${a.length} lines, plain ${b.length} lines, ${differing === 0 ? 'identical' : `${differing} lines differ`}.`);
  if (libKinds.join() !== plainKinds.join()) {
    console.log('WARNING: the variants render different object kinds; the comparison is not like for like.');
  }
}

function fmt(value: number, digits: number): string {
  return value.toFixed(digits);
}

function runParent(): void {
  const repeats = Number.parseInt(process.env.BENCH_REPEATS ?? '3', 10);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`BENCH_REPEATS must be a positive integer, got ${process.env.BENCH_REPEATS}`);
  const sizes = (process.env.BENCH_SIZES ?? '1,10,100,1000').split(',').map((s) => Number.parseInt(s.trim(), 10));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_SIZES must list positive integers, got ${process.env.BENCH_SIZES}`);

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log('# cdk8s synthesis: AutoscaledModel vs plain cdk8s-plus-28\n');
  console.log(`Node ${process.version}, ${os.cpus().length} x ${cpu}, ${os.platform()} ${os.arch()}; ${repeats} repeat(s) per cell, fresh process each.\n`);
  checkComparable();
  console.log('');

  const started = performance.now();
  const results = new Map<string, ChildResult[]>();
  for (const n of sizes) {
    for (let r = 0; r < repeats; r++) {
      for (const variant of VARIANTS) { // interleaved so drift hits both variants alike
        const res = spawnMeasurement(variant, n);
        process.stderr.write(`  N=${n} ${variant} run ${r + 1}/${repeats}: ${fmt(res.totalMs, 1)} ms, maxRSS ${fmt(res.maxRssKiB / 1024, 1)} MiB\n`);
        const key = `${variant}:${n}`;
        results.set(key, [...(results.get(key) ?? []), res]);
      }
    }
  }
  const elapsedS = (performance.now() - started) / 1000;

  const rows: string[] = [
    '| N | variant | objects | YAML KiB | median ms | ms per model | construct ms | peak RSS MiB | heap after synth MiB | library / plain time |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let baseline: number[] = [];
  for (const n of sizes) {
    const plainMedian = median((results.get(`plain:${n}`) ?? []).map((x) => x.totalMs));
    for (const variant of VARIANTS) {
      const runs = results.get(`${variant}:${n}`) ?? [];
      baseline = [...baseline, ...runs.map((x) => x.baselineRssKiB)];
      const ms = median(runs.map((x) => x.totalMs));
      const objects = new Set(runs.map((x) => x.objects));
      rows.push([
        '', n, variant, [...objects].join('/'), fmt(runs[0].yamlBytes / 1024, 0),
        fmt(ms, 1), fmt(ms / n, 2), fmt(median(runs.map((x) => x.constructMs)), 1),
        fmt(median(runs.map((x) => x.maxRssKiB)) / 1024, 1), fmt(median(runs.map((x) => x.heapUsedBytes)) / (1024 * 1024), 1),
        variant === 'library' ? `${fmt(ms / plainMedian, 2)}x` : '1.00x', '',
      ].join(' | ').trim());
    }
  }
  console.log(rows.join('\n'));
  console.log('');
  console.log('median ms = construct + app.synthYaml() (median of the repeats); construct ms = the construct part alone.');
  console.log('peak RSS = median of the child processes\' maxRSS; it includes Node + tsx + loaded modules, '
    + `about ${fmt(median(baseline) / 1024, 0)} MiB (RSS just before construction).`);
  console.log('heap after synth = V8 heapUsed after a forced GC with the app and YAML string still referenced.');
  console.log(`Total benchmark time: ${fmt(elapsedS, 1)} s${elapsedS > 120 ? ' (over 2 minutes)' : ''}.`);
}

const childFlag = process.argv.indexOf('--child');
if (childFlag >= 0) {
  const variant = process.argv[childFlag + 1];
  const n = Number.parseInt(process.argv[childFlag + 2] ?? '', 10);
  if (!isVariant(variant) || !Number.isInteger(n) || n < 1) {
    throw new Error(`usage: bench/synth.ts --child <${VARIANTS.join('|')}> <N>`);
  }
  runChild(variant, n);
} else {
  runParent();
}
