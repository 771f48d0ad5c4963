import { KubernetesObject } from '../core/synth';
import { runsPerMonth, validateSchedule } from '../core/cron';
import { PropsValidator } from '../core/errors';
import { isRecord, valueAt } from '../core/json';
import { InstancePrice, PriceTable, US_EAST_1, familyOf } from './prices';

/** Monthly cost at the low, expected and high end. */
export interface CostRange {
  /** Autoscalers at their minimum (scale-to-zero hours counted). */
  readonly min: number;
  /** Autoscalers at the expected load. */
  readonly expected: number;
  /** Autoscalers at their maximum around the clock. */
  readonly max: number;
}

/** One line of the estimate. */
export interface CostLine {
  /** What it is for: `<namespace>/<name>` of a workload, or an AWS resource. */
  readonly component: string;
  /** What is paid for. */
  readonly category: 'compute' | 'gpu' | 'jobs' | 'storage' | 'managed' | 'backup' | 'training';
  /** How the figure was made. */
  readonly description: string;
  /** Monthly cost. */
  readonly monthly: CostRange;
}

/** The estimate. */
export interface CostReport {
  /** Region of the prices. */
  readonly region: string;
  /** Currency. */
  readonly currency: string;
  /** Every line, in component order. */
  readonly lines: readonly CostLine[];
  /** Sum of the lines. */
  readonly total: CostRange;
  /** The assumptions the figures rest on. */
  readonly assumptions: readonly string[];
}

/** Options of {@link estimateMonthlyCost}. */
export interface CostEstimateOptions {
  /** Prices. @default US_EAST_1 */
  readonly prices?: PriceTable;
  /** Instance type serving pods are packed onto (the price of a pod is its dominant share of one). @default 'm6i.large' */
  readonly servingInstanceType?: string;
  /** Instance type GPU pods run on. @default 'g5.xlarge' */
  readonly gpuInstanceType?: string;
  /** Where autoscaled workloads sit on average between min and max (0..1). @default 0.3 */
  readonly expectedLoad?: number;
  /** Minutes one CronJob run takes. @default 10 */
  readonly jobRunMinutes?: number;
  /** Lines from outside the manifests (AWS resources, spot training pools). @default - none */
  readonly extraLines?: readonly CostLine[];
}

interface PodShape {
  readonly cpu: number;
  readonly memoryGiB: number;
  readonly gpus: number;
  readonly capacity: 'on-demand' | 'spot' | 'mixed';
}

interface Replicas {
  readonly min: number;
  readonly max: number;
  readonly autoscaled: boolean;
  /** Share of the week the minimum applies (scale to zero outside work hours: < 1). */
  readonly activeShare: number;
}

/** The options of an estimate, with defaults applied. */
interface Pricing {
  readonly prices: PriceTable;
  readonly servingType: string;
  readonly serving: InstancePrice;
  readonly gpuType: string;
  readonly gpu: InstancePrice;
  readonly load: number;
  readonly runMinutes: number;
}

/**
 * Estimates the monthly cost of synthesized manifests: every workload's
 * requests times its replicas (at the autoscaler's min, expected and max),
 * priced as its dominant share (CPU, memory or GPU) of the instance type that
 * runs it, on-demand or at the family's spot discount as its node affinity
 * allows; CronJobs by runs per month; PVCs by size. AWS-side lines (managed
 * services, backups, spot training pools) come in through `extraLines`.
 */
export function estimateMonthlyCost(objects: readonly KubernetesObject[], options: CostEstimateOptions = {}): CostReport {
  const p = resolvePricing(options);
  const { prices } = p;
  const lines: CostLine[] = [
    ...objects.flatMap((obj) => WORKLOAD_KINDS.includes(obj.kind) ? workloadLines(obj, objects, p) : obj.kind === 'CronJob' ? cronJobLines(obj, p) : []),
    ...(options.extraLines ?? []),
  ];
  lines.sort((a, b) => a.component.localeCompare(b.component) || a.category.localeCompare(b.category));
  const add = (t: CostRange, l: CostLine): CostRange => ({ min: t.min + l.monthly.min, expected: t.expected + l.monthly.expected, max: t.max + l.monthly.max });
  const total = lines.reduce(add, { min: 0, expected: 0, max: 0 });
  return {
    region: prices.region,
    currency: prices.currency,
    lines,
    total: { min: round(total.min), expected: round(total.expected), max: round(total.max) },
    assumptions: [
      `Prices: ${prices.region} (${prices.date}), ${prices.hoursPerMonth} hours a month; source: ${prices.source}.`,
      `Serving pods are priced as their dominant share (CPU or memory) of a ${p.servingType}, GPU pods of a ${p.gpuType}; node overhead and bin-packing waste are not included.`,
      `Expected load: autoscalers sit ${pct(p.load)} of the way from min to max replicas on average.`,
      'Spot prices use the typical family discount of the price table; on-demand-preferred workloads run their minimum on-demand and burst on spot.',
      `CronJob runs take ${p.runMinutes} minutes each, or their active deadline if shorter.`,
      'Not included: data transfer, load balancers, the EKS control plane, and anything outside the listed lines.',
    ],
  };
}

