import { Duration } from 'cdk8s';
import { PropsValidator } from '../core/errors';

/**
 * The one disaster-recovery policy every stateful construct takes: backups
 * are derived from it (schedule frequency = RPO, retention, copies to a DR
 * region), never configured store by store.
 */
export interface DisasterRecoveryPolicy {
  /** Recovery point objective: the most data (time) a restore may lose; backups run at least this often. */
  readonly rpo: Duration;
  /** Recovery time objective: how long a restore may take (the guide: under 1 hour). */
  readonly rto: Duration;
  /** How long backups are kept. */
  readonly retention: Duration;
  /** Region backups are copied to. @default - no cross-region copy */
  readonly drRegion?: string;
  /** Make backups immutable (AWS Backup Vault Lock, S3 Object Lock where supported). @default false */
  readonly immutable?: boolean;
}

/**
 * Validates a policy; `prefix` is the property path (for example
 * `disasterRecovery`). With `primaryRegion` known, the DR region must differ
 * from it: a copy in the same region survives no region loss.
 */
export function validateDisasterRecovery(v: PropsValidator, prefix: string, policy: DisasterRecoveryPolicy, primaryRegion?: string): DisasterRecoveryPolicy {
  const minutes = (d: Duration) => d.toMilliseconds() / 60_000;
  v.check(minutes(policy.rpo) >= 1, `${prefix}.rpo`, policy.rpo, 'must be at least 1 minute');
  v.check(minutes(policy.rto) >= 1, `${prefix}.rto`, policy.rto, 'must be at least 1 minute');
  v.check(policy.retention.toMilliseconds() >= policy.rpo.toMilliseconds(), `${prefix}.retention`, policy.retention,
    `must be at least the RPO (${humanDuration(policy.rpo)}): otherwise no backup survives until the next one`);
  if (policy.drRegion !== undefined) {
    v.matches(`${prefix}.drRegion`, policy.drRegion, /^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-west-2');
    v.check(policy.drRegion !== primaryRegion, `${prefix}.drRegion`, policy.drRegion,
      `must differ from the primary region (${primaryRegion}): a copy in the same region does not survive its loss`);
  }
  return policy;
}

// ---------------------------------------------------------------------------
// Stores: what each backup mechanism can do
// ---------------------------------------------------------------------------

/** A backup mechanism and the best it can do; the derivations check a policy against it. */
export interface BackupStore {
  /** Name used in errors and runbooks, for example `ElastiCache automatic snapshots`. */
  readonly name: string;
  /** The shortest RPO the store can meet (its tightest backup interval, or its replication/restore lag). */
  readonly bestRpo: Duration;
  /** The longest the store keeps a backup. @default - no limit */
  readonly maxRetention?: Duration;
  /** Why `bestRpo` is what it is (appended to the error). */
  readonly why: string;
}

/**
 * The stores the platform backs up to, with the limits that make an RPO
 * unreachable. Numbers are AWS's documented limits, or (Velero, PITR lag) the
 * engineering floor this library considers sane.
 */
export const BackupStores = {
  /**
   * Velero Schedules are cron-based (minute granularity), but a namespace
   * backup with file-system or CSI volume data takes minutes and Velero
   * expires each backup separately: schedules tighter than 15 minutes overlap
   * their own runs. For a tighter RPO use a store with continuous backup.
   */
  VELERO: {
    name: 'Velero schedule',
    bestRpo: Duration.minutes(15),
    why: 'a namespace backup with volume data takes minutes, so this library schedules Velero at most every 15 minutes',
  },
  /** AWS Backup snapshot rules run at most hourly. */
  AWS_BACKUP_SNAPSHOTS: {
    name: 'AWS Backup snapshot rule',
    bestRpo: Duration.hours(1),
    why: 'AWS Backup takes snapshot backups at most hourly; continuous backup (RDS, Aurora, S3) restores to a point in time',
  },
  /**
   * AWS Backup continuous backup (point-in-time restore) of RDS, Aurora and
   * S3: 1-second restore precision, kept at most 35 days. The 5-minute floor
   * is the lag of the latest restorable time.
   */
  AWS_BACKUP_CONTINUOUS: {
    name: 'AWS Backup continuous backup',
    bestRpo: Duration.minutes(5),
    maxRetention: Duration.days(35),
    why: 'the latest restorable time of a point-in-time restore lags by up to about 5 minutes',
  },
  /** DynamoDB point-in-time recovery: restorable up to about 5 minutes ago, for at most 35 days. */
  DYNAMODB_PITR: {
    name: 'DynamoDB point-in-time recovery',
    bestRpo: Duration.minutes(5),
    maxRetention: Duration.days(35),
    why: "DynamoDB's latest restorable time is typically 5 minutes before the current time",
  },
  /** ElastiCache (Valkey/Redis OSS) takes one automatic snapshot a day and keeps it at most 35 days. */
  ELASTICACHE_SNAPSHOTS: {
    name: 'ElastiCache automatic snapshots',
    bestRpo: Duration.days(1),
    maxRetention: Duration.days(35),
    why: 'ElastiCache takes one automatic snapshot a day; rebuild the cache from the offline store for a tighter RPO',
  },
  /**
   * S3 cross-region replication: S3 Replication Time Control replicates
   * 99.99% of objects within 15 minutes; without it, replication has no
   * time guarantee. Within the region, versioning keeps every version.
   */
  S3_REPLICATION: {
    name: 'S3 cross-region replication',
    bestRpo: Duration.minutes(15),
    why: 'S3 Replication Time Control guarantees replication within 15 minutes; nothing replicates faster with a guarantee',
  },
} as const satisfies Readonly<Record<string, BackupStore>>;

// ---------------------------------------------------------------------------
// Derivations: policy -> schedules, TTLs, retention
// ---------------------------------------------------------------------------

/** Where a derivation reports errors. */
export interface DerivationOptions {
  /** Validator that names the construct. @default - a validator named `DisasterRecoveryPolicy` */
  readonly validator?: PropsValidator;
  /** Property path of the policy in the caller's props. @default 'disasterRecovery' */
  readonly property?: string;
}

/** Options of {@link deriveBackupCadence}. */
export interface BackupCadenceOptions extends DerivationOptions {
  /** Hour (UTC) daily and weekly backups run at. @default 3 */
  readonly hourUtc?: number;
}

/** The backup schedule a store runs to meet a policy. */
export interface BackupCadence {
  /** The store. */
  readonly store: BackupStore;
  /** Time between backups: the longest cron-friendly interval that is not longer than the RPO. */
  readonly interval: Duration;
  /** Five-field cron expression (UTC) of the interval, for Velero and Kubernetes CronJobs. */
  readonly cron: string;
  /**
   * AWS Backup schedule expression (`cron(...)`, six fields, UTC) of the
   * interval; undefined below one hour (AWS Backup snapshot rules run at most hourly).
   */
  readonly awsScheduleExpression?: string;
  /** How long each backup is kept (the policy's retention). */
  readonly retention: Duration;
  /** Retention in whole days, rounded up (AWS lifecycles count days). */
  readonly retentionDays: number;
  /** Retention as a Go duration (Velero's `ttl`), for example `720h0m0s`. */
  readonly veleroTtl: string;
}

/**
 * Intervals (minutes) a cron expression repeats at evenly: divisors of an
 * hour, divisors of a day, a day and a week.
 */
const CRON_INTERVALS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080];

