import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import {
  BackupStores, DisasterRecoveryPolicy, awsScheduleExpression, cronExpression, deriveBackupCadence, dynamoDbPointInTimeRecovery,
  elastiCacheServerlessSnapshotSettings, elastiCacheSnapshotSettings, goDuration, humanDuration, retentionDays,
} from '../../src/policy/disaster-recovery';
import { PropsValidator } from '../../src/core/errors';
import { assertValidationError } from '../support/assert';

const policy = (rpo: Duration, retention = Duration.days(30), rest: Partial<DisasterRecoveryPolicy> = {}): DisasterRecoveryPolicy =>
  ({ rpo, rto: Duration.hours(1), retention, ...rest });

/** Asserts a ValidationError whose message contains every fragment. */
function assertInvalid(fn: () => unknown, ...fragments: string[]): void {
  assertValidationError(fn, undefined, ...fragments);
}

describe('deriveBackupCadence', () => {
  it('turns the RPO into the longest cron interval not longer than it, for Velero', () => {
    const cases: Array<[Duration, number, string]> = [
      [Duration.minutes(15), 15, '*/15 * * * *'],
      [Duration.minutes(25), 20, '*/20 * * * *'],
      [Duration.minutes(45), 30, '*/30 * * * *'],
      [Duration.hours(1), 60, '0 * * * *'],
      [Duration.minutes(90), 60, '0 * * * *'],
      [Duration.hours(4), 240, '0 */4 * * *'],
      [Duration.hours(5), 240, '0 */4 * * *'],
      [Duration.hours(12), 720, '0 */12 * * *'],
      [Duration.days(1), 1440, '0 3 * * *'],
      [Duration.days(3), 1440, '0 3 * * *'],
      [Duration.days(7), 10080, '0 3 * * 0'],
      [Duration.days(30), 10080, '0 3 * * 0'],
    ];
    for (const [rpo, minutes, cron] of cases) {
      const c = deriveBackupCadence(policy(rpo, Duration.days(60)), BackupStores.VELERO);
      assert.equal(c.interval.toMinutes(), minutes, `RPO ${humanDuration(rpo)}`);
      assert.equal(c.cron, cron, `RPO ${humanDuration(rpo)}`);
      assert.ok(c.interval.toSeconds() <= rpo.toSeconds(), 'backups at least as often as the RPO');
    }
  });

  it('gives AWS Backup schedule expressions from hourly up, at the chosen hour', () => {
    assert.equal(deriveBackupCadence(policy(Duration.hours(1)), BackupStores.AWS_BACKUP_SNAPSHOTS).awsScheduleExpression, 'cron(0 * ? * * *)');
    assert.equal(deriveBackupCadence(policy(Duration.hours(6)), BackupStores.AWS_BACKUP_SNAPSHOTS).awsScheduleExpression, 'cron(0 0/6 ? * * *)');
    assert.equal(deriveBackupCadence(policy(Duration.days(1)), BackupStores.AWS_BACKUP_SNAPSHOTS, { hourUtc: 5 }).awsScheduleExpression, 'cron(0 5 ? * * *)');
    assert.equal(deriveBackupCadence(policy(Duration.days(7)), BackupStores.AWS_BACKUP_SNAPSHOTS).awsScheduleExpression, 'cron(0 3 ? * SUN *)');
    // Below an hour there is no snapshot-rule expression (continuous backup meets such RPOs).
    assert.equal(deriveBackupCadence(policy(Duration.minutes(10)), BackupStores.AWS_BACKUP_CONTINUOUS).awsScheduleExpression, undefined);
    assert.equal(deriveBackupCadence(policy(Duration.minutes(10)), BackupStores.AWS_BACKUP_CONTINUOUS).cron, '*/10 * * * *');
    assert.throws(() => awsScheduleExpression(30), /at most hourly/);
    assert.equal(cronExpression(1), '* * * * *');
  });

  it('takes retention, TTL and retention days from the policy', () => {
    const c = deriveBackupCadence(policy(Duration.hours(1), Duration.days(30)), BackupStores.VELERO);
    assert.equal(c.veleroTtl, '720h0m0s');
    assert.equal(c.retentionDays, 30);
    assert.equal(c.retention.toDays(), 30);
    assert.equal(goDuration(Duration.minutes(90)), '1h30m0s');
    assert.equal(retentionDays(Duration.hours(36)), 2, 'rounded up: never shorter than the policy');
    assert.equal(retentionDays(Duration.hours(1)), 1);
  });

  it('names the store and the best RPO it supports when the RPO cannot be met', () => {
    assertInvalid(() => deriveBackupCadence(policy(Duration.minutes(5)), BackupStores.VELERO),
      "DisasterRecoveryPolicy: invalid 'disasterRecovery.rpo' (5 minutes)", "store 'Velero schedule' cannot meet RPO 5 minutes; the best it supports is 15 minutes");
    assertInvalid(() => deriveBackupCadence(policy(Duration.minutes(30)), BackupStores.AWS_BACKUP_SNAPSHOTS),
      "store 'AWS Backup snapshot rule' cannot meet RPO 30 minutes; the best it supports is 1 hour", 'continuous backup');
    assertInvalid(() => deriveBackupCadence(policy(Duration.hours(1)), BackupStores.ELASTICACHE_SNAPSHOTS),
      "store 'ElastiCache automatic snapshots' cannot meet RPO 1 hour; the best it supports is 1 day");
    assertInvalid(() => deriveBackupCadence(policy(Duration.minutes(1)), BackupStores.DYNAMODB_PITR),
      "store 'DynamoDB point-in-time recovery' cannot meet RPO 1 minute; the best it supports is 5 minutes");
    assertInvalid(() => deriveBackupCadence(policy(Duration.days(1), Duration.days(90)), BackupStores.ELASTICACHE_SNAPSHOTS),
      "invalid 'disasterRecovery.retention' (90 days)", 'cannot keep backups for 90 days; the longest it supports is 35 days');
  });

  it('reports on the caller construct and property', () => {
    assertInvalid(() => deriveBackupCadence(policy(Duration.minutes(2)), BackupStores.VELERO, { validator: new PropsValidator('test/backups'), property: 'dr' }),
      "test/backups: invalid 'dr.rpo' (2 minutes): store 'Velero schedule'");
  });

  it('validates the policy itself', () => {
    assertInvalid(() => deriveBackupCadence(policy(Duration.hours(2), Duration.hours(1)), BackupStores.VELERO),
      "'disasterRecovery.retention' (60 minutes)", 'must be at least the RPO (2 hours)');
    assertInvalid(() => deriveBackupCadence(policy(Duration.hours(1), Duration.days(1), { drRegion: 'west' }), BackupStores.VELERO),
      "'disasterRecovery.drRegion' (\"west\")", 'AWS region');
    assertInvalid(() => deriveBackupCadence(policy(Duration.hours(1)), BackupStores.VELERO, { hourUtc: 24 }), "'hourUtc' (24)");
  });
});

