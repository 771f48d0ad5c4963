import { Duration } from 'cdk8s';
import { PropsValidator } from '../core/errors';
import { isRecord } from '../core/json';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { CostPreset, CostPresetSettings } from '../policy/presets';
import { FeatureStoreAwsBinding } from '../features/stores';
import { TrainingCapacityLimits } from '../training/cost-profile';
import { PodToleration } from '../training/scheduling';

/**
 * Version of the platform contract this library writes and reads. A team
 * stack or chart refuses a contract of another version (with the version it
 * found and the one it reads), instead of misreading renamed fields.
 * Additions that older readers can ignore and newer readers can miss (the
 * `training` output, `buckets.checkpoints`) keep the version.
 */
export const PLATFORM_CONTRACT_VERSION = 1;

/** The cluster the platform runs. */
export interface ContractCluster {
  /** EKS cluster name. */
  readonly name: string;
  /** ARN of its IAM OIDC provider (IRSA trust of the teams' roles). */
  readonly oidcProviderArn: string;
  /** Its issuer URL. */
  readonly oidcProviderUrl: string;
}

/** Namespaces the platform creates (Pod Security "restricted") and backs up. */
export interface ContractNamespaces {
  /** The platform's own namespace (feature store, training pool, backups). */
  readonly platform: string;
  /** Namespace of each team, by team id. */
  readonly teams: Readonly<Record<string, string>>;
}

/** The shared feature store, as teams reach it. */
export interface ContractFeatureStore {
  /** Name of the store (its objects' name). */
  readonly name: string;
  /** Namespace of its server. */
  readonly namespace: string;
  /** Feast project. */
  readonly project: string;
  /** In-cluster URL of the feature server. */
  readonly serverUrl: string;
  /** Port of the feature server. */
  readonly serverPort: number;
  /** Labels selecting the feature server's pods (the teams' egress rule). */
  readonly serverSelectorLabels: Readonly<Record<string, string>>;
  /** Feature services of its repository (the values `features.featureService` may take). */
  readonly featureServices: readonly string[];
  /** Its AWS values, when the platform stack created them. @default - none */
  readonly binding?: FeatureStoreAwsBinding;
}

/** Buckets the platform owns and the teams write into. */
export interface ContractBuckets {
  /** Model artifacts (each model reads `models/<name>/`). */
  readonly artifacts: string;
  /** Drift baselines and reports (each drift job writes `reports/<model>/`). */
  readonly reports: string;
  /** Training checkpoints (each team's training job reads and writes `checkpoints/<team namespace>/<job>/`). @default - none: the platform has no training pool */
  readonly checkpoints?: string;
}

/** The platform's DR policy, in seconds (JSON carries no Duration). */
export interface ContractDisasterRecovery {
  readonly rpoSeconds: number;
  readonly rtoSeconds: number;
  readonly retentionSeconds: number;
  /** Region backups are copied to. @default - none */
  readonly drRegion?: string;
  /** Immutable backups. @default false */
  readonly immutable?: boolean;
  /** Scratch namespace of the restore drill (its restored copies read the artifacts too). @default - no drill */
  readonly drillNamespace?: string;
}

/** The ingress gateway the models admit traffic from. */
export interface ContractGateway {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  /** Name of the platform's model gateway (`ModelGateway`) the teams' routes bind to. @default - none: the platform renders no model gateway */
  readonly name?: string;
  /** DNS domain of the model gateway (`<model>.<domain>`). @default - none */
  readonly domain?: string;
  /** Server port of the model gateway. @default - none */
  readonly port?: number;
}

/** Where Prometheus runs and what it selects. */
export interface ContractMonitoring {
  /** Namespace of Prometheus (admitted by the models' NetworkPolicy). */
  readonly namespace: string;
  /** Labels Prometheus selects ServiceMonitors and rules by. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Grafana's web URL: the teams' alerts link their panels there (`ObservabilityLinks.grafanaUrl`). @default - none */
  readonly grafanaUrl?: string;
  /** Web URL of the runbooks folder the teams' alerts link to (`ObservabilityLinks.runbookBaseUrl`). @default - none */
  readonly runbookBaseUrl?: string;
}