const WORKLOAD_KINDS = ['Deployment', 'Rollout', 'StatefulSet'];

function resolvePricing(options: CostEstimateOptions): Pricing {
  const prices = options.prices ?? US_EAST_1;
  const servingType = options.servingInstanceType ?? 'm6i.large';
  const serving = instance(prices, servingType);
  const gpuType = options.gpuInstanceType ?? 'g5.xlarge';
  const gpu = instance(prices, gpuType);
  const load = options.expectedLoad ?? 0.3;
  new PropsValidator('cost estimate').range('expectedLoad', load, 0, 1);
  return { prices, servingType, serving, gpuType, gpu, load, runMinutes: options.jobRunMinutes ?? 10 };
}

function componentOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? 'default'}/${obj.metadata?.name ?? '?'}`;
}

/** A Deployment, Rollout or StatefulSet: its replicas at min, expected and max, and its volume claims. */
function workloadLines(obj: KubernetesObject, objects: readonly KubernetesObject[], p: Pricing): CostLine[] {
  const podSpec = valueAt(obj, 'spec', 'template', 'spec');
  if (!isRecord(podSpec)) {
    return [];
  }
  const { prices } = p;
  const hours = prices.hoursPerMonth;
  const id = componentOf(obj);
  const pod = podShape(podSpec);
  const type = pod.gpus > 0 ? p.gpuType : p.servingType;
  const onDemand = perReplicaHour(pod, pod.gpus > 0 ? p.gpu : p.serving);
  const spot = onDemand * (1 - (prices.spotDiscount[familyOf(type)] ?? 0));
  const r = replicasOf(obj, objects);
  const expectedReplicas = r.min + (r.max - r.min) * p.load;
  // Mixed capacity: the minimum runs on-demand, burst replicas on spot.
  const costOf = (n: number, share: number, base: number) => {
    const baseline = Math.min(n, base);
    const burst = Math.max(0, n - base);
    const odShare = pod.capacity === 'spot' ? 0 : pod.capacity === 'mixed' ? baseline : n;
    const spotShare = pod.capacity === 'spot' ? n : pod.capacity === 'mixed' ? burst : 0;
    return (odShare * onDemand + spotShare * spot) * hours * share;
  };
  const lines: CostLine[] = [{
    component: id,
    category: pod.gpus > 0 ? 'gpu' : 'compute',
    description: `${obj.kind}: ${fmt(pod.cpu)} vCPU / ${fmt(pod.memoryGiB)} GiB${pod.gpus ? ` / ${pod.gpus} GPU` : ''} per replica`
      + ` on ${type} (${pod.capacity}), `
      + `${r.autoscaled ? `${r.min}-${r.max} replicas` : `${r.min} replicas`}${r.activeShare < 1 ? `, up ${pct(r.activeShare)} of the week (scaled to zero otherwise)` : ''}`,
    monthly: {
      min: round(costOf(r.min, r.activeShare, r.min)),
      expected: round(costOf(expectedReplicas, r.activeShare, r.min)),
      max: round(costOf(r.max, 1, r.min)),
    },
  }];
  const claims = listAt(obj, 'spec', 'volumeClaimTemplates');
  const gb = claims.reduce((sum: number, c) => sum + memoryGiB(valueAt(c, 'spec', 'resources', 'requests', 'storage') ?? 0) * 1.073741824, 0);
  if (gb > 0) {
    const storage = gb * r.max * prices.services.ebsGp3GbMonth;
    lines.push({ component: id, category: 'storage', description: `${fmt(gb)} GB gp3 per replica`, monthly: { min: round(gb * r.min * prices.services.ebsGp3GbMonth), expected: round(storage), max: round(storage) } });
  }
  return lines;
}

/** A CronJob: runs a month times the minutes of a run. */
function cronJobLines(obj: KubernetesObject, p: Pricing): CostLine[] {
  const jobSpec = valueAt(obj, 'spec', 'jobTemplate', 'spec');
  const podSpec = valueAt(jobSpec, 'template', 'spec');
  if (!isRecord(podSpec)) {
    return [];
  }
  const schedule = valueAt(obj, 'spec', 'schedule');
  const pod = podShape(podSpec);
  // From the parsed schedule: an invalid one is a ValidationError, never a made-up number of runs.
  const runs = runsPerMonth(typeof schedule === 'string' ? schedule : '', `cost estimate of CronJob ${objectName(obj)}`, 'spec.schedule');
  // A run cannot outlast the job's active deadline.
  const deadline = numberAt(jobSpec, 'activeDeadlineSeconds');
  const minutes = deadline !== undefined ? Math.min(p.runMinutes, deadline / 60) : p.runMinutes;
  const cost = round(perReplicaHour(pod, pod.gpus > 0 ? p.gpu : p.serving) * runs * (minutes / 60));
  return [{
    component: componentOf(obj),
    category: 'jobs',
    description: `CronJob '${String(schedule)}': ~${fmt(runs)} runs/month x ${fmt(minutes)} min`,
    monthly: { min: cost, expected: cost, max: cost },
  }];
}

/** The estimate as a Markdown table with totals and assumptions. */
export function renderCostMarkdown(report: CostReport, title = 'Monthly cost estimate'): string {
  const out = [
    `# ${title}`,
    '',
    `Region ${report.region}, ${report.currency} per month.`,
    '',
    '| component | category | min | expected | max | how |',
    '|---|---|---:|---:|---:|---|',
    ...report.lines.map((l) => `| ${l.component} | ${l.category} | ${money(l.monthly.min)} | ${money(l.monthly.expected)} | ${money(l.monthly.max)} | ${l.description} |`),
    `| **total** | | **${money(report.total.min)}** | **${money(report.total.expected)}** | **${money(report.total.max)}** | |`,
    '',
    '## Assumptions',
    '',
    ...report.assumptions.map((a) => `- ${a}`),
    '',
  ];
  return out.join('\n');
}