describe('per-service settings', () => {
  it('enables DynamoDB point-in-time recovery for the retention, at most 35 days', () => {
    assert.deepEqual(dynamoDbPointInTimeRecovery(policy(Duration.minutes(5), Duration.days(7))), { enabled: true, recoveryPeriodInDays: 7 });
    assert.deepEqual(dynamoDbPointInTimeRecovery(policy(Duration.hours(1), Duration.days(90))), { enabled: true, recoveryPeriodInDays: 35 });
    assertInvalid(() => dynamoDbPointInTimeRecovery(policy(Duration.minutes(2))), "store 'DynamoDB point-in-time recovery' cannot meet RPO 2 minutes");
  });

  it('derives ElastiCache snapshot retention and window, daily only', () => {
    assert.deepEqual(elastiCacheSnapshotSettings(policy(Duration.days(1), Duration.days(7))), { snapshotRetentionLimit: 7, snapshotWindow: '03:00-04:00' });
    assert.deepEqual(elastiCacheSnapshotSettings(policy(Duration.days(2), Duration.days(35)), { snapshotWindow: '23:30-01:00' }),
      { snapshotRetentionLimit: 35, snapshotWindow: '23:30-01:00' });
    assertInvalid(() => elastiCacheSnapshotSettings(policy(Duration.hours(1), Duration.days(7))),
      "store 'ElastiCache automatic snapshots' cannot meet RPO 1 hour; the best it supports is 1 day");
    assertInvalid(() => elastiCacheSnapshotSettings(policy(Duration.days(1), Duration.days(7)), { snapshotWindow: '03:00-03:30' }), 'at least 60 minutes');
    assertInvalid(() => elastiCacheSnapshotSettings(policy(Duration.days(1), Duration.days(7)), { snapshotWindow: '3am' }), "'snapshotWindow' (\"3am\")");
    assertInvalid(() => elastiCacheSnapshotSettings(policy(Duration.days(1), Duration.days(36))), 'the longest it supports is 35 days');
    assert.deepEqual(elastiCacheServerlessSnapshotSettings(policy(Duration.days(1), Duration.days(3)), { dailySnapshotTime: '02:15' }),
      { snapshotRetentionLimit: 3, dailySnapshotTime: '02:15' });
  });

  it('writes durations in words with the largest units', () => {
    assert.equal(humanDuration(Duration.hours(1)), '1 hour');
    assert.equal(humanDuration(Duration.minutes(90)), '1 hour 30 minutes');
    assert.equal(humanDuration(Duration.days(35)), '35 days');
    assert.equal(humanDuration(Duration.hours(36)), '1 day 12 hours');
  });
});
