import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { DisasterRecoveryPolicy } from './disaster-recovery';
import { ComputeResources } from '../core/resources';

/** How pods are spread over zones and nodes. */
export enum TopologySpreadMode {
  /** No topology spread constraints. */
  NONE = 'none',
  /** Spread across zones and nodes when possible (`ScheduleAnyway`). */
  PREFERRED = 'preferred',
  /** Refuse to schedule a pod that would unbalance zones by more than one (`DoNotSchedule`); nodes best effort. */
  STRICT = 'strict',
}

/** Which node capacity type serving pods may run on. */
export enum CapacityPolicy {
  /**
   * On-demand only: a required node affinity excludes nodes labelled as spot
   * by Karpenter (`karpenter.sh/capacity-type`) or EKS managed node groups
   * (`eks.amazonaws.com/capacityType`). Nodes without either label qualify.
   */
  ON_DEMAND = 'on-demand',
  /** Spot allowed, on-demand preferred: on-demand base, spot for burst when on-demand is not available. */
  SPOT_ALLOWED = 'spot-allowed',
  /** Spot preferred (cheapest; for dev and batch). */
  SPOT_PREFERRED = 'spot-preferred',
}

/**
 * Working hours outside of which an autoscaled model scales to zero
 * (a KEDA cron trigger; needs KEDA in the cluster).
 */
export interface WorkHours {
  /** IANA time zone of the hours, for example `Europe/Berlin`. */
  readonly timezone: string;
  /** Cron day-of-week field of the working days, for example `1-5` (Monday to Friday). */
  readonly days: string;
  /** Hour (0-23) at which replicas come up. */
  readonly startHour: number;
  /** Hour (1-24) at which replicas go to zero; after `startHour`. */
  readonly endHour: number;
}

/** Local (per gateway replica) rate limit of a route: a token bucket refilled every second. */
export interface EdgeRateLimit {
  /** Requests per second the bucket refills. */
  readonly requestsPerSecond: number;
  /** Bucket size: the burst a client may send at once (at least `requestsPerSecond`). */
  readonly burst: number;
}

/** What the edge (the model gateway) enforces and samples by default. */
export interface EdgeSettings {
  /** Local rate limit per model route and gateway replica. */
  readonly rateLimit: EdgeRateLimit;
  /** Largest request body a route accepts (413 above it). */
  readonly maxRequestBody: Size;
  /** Percent of requests the gateway traces (0-100). */
  readonly traceSamplingPercent: number;
}

/**
 * The settings a cost preset fixes. Plain data: copy one and adjust it
 * (`{ ...CostPreset.PRODUCTION, replicas: 4 }`). Explicit construct props
 * always win over the preset.
 */
export interface CostPresetSettings {
  /** Short name, used in labels and reports. */
  readonly name: string;
  /** What the preset is for, in one sentence. */
  readonly description: string;
  /** Replicas of a model service without an autoscaler. */
  readonly replicas: number;
  /** Autoscaling bounds of an autoscaled model. */
  readonly autoscaling: { readonly minReplicas: number; readonly maxReplicas: number };
  /** Requests and limits of the model server container. */
  readonly resources: ComputeResources;
  /** Whether a PodDisruptionBudget (`maxUnavailable: 1`) is rendered wherever more than one replica can run (an autoscaler's maximum counts). */
  readonly podDisruptionBudget: boolean;
  /** How strictly pods are spread over zones and nodes when more than one replica runs. */
  readonly topologySpread: TopologySpreadMode;
  /** Which capacity type serving pods may use. */
  readonly capacity: CapacityPolicy;
  /** When set, autoscaled models scale to zero outside these hours (with KEDA). */
  readonly workHours?: WorkHours;
  /** Whether a model service refuses to synthesize without a model card. */
  readonly requireModelCard: boolean;
  /** The DR policy a platform uses when it sets none (backups, retention, restore targets). */
  readonly disasterRecovery: DisasterRecoveryPolicy;
  /**
   * Default service level objectives of a model service (targets and their window).
   * @default - 99% available, 95% of requests under the latency threshold, over 7 days
   */
  readonly serviceLevels?: PresetServiceLevels;
  /**
   * Whether alerts must link to absolute runbook and Grafana URLs (set once per app or chart
   * with `setObservabilityLinks`); a missing base URL fails synth.
   * @default false
   */
  readonly requireObservabilityLinks?: boolean;
  /** Limits and trace sampling at the model gateway. @default - PRODUCTION's: 500 rps burst 1000 per route and gateway replica, 10 MiB bodies, 1% traced */
  readonly edge?: EdgeSettings;
}