/**
 * A training pool of the platform, as a team's jobs schedule onto it (what
 * `ITrainingPool` tells a `TrainingJob`). The pool's on-demand fallback is
 * not offered: its controller watches the platform's namespace only, so a
 * team's jobs wait for spot.
 */
export interface ContractTrainingPool {
  /** Pool name (node label and taint value). */
  readonly name: string;
  /** Whether its nodes carry NVIDIA GPUs (jobs must then request GPUs). */
  readonly gpu: boolean;
  /** Node selector of its pods. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations of its pods. */
  readonly tolerations: readonly PodToleration[];
  /** The most one job may request (the pool's limits). @default - not checked */
  readonly maxJobSize?: TrainingCapacityLimits;
}

/** The spot training capacity a platform offers the teams (checkpoints go to `buckets.checkpoints`). */
export interface ContractTraining {
  /** The pools, by name. */
  readonly pools: readonly ContractTrainingPool[];
}

/**
 * What a platform (stack or chart) offers the teams that deploy onto it:
 * plain JSON, exported as one Pulumi stack output per field (read back by
 * `PlatformReference`) and written by the platform's synth as
 * a JSON file (read by `readPlatformContract` for a `TeamChart`). Optional parts are `null`
 * when the platform has none, so that a missing output is always an error.
 */
export interface PlatformContract {
  /** {@link PLATFORM_CONTRACT_VERSION} of the writer. */
  readonly contractVersion: number;
  readonly cluster: ContractCluster;
  readonly namespaces: ContractNamespaces;
  /** Name of the platform's cost preset (`CostPreset.*.name`). */
  readonly preset: string;
  readonly featureStore: ContractFeatureStore | null;
  readonly buckets: ContractBuckets;
  readonly disasterRecovery: ContractDisasterRecovery | null;
  readonly gateway: ContractGateway | null;
  readonly monitoring: ContractMonitoring;
  /**
   * Spot training capacity the teams' jobs may use; `null` for none. An
   * addition to version 1: a contract of an earlier writer has no such
   * output, which reads as `null`.
   * @default null
   */
  readonly training?: ContractTraining | null;
}

/** The outputs of a platform contract, in the order they are checked. */
export const PLATFORM_CONTRACT_OUTPUTS: ReadonlyArray<keyof PlatformContract> = [
  'contractVersion', 'cluster', 'namespaces', 'preset', 'featureStore', 'buckets', 'disasterRecovery', 'gateway', 'monitoring', 'training',
];
/** Outputs added to contract version 1 after its first release: missing in a contract of an earlier writer (read as `null`). */
const ADDED_OUTPUTS: ReadonlySet<string> = new Set(['training']);

const PRESETS: readonly CostPresetSettings[] = [CostPreset.DEV, CostPreset.STAGING, CostPreset.PRODUCTION, CostPreset.PRODUCTION_SPOT];

/** The preset a contract names. */
export function contractPreset(contract: PlatformContract): CostPresetSettings {
  const preset = PRESETS.find((p) => p.name === contract.preset);
  return preset ?? new PropsValidator('platform contract').fail('preset', contract.preset, `must be one of ${PRESETS.map((p) => p.name).join(', ')}`);
}