/** A Markdown comparison of several estimates (for example the presets of one platform). */
export function renderCostComparison(reports: Readonly<Record<string, CostReport>>, title = 'Cost by preset'): string {
  return [
    `# ${title}`,
    '',
    '| variant | min | expected | max |',
    '|---|---:|---:|---:|',
    ...Object.entries(reports).map(([name, r]) => `| ${name} | ${money(r.total.min)} | ${money(r.total.expected)} | ${money(r.total.max)} |`),
    '',
  ].join('\n');
}

function instance(prices: PriceTable, type: string) {
  const inst = prices.instances[type];
  return inst ?? new PropsValidator('cost estimate').fail('instance type', type,
    `is not in the ${prices.region} price table (known: ${Object.keys(prices.instances).join(', ')})`);
}

/** On-demand price of one replica-hour: its dominant share of one instance. */
function perReplicaHour(pod: PodShape, inst: InstancePrice): number {
  const shares = [pod.cpu / inst.vcpu, pod.memoryGiB / inst.memoryGiB];
  if (pod.gpus > 0) {
    shares.push(pod.gpus / Math.max(inst.gpus, 1));
  }
  return Math.max(...shares) * inst.hourly;
}

/** Requests (limits where no request is set) of every container, and the capacity type the pod's affinity allows. */
function podShape(podSpec: Readonly<Record<string, unknown>>): PodShape {
  let cpu = 0;
  let mem = 0;
  let gpus = 0;
  for (const c of listAt(podSpec, 'containers')) {
    const req = { ...recordAt(c, 'resources', 'limits'), ...recordAt(c, 'resources', 'requests') };
    cpu += cpuCores(req.cpu ?? 0);
    mem += memoryGiB(req.memory ?? 0);
    gpus += Number(req['nvidia.com/gpu'] ?? 0);
  }
  return { cpu, memoryGiB: mem, gpus, capacity: capacityOf(podSpec) };
}