/** The SLO defaults a preset fixes. */
export interface PresetServiceLevels {
  /** Share of requests that must succeed (not 5xx), for example 0.999. */
  readonly availability: number;
  /** Share of requests that must be faster than the latency threshold, for example 0.99. */
  readonly latency: number;
  /** Rolling window the objectives and their error budgets are measured over. */
  readonly window: Duration;
}

const PRODUCTION_EDGE: EdgeSettings = Object.freeze({
  rateLimit: Object.freeze({ requestsPerSecond: 500, burst: 1000 }), maxRequestBody: Size.mebibytes(10), traceSamplingPercent: 1,
});

/** The edge settings of a preset (PRODUCTION's when it sets none). */
export function edgeSettings(preset: CostPresetSettings): EdgeSettings {
  return preset.edge ?? PRODUCTION_EDGE;
}

function resources(cpuRequestMillis: number, cpuLimitMillis: number, memoryRequestMiB: number, memoryLimitMiB: number): ComputeResources {
  return {
    cpu: { request: Cpu.millis(cpuRequestMillis), limit: Cpu.millis(cpuLimitMillis) },
    memory: { request: Size.mebibytes(memoryRequestMiB), limit: Size.mebibytes(memoryLimitMiB) },
  };
}

/**
 * Right-sized profiles for the environments a model runs in. Every construct
 * takes one as `preset`; explicit props win.
 *
 * | preset | replicas | autoscaling | requests / limits | PDB | spread | capacity | off-hours | DR (RPO / RTO / retention) |
 * |---|---|---|---|---|---|---|---|---|
 * | DEV | 1 | 1-3 | 250m/512Mi, 500m/1Gi | yes, when scaled out | none | spot preferred | zero outside Mon-Fri 08-20 UTC | 1 day / 4 h / 7 days |
 * | STAGING | 2 | 2-5 | 500m/1Gi, 1/2Gi | yes | preferred | spot allowed | - | 1 day / 2 h / 14 days |
 * | PRODUCTION | 3 | 3-20 | 1/2Gi, 2/4Gi | yes | strict | on-demand | - | 1 h / 1 h / 35 days |
 * | PRODUCTION_SPOT | 3 | 3-20 | 1/2Gi, 2/4Gi | yes | strict | on-demand base, spot burst | - | 1 h / 1 h / 35 days |
 *
 * Edge (per model route and gateway replica; body limit; trace sampling):
 * DEV 20 rps burst 40, 10 MiB, 100%; STAGING 100 rps burst 200, 10 MiB, 10%;
 * PRODUCTION(_SPOT) 500 rps burst 1000, 10 MiB, 1%.
 *
 * Training is spot-only under every preset (`SpotTrainingPool`).
 *
 * PRODUCTION's sizing is the guide's (requests 1 CPU / 2Gi, limits 2 CPU /
 * 4Gi, 3-20 replicas); PRODUCTION and PRODUCTION_SPOT require a model card.
 */