/** The DR policy of a contract, or undefined when the platform has none. */
export function contractDisasterRecovery(contract: PlatformContract): DisasterRecoveryPolicy | undefined {
  const dr = contract.disasterRecovery;
  const v = new PropsValidator('platform contract');
  // cdk8s refuses a negative Duration with its own error: name the contract field instead.
  const seconds = (property: keyof ContractDisasterRecovery, value: number) => v.convert(`disasterRecovery.${property}`, value, () => Duration.seconds(value));
  return dr ? {
    rpo: seconds('rpoSeconds', dr.rpoSeconds), rto: seconds('rtoSeconds', dr.rtoSeconds), retention: seconds('retentionSeconds', dr.retentionSeconds),
    ...(dr.drRegion !== undefined ? { drRegion: dr.drRegion } : {}), ...(dr.immutable !== undefined ? { immutable: dr.immutable } : {}),
  } : undefined;
}

/** A DR policy in contract form. */
export function disasterRecoveryToContract(policy: DisasterRecoveryPolicy, drillNamespace?: string): ContractDisasterRecovery {
  const seconds = (d: Duration) => d.toSeconds();
  return {
    rpoSeconds: seconds(policy.rpo), rtoSeconds: seconds(policy.rto), retentionSeconds: seconds(policy.retention),
    ...(policy.drRegion !== undefined ? { drRegion: policy.drRegion } : {}),
    ...(policy.immutable !== undefined ? { immutable: policy.immutable } : {}),
    ...(drillNamespace !== undefined ? { drillNamespace } : {}),
  };
}

type Shape = 'string' | 'number' | 'boolean' | 'string-record' | 'string-list' | 'number-record' | 'tolerations';
/** A field's shape; `optional`: it may be absent. */
interface Field { readonly type: Shape; readonly optional?: boolean }
type ObjectShape = Readonly<Record<string, Field>>;
const STRING: Field = { type: 'string' };
const NUMBER: Field = { type: 'number' };
const RECORD: Field = { type: 'string-record' };

/** Shape of each object output (`?`: the field may be absent). */
const SHAPES: Readonly<Record<string, ObjectShape>> = {
  cluster: { name: STRING, oidcProviderArn: STRING, oidcProviderUrl: STRING },
  namespaces: { platform: STRING, teams: RECORD },
  featureStore: {
    name: STRING, namespace: STRING, project: STRING, serverUrl: STRING, serverPort: NUMBER, serverSelectorLabels: RECORD, featureServices: { type: 'string-list' },
  },
  buckets: { artifacts: STRING, reports: STRING, checkpoints: { type: 'string', optional: true } },
  disasterRecovery: {
    rpoSeconds: NUMBER, rtoSeconds: NUMBER, retentionSeconds: NUMBER,
    drRegion: { type: 'string', optional: true }, immutable: { type: 'boolean', optional: true }, drillNamespace: { type: 'string', optional: true },
  },
  gateway: {
    namespace: STRING, podLabels: RECORD,
    name: { type: 'string', optional: true }, domain: { type: 'string', optional: true }, port: { type: 'number', optional: true },
  },
  monitoring: { namespace: STRING, selectorLabels: RECORD, grafanaUrl: { type: 'string', optional: true }, runbookBaseUrl: { type: 'string', optional: true } },
};
const NULLABLE: ReadonlySet<string> = new Set(['featureStore', 'disasterRecovery', 'gateway', 'training']);
/** Shape of each pool of the `training` output. */
const TRAINING_POOL: ObjectShape = {
  name: STRING, gpu: { type: 'boolean' }, nodeSelector: RECORD, tolerations: { type: 'tolerations' }, maxJobSize: { type: 'number-record', optional: true },
};

/** A toleration of a training pool: its key, `Equal` with a value or `Exists`, effect `NoSchedule` (what `TrainingJob` renders). */
function isToleration(value: unknown): boolean {
  return isRecord(value) && typeof value.key === 'string' && value.key.length > 0 && value.effect === 'NoSchedule'
    && ((value.operator === 'Equal' && typeof value.value === 'string') || (value.operator === 'Exists' && value.value === undefined));
}

