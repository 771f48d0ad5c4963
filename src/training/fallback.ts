/**
 * The time-boxed on-demand fallback of a spot training pool: pure decisions
 * over Pod and NodePool JSON, and one reconcile pass over a Kubernetes API.
 *
 * Mechanism (see `SpotTrainingPool` for the whole design): the on-demand
 * NodePool carries a taint training pods do not tolerate, so Karpenter only
 * provisions spot for them. A training pod that has been unschedulable for
 * `afterSeconds` while the spot pool still has headroom under its limits gets
 * the fallback toleration added (Kubernetes allows adding tolerations to an
 * existing pod); Karpenter then may place that pod, and only that pod, on the
 * lower-weight on-demand pool. Its replacement after a later disruption starts
 * from the Job's template again, that is on spot.
 */
import {
  FALLBACK_ALLOWED, FALLBACK_AT_ANNOTATION, FALLBACK_POD_LABEL, FALLBACK_TAINT_KEY, PodToleration, fallbackToleration,
} from './scheduling';
import { JsonPatchOperation, KubeApi } from '../kube/kube-client';

/** Configuration of the fallback controller (rendered to its `config.json`). */
export interface FallbackConfig {
  /** Name of the training pool. */
  readonly pool: string;
  /** Label selector of the pods that may fall back. */
  readonly podSelector: string;
  /** Seconds a pod must have waited (since it was created) before it may run on-demand. */
  readonly afterSeconds: number;
  /** The spot NodePool whose limits are checked: pods queued by the cost ceiling do not fall back. */
  readonly spotNodePool: string;
  /** The on-demand NodePool (named in events). */
  readonly fallbackNodePool: string;
  /** Namespace of the pods. @default - the controller's own namespace */
  readonly namespace?: string;
  /** Directory with the ServiceAccount `token`, `ca.crt` and `namespace`. @default '/var/run/secrets/kubernetes.io/serviceaccount' */
  readonly serviceAccountDir?: string;
}

/** The fields of a Pod the controller reads. */
export interface PodJson {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly resourceVersion?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly nodeName?: string;
    readonly tolerations?: ReadonlyArray<{ readonly key?: string; readonly operator?: string; readonly value?: string; readonly effect?: string }>;
    readonly schedulingGates?: ReadonlyArray<{ readonly name: string }>;
    readonly containers: readonly ContainerJson[];
    readonly initContainers?: readonly ContainerJson[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }>;
  };
}

/** The resource fields of a container. */
export interface ContainerJson {
  readonly name?: string;
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string | number>>;
    readonly limits?: Readonly<Record<string, string | number>>;
  };
}

/** The fields of a Karpenter NodePool the controller reads. */
export interface NodePoolJson {
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly limits?: Readonly<Record<string, string | number>> };
  readonly status?: { readonly resources?: Readonly<Record<string, string | number>> };
}

/** What the controller does with a pod; `failed`: the pod could not be handled this pass (the rest were). */
export type FallbackAction = 'fallback' | 'wait' | 'skip' | 'failed';

/** The decision for one pod, with the reason in words. */
export interface FallbackDecision {
  /** Pod name. */
  readonly pod: string;
  /** `fallback`: add the toleration; `wait`: check again next run; `skip`: not a candidate; `failed`: an API error, retried next run. */
  readonly action: FallbackAction;
  /** Why. */
  readonly reason: string;
  /** Seconds since the pod was created, for pending pods. */
  readonly pendingSeconds?: number;
  /** A problem after the decision was carried out (the Event could not be recorded). @default - none */
  readonly warning?: string;
}

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes resource quantity as a number of base units (`1500m` -> 1.5, `2Gi` -> 2147483648). */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') {
    return quantity;
  }
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(quantity.trim());
  if (!m) {
    throw new RangeError(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
  }
  const base = Number(m[1]);
  if (m[2]) {
    return base * 10 ** Number(m[2].slice(1));
  }
  const suffix = m[3] ?? '';
  return base * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/**
 * What the scheduler reserves for a pod: the sum of its containers' requests
 * (a limit stands in for a missing request, as the API server defaults it),
 * or the largest init container's, whichever is larger, per resource.
 */
export function podRequests(pod: PodJson): Record<string, number> {
  const of = (c: ContainerJson): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [name, q] of Object.entries({ ...c.resources?.limits, ...c.resources?.requests })) {
      out[name] = parseQuantity(q);
    }
    return out;
  };
  const total: Record<string, number> = {};
  for (const c of pod.spec.containers) {
    for (const [name, value] of Object.entries(of(c))) {
      total[name] = (total[name] ?? 0) + value;
    }
  }
  for (const c of pod.spec.initContainers ?? []) {
    for (const [name, value] of Object.entries(of(c))) {
      total[name] = Math.max(total[name] ?? 0, value);
    }
  }
  return total;
}