/**
 * Derives the backup schedule of `store` from a policy: the interval is the
 * longest cron-friendly interval not longer than the RPO (an RPO of 1 hour
 * gives hourly backups, 90 minutes also hourly, 1 day daily, a week or more
 * weekly), retention is the policy's.
 *
 * Throws a {@link ValidationError} on `<property>.rpo` when the store cannot
 * meet the RPO ("store X cannot meet RPO Y; the best it supports is Z") and on
 * `<property>.retention` when it cannot keep backups that long.
 */
export function deriveBackupCadence(policy: DisasterRecoveryPolicy, store: BackupStore, options: BackupCadenceOptions = {}): BackupCadence {
  const { v, prefix } = resolve(options);
  validateDisasterRecovery(v, prefix, policy);
  const hour = v.integer('hourUtc', options.hourUtc ?? 3, 0, 23);
  checkStore(v, prefix, policy, store);
  const rpoMinutes = Math.floor(policy.rpo.toSeconds() / 60);
  const floor = Math.ceil(store.bestRpo.toSeconds() / 60);
  const fitting = CRON_INTERVALS.filter((m) => m <= rpoMinutes && m >= floor);
  // checkStore guarantees rpo >= bestRpo; every bestRpo above is itself a cron interval.
  const minutes = fitting.length > 0 ? fitting[fitting.length - 1] : floor;
  return {
    store,
    interval: Duration.minutes(minutes),
    cron: cronExpression(minutes, hour),
    awsScheduleExpression: minutes >= 60 ? awsScheduleExpression(minutes, hour) : undefined,
    retention: policy.retention,
    retentionDays: retentionDays(policy.retention),
    veleroTtl: goDuration(policy.retention),
  };
}