function capacityOf(podSpec: Readonly<Record<string, unknown>>): PodShape['capacity'] {
  const na = valueAt(podSpec, 'affinity', 'nodeAffinity');
  const text = JSON.stringify(na ?? {});
  if (/"operator":"NotIn","values":\["spot"\]/.test(text)) return 'on-demand';
  const preferred = JSON.stringify(valueAt(na, 'preferredDuringSchedulingIgnoredDuringExecution') ?? []);
  if (/"values":\["spot"\]/.test(preferred)) return 'spot';
  if (/"values":\["on-demand"\]/.test(preferred)) return 'mixed';
  return 'on-demand';
}

function replicasOf(workload: KubernetesObject, objects: readonly KubernetesObject[]): Replicas {
  const name = workload.metadata?.name;
  const ns = workload.metadata?.namespace;
  const targets = (o: KubernetesObject) => {
    const ref = valueAt(o, 'spec', 'scaleTargetRef');
    return o.metadata?.namespace === ns && valueAt(ref, 'name') === name && (valueAt(ref, 'kind') ?? 'Deployment') === workload.kind;
  };
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && targets(o));
  if (hpa) {
    return { min: numberAt(hpa, 'spec', 'minReplicas') ?? 1, max: Number(valueAt(hpa, 'spec', 'maxReplicas')), autoscaled: true, activeShare: 1 };
  }
  const so = objects.find((o) => o.kind === 'ScaledObject' && targets(o));
  if (so) {
    const max = numberAt(so, 'spec', 'maxReplicaCount') ?? 100;
    const cron = listAt(so, 'spec', 'triggers').find((t) => valueAt(t, 'type') === 'cron');
    if (cron) {
      const floor = Number(valueAt(cron, 'metadata', 'desiredReplicas') ?? 1);
      const window = cronWindowShare(so, String(valueAt(cron, 'metadata', 'start')), String(valueAt(cron, 'metadata', 'end')));
      return { min: floor, max, autoscaled: true, activeShare: window };
    }
    return { min: numberAt(so, 'spec', 'minReplicaCount') ?? 0, max, autoscaled: true, activeShare: 1 };
  }
  const replicas = Number(valueAt(workload, 'spec', 'replicas') ?? 1);
  return { min: replicas, max: replicas, autoscaled: false, activeShare: 1 };
}

/** The number at `path` below `x`, if it is one. */
function numberAt(x: unknown, ...path: string[]): number | undefined {
  const value = valueAt(x, ...path);
  return typeof value === 'number' ? value : undefined;
}

/** The array at `path` below `x` (empty when there is none). */
function listAt(x: unknown, ...path: string[]): readonly unknown[] {
  const value = valueAt(x, ...path);
  return Array.isArray(value) ? value : [];
}

/** The object at `path` below `x` (empty when there is none). */
function recordAt(x: unknown, ...path: string[]): Readonly<Record<string, unknown>> {
  const value = valueAt(x, ...path);
  return isRecord(value) ? value : {};
}

/** `namespace/name` (or `name`) of a manifest object, for error paths. */
function objectName(o: KubernetesObject): string {
  const ns = o.metadata?.namespace;
  return `${ns ? `${ns}/` : ''}${o.metadata?.name ?? '(unnamed)'}`;
}

/** Share of the week between a KEDA cron start and end (`0 8 * * 1-5` .. `0 20 * * 1-5`). */
function cronWindowShare(so: KubernetesObject, start: string, end: string): number {
  const v = new PropsValidator(`cost estimate of ScaledObject ${objectName(so)}`);
  const from = validateSchedule(v, 'cron trigger start', start);
  const to = validateSchedule(v, 'cron trigger end', end);
  return ((Math.min(...to.hours) - Math.min(...from.hours)) * from.daysOfWeek.size) / (24 * 7);
}

function cpuCores(q: unknown): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

function memoryGiB(q: unknown): number {
  const s = String(q);
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(s);
  if (!m) return 0;
  return (Number(m[1]) * (units[m[2]] ?? 1)) / 2 ** 30;
}

function money(x: number): string {
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function fmt(x: number): string {
  return Number(x.toFixed(2)).toString();
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