function hasShape(value: unknown, shape: Shape): boolean {
  switch (shape) {
    case 'string': return typeof value === 'string' && value.length > 0;
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'string-record': return isRecord(value) && Object.values(value).every((x) => typeof x === 'string');
    case 'string-list': return Array.isArray(value) && value.every((x) => typeof x === 'string');
    case 'number-record': return isRecord(value) && Object.values(value).every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
    case 'tolerations': return Array.isArray(value) && value.every(isToleration);
  }
}

/** Checks the fields of one object of the contract against its shape; errors name `<at>.<field>`. */
function checkFields(v: PropsValidator, at: string, value: Readonly<Record<string, unknown>>, shape: ObjectShape): void {
  for (const [field, { type, optional }] of Object.entries(shape)) {
    const got = value[field];
    v.check((optional === true && got === undefined) || hasShape(got, type), `${at}.${field}`, got, got === undefined ? 'missing' : `must be a ${type}`);
  }
}

/** Checks the `training` output: a list of uniquely named pools. */
function checkTraining(v: PropsValidator, value: Readonly<Record<string, unknown>>): void {
  const pools = value.pools;
  v.check(Array.isArray(pools), 'training.pools', pools, 'must be a list of training pools');
  const names: unknown[] = [];
  pools.forEach((pool: unknown, i) => {
    v.check(isRecord(pool), `training.pools[${i}]`, pool, 'must be an object');
    checkFields(v, `training.pools[${i}]`, pool, TRAINING_POOL);
    v.check(!names.includes(pool.name), `training.pools[${i}].name`, pool.name, 'must be unique');
    names.push(pool.name);
  });
}

/**
 * Checks that `outputs` (the stack outputs or JSON file of a platform) form a
 * platform contract of {@link PLATFORM_CONTRACT_VERSION}, and returns it.
 * Fails with a {@link ValidationError} whose path is `source` and whose
 * property names the missing or mismatched output (for example
 * `featureStore.serverUrl`), never later with an `undefined` inside a resource.
 *
 * @param source what the outputs came from, for the message (`stack org/platform/prod`, a file name)
 */
export function parsePlatformContract(outputs: Readonly<Record<string, unknown>>, source: string): PlatformContract {
  const v: PropsValidator = new PropsValidator(`platform contract of ${source}`);
  const version = outputs.contractVersion;
  v.check(version !== undefined, 'contractVersion', version, `missing output: a platform contract exports ${PLATFORM_CONTRACT_OUTPUTS.join(', ')}`);
  v.check(version === PLATFORM_CONTRACT_VERSION, 'contractVersion', version,
    `this library reads platform contract version ${PLATFORM_CONTRACT_VERSION}: deploy the platform and the team with the same major version of ml-platform-constructs`);
  for (const output of PLATFORM_CONTRACT_OUTPUTS.slice(1)) {
    const value = outputs[output];
    v.check(value !== undefined || ADDED_OUTPUTS.has(output), output, value,
      `missing output (contract version ${PLATFORM_CONTRACT_VERSION} exports ${PLATFORM_CONTRACT_OUTPUTS.filter((o) => !ADDED_OUTPUTS.has(o)).join(', ')})`);
    if ((value === null || value === undefined) && NULLABLE.has(output)) {
      continue;
    }
    const shape = SHAPES[output];
    if (shape === undefined && output !== 'training') {
      v.check(hasShape(value, 'string'), output, value, 'must be a non-empty string');
      continue;
    }
    v.check(isRecord(value), output, value, `must be an object${NULLABLE.has(output) ? ' or null' : ''}`);
    if (shape === undefined) {
      checkTraining(v, value);
    } else {
      checkFields(v, output, value, shape);
    }
  }
  v.check(PRESETS.some((p) => p.name === outputs.preset), 'preset', outputs.preset, `must name a cost preset (${PRESETS.map((p) => p.name).join(', ')})`);
  // Every output was checked against the contract's shape above; an added output a writer did not export reads as null.
  return { ...outputs, training: outputs.training ?? null } as unknown as PlatformContract;
}
