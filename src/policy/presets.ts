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
  /** Whether a PodDisruptionBudget is rendered when more than one replica runs. */
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
 * | DEV | 1 | 1-3 | 250m/512Mi, 500m/1Gi | no | none | spot preferred | zero outside Mon-Fri 08-20 UTC | 1 day / 4 h / 7 days |
 * | STAGING | 2 | 2-5 | 500m/1Gi, 1/2Gi | yes | preferred | spot allowed | - | 1 day / 2 h / 14 days |
 * | PRODUCTION | 3 | 3-20 | 1/2Gi, 2/4Gi | yes | strict | on-demand | - | 1 h / 1 h / 35 days |
 * | PRODUCTION_SPOT | 3 | 3-20 | 1/2Gi, 2/4Gi | yes | strict | on-demand base, spot burst | - | 1 h / 1 h / 35 days |
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
    podDisruptionBudget: false,
    topologySpread: TopologySpreadMode.NONE,
    capacity: CapacityPolicy.SPOT_PREFERRED,
    workHours: Object.freeze({ timezone: 'UTC', days: '1-5', startHour: 8, endHour: 20 }),
    requireModelCard: false,
    disasterRecovery: Object.freeze({ rpo: Duration.days(1), rto: Duration.hours(4), retention: Duration.days(7) }),
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
    disasterRecovery: Object.freeze({ rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(35) }),
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