/** Whether the pod already tolerates the fallback taint of `pool`. */
export function toleratesFallback(pod: PodJson, pool: string): boolean {
  return (pod.spec.tolerations ?? []).some((t) => t.key === FALLBACK_TAINT_KEY
    && (t.operator === 'Exists' || t.value === pool) && (t.effect === undefined || t.effect === '' || t.effect === 'NoSchedule'));
}

/** Whether the scheduler has marked the pod unschedulable (it waits for capacity). */
export function isUnschedulable(pod: PodJson): boolean {
  return pod.status?.phase === 'Pending' && !pod.spec.nodeName
    && (pod.status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
}

/**
 * Why the spot pool cannot take the pod under its limits, if it cannot: for
 * every limited resource, the pod's request exceeds what is left
 * (`spec.limits - status.resources`). Such a pod is queued by the cost
 * ceiling, not by a spot shortage, and must not overflow onto on-demand.
 */
export function limitsBlock(pod: PodJson, nodePool: NodePoolJson | undefined): string | undefined {
  const limits = nodePool?.spec?.limits ?? {};
  const used = nodePool?.status?.resources ?? {};
  const requests = podRequests(pod);
  for (const name of Object.keys(limits).sort()) {
    const limit = parseQuantity(limits[name]);
    const inUse = parseQuantity(used[name] ?? 0);
    const wanted = name === 'nodes' ? 1 : requests[name] ?? 0;
    if (wanted > 0 && wanted > limit - inUse) {
      return `the spot pool is at its limits (${name}: ${fmt(inUse)} of ${fmt(limit)} in use, the pod needs ${fmt(wanted)}): `
        + 'the pod is queued by the cost ceiling, not by a spot shortage';
    }
  }
  return undefined;
}

/** Decides, for every pod, whether it falls back now (pods sorted by name). */
export function planFallback(pods: readonly PodJson[], spotNodePool: NodePoolJson | undefined, config: FallbackConfig, now: Date): FallbackDecision[] {
  return [...pods]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((pod) => decide(pod, spotNodePool, config, now));
}

function decide(pod: PodJson, spotNodePool: NodePoolJson | undefined, config: FallbackConfig, now: Date): FallbackDecision {
  const name = pod.metadata.name;
  if (pod.metadata.labels?.[FALLBACK_POD_LABEL] !== FALLBACK_ALLOWED) {
    return { pod: name, action: 'skip', reason: `not labelled ${FALLBACK_POD_LABEL}=${FALLBACK_ALLOWED}` };
  }
  if (pod.metadata.deletionTimestamp) {
    return { pod: name, action: 'skip', reason: 'terminating' };
  }
  if (toleratesFallback(pod, config.pool)) {
    return { pod: name, action: 'skip', reason: 'already allowed on on-demand' };
  }
  if (pod.status?.phase !== 'Pending' || pod.spec.nodeName) {
    return { pod: name, action: 'skip', reason: pod.spec.nodeName ? `scheduled on ${pod.spec.nodeName}` : `phase ${pod.status?.phase ?? 'unknown'}` };
  }
  if ((pod.spec.schedulingGates ?? []).length > 0) {
    return { pod: name, action: 'skip', reason: 'held by scheduling gates' };
  }
  const created = Date.parse(pod.metadata.creationTimestamp ?? '');
  if (Number.isNaN(created)) {
    return { pod: name, action: 'skip', reason: 'no creation timestamp' };
  }
  const pendingSeconds = Math.max(0, Math.floor((now.getTime() - created) / 1000));
  if (!isUnschedulable(pod)) {
    return { pod: name, action: 'wait', reason: 'not marked unschedulable by the scheduler yet', pendingSeconds };
  }
  if (pendingSeconds < config.afterSeconds) {
    return { pod: name, action: 'wait', reason: `pending ${pendingSeconds}s of the ${config.afterSeconds}s it waits for spot`, pendingSeconds };
  }
  const blocked = limitsBlock(pod, spotNodePool);
  if (blocked) {
    return { pod: name, action: 'wait', reason: blocked, pendingSeconds };
  }
  return { pod: name, action: 'fallback', reason: `unschedulable for ${pendingSeconds}s (>= ${config.afterSeconds}s) while the spot pool has headroom`, pendingSeconds };
}

/**
 * The JSON Patch that lets `pod` onto the fallback pool: a `test` of its
 * resourceVersion (so a pod that changed since it was read is left for the
 * next run), the added toleration (the only change Kubernetes allows to an
 * existing pod's tolerations) and an annotation recording when.
 */
export function fallbackPatch(pod: PodJson, pool: string, now: Date): JsonPatchOperation[] {
  const toleration: PodToleration = fallbackToleration(pool);
  const ops: JsonPatchOperation[] = [];
  if (pod.metadata.resourceVersion) {
    ops.push({ op: 'test', path: '/metadata/resourceVersion', value: pod.metadata.resourceVersion });
  }
  ops.push(pod.spec.tolerations
    ? { op: 'add', path: '/spec/tolerations/-', value: toleration }
    : { op: 'add', path: '/spec/tolerations', value: [toleration] });
  const stamp = now.toISOString();
  ops.push(pod.metadata.annotations
    ? { op: 'add', path: `/metadata/annotations/${pointerEscape(FALLBACK_AT_ANNOTATION)}`, value: stamp }
    : { op: 'add', path: '/metadata/annotations', value: { [FALLBACK_AT_ANNOTATION]: stamp } });
  return ops;
}

/** Options of {@link reconcileOnce}. */
export interface ReconcileOptions {
  /** Decide and report only; patch nothing. @default false */
  readonly dryRun?: boolean;
  /** The current time. @default - now */
  readonly now?: Date;
}

/**
 * One pass: lists the pool's pending training pods (paged), reads the spot
 * NodePool, decides, and patches the pods that fall back (recording an Event
 * on each). Each pod is handled on its own: a pod that vanished is skipped,
 * one that changed waits for the next run, and an API error on one pod is
 * reported as `failed` (or, for its Event, as a `warning`) while the other
 * pods are still handled. Without the spot NodePool (404) the cost ceiling
 * cannot be checked, so no pod falls back and every due pod is `failed`.
 * Returns the decisions as carried out; a failure to list the pods or read
 * the NodePool throws.
 */
export async function reconcileOnce(api: KubeApi, config: FallbackConfig, options: ReconcileOptions = {}): Promise<FallbackDecision[]> {
  const now = options.now ?? new Date();
  const ns = config.namespace ?? api.namespace;
  const query = `labelSelector=${encodeURIComponent(config.podSelector)}&fieldSelector=${encodeURIComponent('status.phase=Pending')}`;
  const pods = await api.list<PodJson>(`/api/v1/namespaces/${ns}/pods?${query}`);
  const nodePool = await api.getJson<NodePoolJson>(`/apis/karpenter.sh/v1/nodepools/${config.spotNodePool}`);
  const byName = new Map(pods.map((p) => [p.metadata.name, p]));
  const out: FallbackDecision[] = [];
  for (const d of planFallback(pods, nodePool, config, now)) {
    const pod = byName.get(d.pod);
    if (d.action !== 'fallback' || pod === undefined) {
      out.push(d);
    } else if (nodePool === undefined) {
      out.push({ ...d, action: 'failed', reason: `the spot NodePool ${config.spotNodePool} does not exist, so its cost ceiling cannot be checked; not falling back` });
    } else if (options.dryRun) {
      out.push(d);
    } else {
      out.push(await fallBack(api, ns, pod, d, config, now));
    }
  }
  return out;
}

/** Patches one pod onto the fallback pool and records the Event; every API error ends in the returned decision. */
async function fallBack(api: KubeApi, ns: string, pod: PodJson, d: FallbackDecision, config: FallbackConfig, now: Date): Promise<FallbackDecision> {
  try {
    const patched = await api.jsonPatch(`/api/v1/namespaces/${ns}/pods/${d.pod}`, fallbackPatch(pod, config.pool, now));
    if (!patched.ok) {
      return patched.outcome === 'notFound'
        ? { ...d, action: 'skip', reason: 'the pod no longer exists' }
        : { ...d, action: 'wait', reason: `the pod changed while deciding (HTTP ${patched.status}); checked again next run` };
    }
  } catch (err) {
    return { ...d, action: 'failed', reason: `patching the pod failed: ${messageOf(err)}` };
  }
  try {
    const event = await api.postJson(`/api/v1/namespaces/${ns}/events`, fallbackEvent(pod, ns, config, d, now));
    // 409: an Event of this name exists (a retried POST whose first answer was lost).
    return event.ok || event.outcome === 'conflict' ? d : { ...d, warning: `the Event was not recorded (HTTP ${event.status}: ${event.message})` };
  } catch (err) {
    return { ...d, warning: `the Event was not recorded: ${messageOf(err)}` };
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The core/v1 Event recorded on a pod that was let onto on-demand capacity. */
export function fallbackEvent(pod: PodJson, namespace: string, config: FallbackConfig, decision: FallbackDecision, now: Date): Record<string, unknown> {
  const stamp = now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${now.getTime().toString(16)}`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
    reason: 'OnDemandFallback',
    message: `Allowed onto on-demand NodePool ${config.fallbackNodePool}: ${decision.reason}`,
    type: 'Normal',
    source: { component: `${config.pool}-fallback` },
    firstTimestamp: stamp,
    lastTimestamp: stamp,
    count: 1,
  };
}

function pointerEscape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function fmt(x: number): string {
  if (x >= 2 ** 30 && x % 2 ** 20 === 0) {
    return `${+(x / 2 ** 30).toFixed(2)}Gi`;
  }
  return `${+x.toFixed(3)}`;
}