export class CostPreset {
  /** One small replica on spot, scaled to zero off-hours. */
  public static readonly DEV: CostPresetSettings = Object.freeze({
    name: 'dev',
    description: 'One small replica, spot preferred, scaled to zero outside working hours.',
    replicas: 1,
    autoscaling: Object.freeze({ minReplicas: 1, maxReplicas: 3 }),
    resources: resources(250, 500, 512, 1024),
    podDisruptionBudget: true,
    topologySpread: TopologySpreadMode.NONE,
    capacity: CapacityPolicy.SPOT_PREFERRED,
    workHours: Object.freeze({ timezone: 'UTC', days: '1-5', startHour: 8, endHour: 20 }),
    requireModelCard: false,
    disasterRecovery: Object.freeze({ rpo: Duration.days(1), rto: Duration.hours(4), retention: Duration.days(7) }),
    serviceLevels: Object.freeze({ availability: 0.99, latency: 0.95, window: Duration.days(7) }),
    edge: Object.freeze({ rateLimit: Object.freeze({ requestsPerSecond: 20, burst: 40 }), maxRequestBody: Size.mebibytes(10), traceSamplingPercent: 100 }),
    requireObservabilityLinks: false,
  });

  /** Two replicas, half the production size, spot allowed. */
  public static readonly STAGING: CostPresetSettings = Object.freeze({
    name: 'staging',
    description: 'Two replicas at half the production size, spot allowed, best-effort spread.',
    replicas: 2,
    autoscaling: Object.freeze({ minReplicas: 2, maxReplicas: 5 }),
    resources: resources(500, 1000, 1024, 2048),
    podDisruptionBudget: true,
    topologySpread: TopologySpreadMode.PREFERRED,
    capacity: CapacityPolicy.SPOT_ALLOWED,
    requireModelCard: false,
    disasterRecovery: Object.freeze({ rpo: Duration.days(1), rto: Duration.hours(2), retention: Duration.days(14) }),
    serviceLevels: Object.freeze({ availability: 0.995, latency: 0.99, window: Duration.days(7) }),
    edge: Object.freeze({ rateLimit: Object.freeze({ requestsPerSecond: 100, burst: 200 }), maxRequestBody: Size.mebibytes(10), traceSamplingPercent: 10 }),
    requireObservabilityLinks: false,
  });

  /** Highly available on on-demand capacity, the guide's sizing. */
  public static readonly PRODUCTION: CostPresetSettings = Object.freeze({
    name: 'production',
    description: 'Highly available on on-demand capacity: 3-20 replicas, PDB, strict zone spread, model card required.',
    replicas: 3,
    autoscaling: Object.freeze({ minReplicas: 3, maxReplicas: 20 }),
    resources: resources(1000, 2000, 2048, 4096),
    podDisruptionBudget: true,
    topologySpread: TopologySpreadMode.STRICT,
    capacity: CapacityPolicy.ON_DEMAND,
    requireModelCard: true,
    // The guide: RTO under 1 hour; hourly backups keep the last good model version and features.
    // Immutable: AWS Backup Vault Lock (compliance by default), Object Lock on the DR replicas, no delete-marker replication.
    disasterRecovery: Object.freeze({ rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(35), immutable: true }),
    // The SRE Workbook's worked example: 99.9% over 30 days, burn-rate alerts on a 2%/5%/10% budget spend.
    serviceLevels: Object.freeze({ availability: 0.999, latency: 0.99, window: Duration.days(30) }),
    // Per gateway replica and route: a 3-replica gateway admits about 3x this; the model's autoscaler scales behind it.
    edge: PRODUCTION_EDGE,
    // Alerts page people: their runbook and panel links must open from Alertmanager (absolute URLs).
    requireObservabilityLinks: true,
  });

  /** PRODUCTION with spot capacity allowed for burst replicas. */
  public static readonly PRODUCTION_SPOT: CostPresetSettings = Object.freeze({
    ...CostPreset.PRODUCTION,
    name: 'production-spot',
    description: 'PRODUCTION with an on-demand preference and spot capacity for burst replicas.',
    capacity: CapacityPolicy.SPOT_ALLOWED,
  });

  private constructor() {}
}