/**
 * Throws unless `store` can meet the policy's RPO and keep backups for its
 * retention. Message: `store 'X' cannot meet RPO Y; the best it supports is Z (why)`.
 */
export function checkStore(v: PropsValidator, prefix: string, policy: DisasterRecoveryPolicy, store: BackupStore): void {
  v.check(policy.rpo.toSeconds() >= store.bestRpo.toSeconds(), `${prefix}.rpo`, policy.rpo,
    `store '${store.name}' cannot meet RPO ${humanDuration(policy.rpo)}; the best it supports is ${humanDuration(store.bestRpo)} (${store.why})`);
  if (store.maxRetention) {
    v.check(policy.retention.toSeconds() <= store.maxRetention.toSeconds(), `${prefix}.retention`, policy.retention,
      `store '${store.name}' cannot keep backups for ${humanDuration(policy.retention)}; the longest it supports is ${humanDuration(store.maxRetention)}`);
  }
}

/** Five-field cron expression (UTC) repeating every `minutes` (one of the cron-friendly intervals). */
export function cronExpression(minutes: number, hourUtc = 3): string {
  if (minutes < 60) {
    return minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`;
  }
  if (minutes === 60) {
    return '0 * * * *';
  }
  if (minutes < 1440) {
    return `0 */${minutes / 60} * * *`;
  }
  return minutes === 1440 ? `0 ${hourUtc} * * *` : `0 ${hourUtc} * * 0`;
}

/**
 * AWS Backup / EventBridge schedule expression repeating every `minutes`
 * (at least 60): `cron(Minutes Hours Day-of-month Month Day-of-week Year)`.
 */
export function awsScheduleExpression(minutes: number, hourUtc = 3): string {
  if (minutes < 60) {
    throw new Error(`AWS Backup snapshot rules run at most hourly, not every ${minutes} minutes`);
  }
  if (minutes === 60) {
    return 'cron(0 * ? * * *)';
  }
  if (minutes < 1440) {
    return `cron(0 0/${minutes / 60} ? * * *)`;
  }
  return minutes === 1440 ? `cron(0 ${hourUtc} ? * * *)` : `cron(0 ${hourUtc} ? * SUN *)`;
}

/** Whole days, rounded up, at least 1 (AWS Backup lifecycles and S3 lifecycles count days). */
export function retentionDays(retention: Duration): number {
  return Math.max(1, Math.ceil(retention.toSeconds() / 86_400));
}

/** A Go `time.Duration` string, as Velero writes TTLs: `720h0m0s`. */
export function goDuration(d: Duration): string {
  const total = Math.round(d.toSeconds());
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}h${m}m${s}s`;
}

/** A duration in words with the largest units: `1 hour`, `1 hour 30 minutes`, `35 days`. */
export function humanDuration(d: Duration): string {
  let rest = Math.round(d.toSeconds());
  if (rest === 0) {
    return '0 seconds';
  }
  const parts: string[] = [];
  for (const [unit, size] of [['day', 86_400], ['hour', 3600], ['minute', 60], ['second', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
      rest -= n * size;
    }
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------
// Per-service settings (plain data: pass them to the resources you create)
// ---------------------------------------------------------------------------

/** The `pointInTimeRecovery` argument of an `aws.dynamodb.Table`. */
export interface DynamoDbPointInTimeRecovery {
  /** Always true. */
  readonly enabled: true;
  /** Days the table is restorable to any second of (1 to 35). */
  readonly recoveryPeriodInDays: number;
}

/**
 * DynamoDB point-in-time recovery settings derived from a policy: enabled,
 * with a recovery period of the retention (at most 35 days, DynamoDB's
 * limit; keep longer retention with AWS Backup snapshots by tagging the
 * table for the platform's backup plan).
 *
 * Throws when the RPO is tighter than PITR's lag (5 minutes).
 *
 * @example
 * new dynamodb.Table('features', { ..., pointInTimeRecovery: dynamoDbPointInTimeRecovery(policy) });
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.html
 */
export function dynamoDbPointInTimeRecovery(policy: DisasterRecoveryPolicy, options: DerivationOptions = {}): DynamoDbPointInTimeRecovery {
  const { v, prefix } = resolve(options);
  validateDisasterRecovery(v, prefix, policy);
  // Retention beyond 35 days is the AWS Backup plan's job, so only the RPO is checked here.
  checkStore(v, prefix, policy, { ...BackupStores.DYNAMODB_PITR, maxRetention: undefined });
  return { enabled: true, recoveryPeriodInDays: Math.min(35, retentionDays(policy.retention)) };
}

/** Options of {@link elastiCacheSnapshotSettings}. */
export interface ElastiCacheSnapshotOptions extends DerivationOptions {
  /** Daily UTC window (`hh:mm-hh:mm`, at least 60 minutes) snapshots start in; must not overlap the maintenance window. @default '03:00-04:00' */
  readonly snapshotWindow?: string;
}

/** Snapshot arguments of an `aws.elasticache.ReplicationGroup` (or `Cluster`). */
export interface ElastiCacheSnapshotSettings {
  /** Days automatic snapshots are kept (1 to 35). */
  readonly snapshotRetentionLimit: number;
  /** Daily UTC window the snapshot starts in. */
  readonly snapshotWindow: string;
}

/**
 * ElastiCache automatic snapshot settings derived from a policy: retention
 * in days, and the daily window. ElastiCache snapshots daily, so an RPO
 * under a day is an error (give the online store its own policy and rebuild
 * it from the offline store), as is a retention over 35 days.
 *
 * @example
 * new elasticache.ReplicationGroup('online', { ..., ...elastiCacheSnapshotSettings(policy) });
 */
export function elastiCacheSnapshotSettings(policy: DisasterRecoveryPolicy, options: ElastiCacheSnapshotOptions = {}): ElastiCacheSnapshotSettings {
  const resolved = resolve(options);
  const v: PropsValidator = resolved.v;
  const prefix = resolved.prefix;
  validateDisasterRecovery(v, prefix, policy);
  checkStore(v, prefix, policy, BackupStores.ELASTICACHE_SNAPSHOTS);
  const window = options.snapshotWindow ?? '03:00-04:00';
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(window);
  v.check(m !== null, 'snapshotWindow', window, "must be a UTC window 'hh:mm-hh:mm' such as '03:00-04:00'");
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  v.check((end - start + 1440) % 1440 >= 60, 'snapshotWindow', window, 'must be at least 60 minutes long (ElastiCache minimum)');
  return { snapshotRetentionLimit: retentionDays(policy.retention), snapshotWindow: window };
}

/** Snapshot arguments of an `aws.elasticache.ServerlessCache`. */
export interface ElastiCacheServerlessSnapshotSettings {
  /** Days automatic snapshots are kept (1 to 35). */
  readonly snapshotRetentionLimit: number;
  /** UTC time (`hh:mm`) of the daily snapshot. */
  readonly dailySnapshotTime: string;
}

/** Options of {@link elastiCacheServerlessSnapshotSettings}. */
export interface ElastiCacheServerlessSnapshotOptions extends DerivationOptions {
  /** UTC time (`hh:mm`) of the daily snapshot. @default '03:00' */
  readonly dailySnapshotTime?: string;
}

/** ElastiCache Serverless snapshot settings derived from a policy; same rules as {@link elastiCacheSnapshotSettings}. */
export function elastiCacheServerlessSnapshotSettings(policy: DisasterRecoveryPolicy,
  options: ElastiCacheServerlessSnapshotOptions = {}): ElastiCacheServerlessSnapshotSettings {
  const { v, prefix } = resolve(options);
  validateDisasterRecovery(v, prefix, policy);
  checkStore(v, prefix, policy, BackupStores.ELASTICACHE_SNAPSHOTS);
  const time = v.matches('dailySnapshotTime', options.dailySnapshotTime ?? '03:00', /^([01]\d|2[0-3]):[0-5]\d$/, "must be a UTC time 'hh:mm'");
  return { snapshotRetentionLimit: retentionDays(policy.retention), dailySnapshotTime: time };
}

function resolve(options: DerivationOptions): { v: PropsValidator; prefix: string } {
  return { v: options.validator ?? new PropsValidator('DisasterRecoveryPolicy'), prefix: options.property ?? 'disasterRecovery' };
}
