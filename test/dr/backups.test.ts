import assert from 'node:assert/strict';
import { assertMatchesCrd } from '../support/crd-schema';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Chart, Cron, Duration } from 'cdk8s';
import { BackedUpService, DRILL_MESH_RESOURCES, PlatformBackups, PlatformBackupsProps, VolumeBackupMethod } from '../../src/dr/backups';
import { ModelService } from '../../src/serving/model-service';
import { DisasterRecoveryPolicy } from '../../src/policy/disaster-recovery';
import { CostPreset } from '../../src/policy/presets';
import { DRILL_METRICS } from '../../src/dr/restore-drill-script';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, inventory, objectsOfKind, synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';
import { ProcessRun, runNode } from '../support/process';

const POLICY: DisasterRecoveryPolicy = { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30), drRegion: 'us-west-2' };

/** Validates a Velero object against its CRD schema (strict); throws with every error. */
function assertVeleroValid(obj: Record<string, any>): void {
  assert.equal(obj.apiVersion, 'velero.io/v1');
  assertMatchesCrd(obj as never);
}

// ---- fixtures ----

function platform(props: Partial<PlatformBackupsProps> = {}, withModel = true) {
  const { app, chart } = testChart('ml-churn');
  const model = withModel ? new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV }) : undefined;
  const backupsChart = new Chart(app, 'backups');
  const backups = new PlatformBackups(backupsChart, 'platform', {
    disasterRecovery: POLICY,
    namespaces: ['ml-churn', 'ml-features'],
    services: model ? [model] : [],
    ...props,
  });
  return { app, chart: backupsChart, backups, model };
}

function assertInvalid(fn: () => unknown, ...fragments: string[]): void {
  assertValidationError(fn, undefined, ...fragments);
}

describe('PlatformBackups', () => {
  it('renders one Velero Schedule per namespace in the velero namespace, valid against the CRD', async () => {
    const { chart } = platform();
    const objects = await synthValid(chart);
    const mine = objects.filter((o) => o.metadata?.labels && (o.metadata.labels as Record<string, string>)['app.kubernetes.io/name'] === 'platform');
    assert.deepEqual(inventory(mine), ['PrometheusRule/platform', 'Schedule/platform-ml-churn', 'Schedule/platform-ml-features']);
    for (const s of objectsOfKind(objects, 'Schedule')) {
      assert.equal(s.metadata.namespace, 'velero');
      assertVeleroValid(s);
    }
    const s = findObject(objects, 'Schedule', 'platform-ml-churn');
    assert.deepEqual(s.spec, {
      schedule: '0 * * * *',
      useOwnerReferencesInBackup: false,
      template: {
        includedNamespaces: ['ml-churn'],
        storageLocation: 'default',
        ttl: '720h0m0s',
        snapshotVolumes: false,
        defaultVolumesToFsBackup: true,
        metadata: { labels: { ...s.metadata.labels, 'ml-platform-constructs.dev/backup-namespace': 'ml-churn' } },
      },
    });
  });

  it('derives the cron from the RPO and the TTL from the retention', async () => {
    const cases: Array<[Duration, Duration, string, string]> = [
      [Duration.minutes(15), Duration.days(2), '*/15 * * * *', '48h0m0s'],
      [Duration.hours(6), Duration.days(14), '0 */6 * * *', '336h0m0s'],
      [Duration.days(1), Duration.days(90), '0 2 * * *', '2160h0m0s'],
    ];
    for (const [rpo, retention, cron, ttl] of cases) {
      const { chart, backups } = platform({ disasterRecovery: { ...POLICY, rpo, retention }, backupHourUtc: 2 });
      const s = findObject(await synthValid(chart), 'Schedule', 'platform-ml-churn');
      assert.equal(s.spec.schedule, cron);
      assert.equal(s.spec.template.ttl, ttl);
      assert.equal(backups.cadence.cron, cron);
      assertVeleroValid(s);
    }
  });

  it('backs volumes up by CSI snapshot, moving the data to the bucket when there is a DR region', async () => {
    const withDr = findObject(await synthValid(platform({ volumeBackup: VolumeBackupMethod.CSI_SNAPSHOT }).chart), 'Schedule', 'platform-ml-churn');
    assert.equal(withDr.spec.template.snapshotVolumes, true);
    assert.equal(withDr.spec.template.defaultVolumesToFsBackup, false);
    assert.equal(withDr.spec.template.snapshotMoveData, true);
    assertVeleroValid(withDr);
    const local = platform({ volumeBackup: VolumeBackupMethod.CSI_SNAPSHOT, disasterRecovery: { ...POLICY, drRegion: undefined } });
    const s = findObject(await synthValid(local.chart), 'Schedule', 'platform-ml-churn');
    assert.equal(s.spec.template.snapshotMoveData, undefined);
    const none = findObject(await synthValid(platform({ volumeBackup: VolumeBackupMethod.NONE }).chart), 'Schedule', 'platform-ml-churn');
    assert.deepEqual([none.spec.template.snapshotVolumes, none.spec.template.defaultVolumesToFsBackup], [false, false]);
  });

  it('alerts when a schedule misses the RPO or its metrics are missing, with a runbook_url', async () => {
    const { chart, backups } = platform({ monitoring: { runbookBaseUrl: 'https://git.example.com/runbooks/' } });
    const rule = findObject(await synthValid(chart), 'PrometheusRule', 'platform');
    assert.equal(rule.metadata.namespace, 'velero');
    assert.equal(rule.metadata.labels.release, 'kube-prometheus-stack');
    const [r] = rule.spec.groups[0].rules;
    assert.equal(r.alert, 'VeleroBackupOlderThanRpo');
    // Quiet on a fresh install: a schedule without a success fires only once Velero has known it for the threshold,
    // missing Velero metrics only once the velero namespace is that old (behaviour: test/monitoring/alerts.promtool.test.ts).
    assert.equal(r.expr, '(time() - max by (schedule) (velero_backup_last_successful_timestamp{schedule=~"platform-ml-churn|platform-ml-features"} > 0)) > 5400'
      + ' or (max by (schedule) (velero_backup_attempt_total{schedule="platform-ml-churn"} offset 5400s) unless on (schedule) (velero_backup_last_successful_timestamp{schedule="platform-ml-churn"} > 0))'
      + ' or (max by (schedule) (velero_backup_attempt_total{schedule="platform-ml-features"} offset 5400s) unless on (schedule) (velero_backup_last_successful_timestamp{schedule="platform-ml-features"} > 0))'
      + ' or (absent(velero_backup_attempt_total{schedule="platform-ml-churn"}) and on () ((time() - max(kube_namespace_created{namespace="velero"})) > 5400))'
      + ' or (absent(velero_backup_attempt_total{schedule="platform-ml-features"}) and on () ((time() - max(kube_namespace_created{namespace="velero"})) > 5400))');
    assert.equal(r.annotations.runbook_url, 'https://git.example.com/runbooks/platform-velero-backup-older-than-rpo.md');
    assert.deepEqual(backups.alerts.map((a) => a.name), ['VeleroBackupOlderThanRpo']);
  });

  it('rejects an RPO Velero cannot meet, naming the store and the best it supports', () => {
    assertInvalid(() => platform({ disasterRecovery: { ...POLICY, rpo: Duration.minutes(5) } }),
      "backups/platform: invalid 'disasterRecovery.rpo' (5 minutes): store 'Velero schedule' cannot meet RPO 5 minutes; the best it supports is 15 minutes");
  });

  it('rejects bad namespaces and services', () => {
    assertInvalid(() => platform({ namespaces: [] }), "'namespaces'", 'at least one namespace');
    assertInvalid(() => platform({ namespaces: ['ml-churn', 'velero'] }), "'namespaces[1]' (\"velero\")", "Velero's own namespace");
    assertInvalid(() => platform({ namespaces: ['ml-churn', 'ml-churn'] }), "'namespaces[1]'", 'unique');
    assertInvalid(() => platform({ namespaces: ['ml-features'] }), "'services[0].namespace' (\"ml-churn\")", 'backed-up namespaces');
    assertInvalid(() => platform({ name: 'p'.repeat(50) }), "'name'");
  });
});

describe('RestoreDrill', () => {
  it('renders a restricted CronJob with least-privilege RBAC and a Restore valid against the CRD', async () => {
    const { chart, backups } = platform({ drill: {} });
    const objects = await synthValid(chart);
    const cj = findObject(objects, 'CronJob', 'platform-restore-drill');
    assert.equal(cj.metadata.namespace, 'velero');
    assert.equal(cj.spec.schedule, '0 4 * * 1');
    assert.equal(cj.spec.timeZone, 'UTC');
    assert.equal(cj.spec.concurrencyPolicy, 'Forbid');
    const job = cj.spec.jobTemplate.spec;
    assert.equal(job.backoffLimit, 0);
    assert.equal(job.activeDeadlineSeconds, 2 * 3600 + 900, 'twice the RTO plus time to push and clean up');
    const pod = job.template.spec;
    assert.equal(pod.automountServiceAccountToken, true, 'the drill talks to the Kubernetes API');
    assert.equal(pod.serviceAccountName, 'platform-restore-drill');
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(pod.containers[0].command, ['node', '/opt/ml-platform/restore-drill.js', 'run', '--config', '/opt/ml-platform/config.json']);

    const role = findObject(objects, 'Role', 'platform-restore-drill');
    assert.equal(role.metadata.namespace, 'velero');
    assert.deepEqual(role.rules, [
      { apiGroups: ['velero.io'], resources: ['backups'], verbs: ['get', 'list'] },
      { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['create', 'get', 'delete'] },
    ]);
    const clusterRole = findObject(objects, 'ClusterRole', 'platform-restore-drill');
    assert.equal(clusterRole.metadata.namespace, undefined, 'cluster-scoped');
    assert.deepEqual(clusterRole.rules, [
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['ml-churn-drill'], verbs: ['get', 'patch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['churn-model'], verbs: ['get'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['ml-churn'], verbs: ['get'] },
    ]);
    assert.deepEqual(findObject(objects, 'ClusterRoleBinding', 'platform-restore-drill').subjects,
      [{ kind: 'ServiceAccount', name: 'platform-restore-drill', namespace: 'velero' }]);
    assert.equal(findObject(objects, 'RoleBinding', 'platform-restore-drill').roleRef.name, 'platform-restore-drill');

    const config = JSON.parse(findObject(objects, 'ConfigMap', 'platform-restore-drill').data['config.json']);
    assert.deepEqual({ ...config, restore: undefined }, {
      cleanup: true,
      drill: 'platform-restore-drill',
      pollSeconds: 10,
      pushgatewayUrl: 'http://prometheus-pushgateway.monitoring.svc:9091',
      restore: undefined,
      rtoSeconds: 3600,
      schedule: 'platform-ml-churn',
      scratchNamespace: 'ml-churn-drill',
      sourceNamespace: 'ml-churn',
      timeoutSeconds: 7200,
      veleroNamespace: 'velero',
      workloads: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'churn-model', plural: 'deployments' }],
    });
    assert.deepEqual(config.restore.spec, {
      scheduleName: 'platform-ml-churn',
      includedNamespaces: ['ml-churn'],
      namespaceMapping: { 'ml-churn': 'ml-churn-drill' },
      excludedResources: ['prometheusrules.monitoring.coreos.com', 'servicemonitors.monitoring.coreos.com', 'podmonitors.monitoring.coreos.com', 'jobs.batch', 'cronjobs.batch',
        ...DRILL_MESH_RESOURCES],
      restorePVs: true,
      resourceModifier: { kind: 'configmap', name: 'platform-restore-drill-modifiers' },
    });
    assertVeleroValid({ ...config.restore, metadata: { ...config.restore.metadata, name: 'platform-restore-drill-x' } });
    assert.equal(backups.drill?.scratchNamespace, 'ml-churn-drill');
    assert.equal(backups.drill?.node.defaultChild, backups.drill?.cronJob, 'the CronJob is the primary object');
  });

  it('alerts when the drill fails, exceeds the RTO or has not succeeded recently', async () => {
    const { chart, backups } = platform({ drill: { maxAge: Duration.days(15), schedule: Cron.schedule({ minute: '0', hour: '5', day: '1' }) } });
    const rules = findObject(await synthValid(chart), 'PrometheusRule', 'platform').spec.groups[0].rules;
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r]));
    assert.deepEqual(Object.keys(byName), ['VeleroBackupOlderThanRpo', 'RestoreDrillFailed', 'RestoreDrillExceededRto', 'RestoreDrillStale']);
    assert.equal(byName.RestoreDrillFailed.expr, `max(${DRILL_METRICS.success}{drill="platform-restore-drill"}) == 0`);
    assert.equal(byName.RestoreDrillExceededRto.expr, `max(${DRILL_METRICS.duration}{drill="platform-restore-drill"}) > 3600`);
    assert.equal(byName.RestoreDrillStale.expr,
      `(time() - max(${DRILL_METRICS.lastSuccess}{drill="platform-restore-drill"})) > ${15 * 86400}`
      + ` or ((time() - max(kube_cronjob_created{namespace="velero",cronjob="platform-restore-drill"})) > ${15 * 86400}`
      + ` unless max(${DRILL_METRICS.lastSuccess}{drill="platform-restore-drill"}))`);
    // Under the test app's runbook base (test/support/synth.ts TEST_LINKS); the drill panel of the platform dashboard.
    assert.equal(byName.RestoreDrillExceededRto.annotations.runbook_url, 'https://git.example.com/ml-gitops/blob/main/dist/runbooks/platform-restore-drill-exceeded-rto.md');
    assert.equal(byName.RestoreDrillExceededRto.annotations.dashboard_url, 'https://grafana.example.com/d/ml-platform?viewPanel=11');
    assert.equal(backups.alerts.length, 4);
  });

  it('waits for an Argo Rollout when a canary runs the model, and rejects a workload that changes later', async () => {
    const rollout: BackedUpService = { name: 'churn-model', namespace: 'ml-churn', workload: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'churn-model' } };
    const { chart } = platform({ services: [rollout], drill: {} }, false);
    const objects = await synthValid(chart);
    assert.deepEqual(findObject(objects, 'ClusterRole', 'platform-restore-drill').rules[1],
      { apiGroups: ['argoproj.io'], resources: ['rollouts'], resourceNames: ['churn-model'], verbs: ['get'] });

    const mutable = { name: 'm', namespace: 'ml-churn', workload: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'm' } };
    const later = platform({ services: [mutable], drill: {} }, false);
    mutable.workload = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'm' };
    await assert.rejects(synthValid(later.chart), /service 'm' is now run by Rollout m; create the backups after the canary/);
  });

  it('rejects a drill that cannot prove anything', () => {
    assertInvalid(() => platform({ drill: {} }, false), "'services' ([])", 'must list at least one service when a drill is requested');
    assertInvalid(() => platform({ drill: { scratchNamespace: 'ml-churn' } }), "'scratchNamespace' (\"ml-churn\")", 'must differ');
    assertInvalid(() => platform({ drill: { timeout: Duration.minutes(30) } }), "'timeout' (30 minutes)", 'at least the RTO (1 hour)');
    assertInvalid(() => platform({ drill: { namespace: 'ml-features' } }), "'services'", "at least one service in 'ml-features'");
    assertInvalid(() => platform({ drill: { pushgatewayUrl: 'pushgateway:9091' } }), "'pushgatewayUrl'");
  });
});

describe('restore runbook', () => {
  const AWS = {
    region: 'us-east-1',
    backupVaultName: 'platform',
    drBackupVaultName: 'platform-dr',
    backupSchedule: 'cron(0 * ? * * *)',
    backupRoleArn: 'arn:aws:iam::123456789012:role/platform-backup-role',
    selectionTag: 'ml-platform-constructs.dev/backup=platform',
    buckets: [{ purpose: 'model-artifacts', bucketName: 'platform-model-artifacts-abc', replicaBucketName: 'platform-model-artifacts-replica-def' }],
    veleroBucketName: 'platform-velero-abc',
    veleroReplicaBucketName: 'platform-velero-replica-def',
    dynamoDbTables: ['churn-features'],
    elastiCacheReplicationGroups: [{ replicationGroupId: 'churn-online', cacheNodeType: 'cache.r7g.large', subnetGroupName: 'ml-cache', securityGroupIds: ['sg-1'] }],
  };

  it('names the real objects in every restore command, with the RPO/RTO it was built for', () => {
    const { backups } = platform({ drill: {}, aws: AWS });
    const md = backups.runbookMarkdown();
    assert.equal(backups.runbookPath, 'runbooks/platform-restore.md');
    assert.match(md, /^# Restore runbook: platform\n/);
    assert.ok(md.includes('| RPO (most data a restore may lose) | 1 hour |'));
    assert.ok(md.includes('| RTO (longest a restore may take) | 1 hour |'));
    const commands = [
      'velero -n velero backup get --selector velero.io/schedule-name=platform-ml-churn',
      'velero -n velero restore create "$RESTORE" --from-schedule platform-ml-churn --include-namespaces ml-churn --wait',
      'RESTORE=platform-ml-features-side-by-side-$(date -u +%Y%m%d%H%M%S)\nvelero -n velero restore create "$RESTORE" --from-schedule platform-ml-features --include-namespaces ml-features --namespace-mappings ml-features:ml-features-restored --wait',
      'kubectl -n ml-churn rollout status deployment/churn-model --timeout=30m',
      'velero -n velero backup-location create dr-replica --provider aws --bucket platform-velero-replica-def --config region=us-west-2 --access-mode ReadOnly',
      ': "${KEY:?set KEY to the key of the object to restore}"',
      'aws s3api list-object-versions --bucket platform-model-artifacts-abc --prefix "$KEY" --region us-east-1',
      'aws s3api copy-object --bucket platform-model-artifacts-abc --key "$KEY" --copy-source "platform-model-artifacts-abc/$KEY?versionId=$GOOD_VERSION" --region us-east-1',
      'aws s3 sync s3://platform-model-artifacts-replica-def/ s3://platform-model-artifacts-abc/ --source-region us-west-2 --region us-east-1',
      'aws dynamodb restore-table-to-point-in-time --source-table-name churn-features --target-table-name churn-features-restored --restore-date-time "$RESTORE_TIME" --region us-east-1',
      'aws elasticache create-replication-group --replication-group-id churn-online-restored --replication-group-description "restore of churn-online" --snapshot-name "$SNAPSHOT" --engine valkey --cache-node-type cache.r7g.large --cache-subnet-group-name ml-cache --security-group-ids sg-1 --region us-east-1',
      'aws backup list-recovery-points-by-backup-vault --backup-vault-name platform-dr --by-resource-arn "$RESOURCE_ARN" --region us-west-2',
      'aws backup start-restore-job --recovery-point-arn "$RECOVERY_POINT" --iam-role-arn arn:aws:iam::123456789012:role/platform-backup-role --metadata file://restore-metadata.json --region us-east-1',
      'JOB=platform-restore-drill-manual-$(date -u +%s)\nkubectl -n velero create job --from=cronjob/platform-restore-drill "$JOB"',
      'kubectl -n velero logs "job/$JOB"',
      'velero -n velero restore create "platform-ml-churn-dr-$(date -u +%Y%m%d%H%M%S)" --from-backup "$BACKUP" --wait',
    ];
    for (const c of commands) {
      assert.ok(md.includes(c), `runbook lacks: ${c}`);
    }
    assert.ok(md.includes('| Namespace `ml-churn` | Velero Schedule `platform-ml-churn` (volumes by file-system backup) | `0 * * * *` | `720h0m0s` |'));
    assert.ok(md.includes('- [RestoreDrillExceededRto](https://git.example.com/ml-gitops/blob/main/dist/runbooks/platform-restore-drill-exceeded-rto.md) (warning): platform: the last restore drill took longer than the RTO (1 hour)'));
    assert.equal(md, platform({ drill: {}, aws: AWS }).backups.runbookMarkdown(), 'deterministic');
  });

  it('gives every alert a runbook with the commands for these schedules and this drill', () => {
    const { backups } = platform({ drill: {} });
    const runbooks = backups.runbooks();
    assert.deepEqual(runbooks.map((r) => r.alert.name), backups.alerts.map((a) => a.name));
    const text = (name: string) => {
      const rb = runbooks.find((r) => r.alert.name === name)!;
      assert.ok(rb.investigate.length > 0 && rb.mitigate.length > 0, name);
      return [...rb.investigate, ...rb.mitigate].join('\n');
    };
    const rpo = text('VeleroBackupOlderThanRpo');
    assert.ok(rpo.includes('velero -n velero backup get --selector velero.io/schedule-name=platform-ml-features'));
    assert.ok(rpo.includes('velero -n velero backup create --from-schedule platform-ml-churn --wait'));
    assert.ok(rpo.includes('[platform-restore.md](platform-restore.md) (RPO 1 hour, RTO 1 hour)'), 'links the restore runbook next to it');
    assert.ok(text('RestoreDrillFailed').includes('kubectl -n ml-churn-drill get pods,pvc,events --sort-by=.lastTimestamp'));
    assert.ok(text('RestoreDrillStale').includes('kubectl -n velero create job --from=cronjob/platform-restore-drill "$JOB"'));
    assert.ok(text('RestoreDrillFailed').includes('RESTORE=$(kubectl -n velero get restores.velero.io -l ml-platform-constructs.dev/restore-drill=platform-restore-drill'), 'finds the newest drill Restore by its mark');
    for (const rb of runbooks) {
      assert.doesNotMatch([...rb.investigate, ...rb.mitigate].join('\n'), /<[a-z][a-z0-9-]*>/, `${rb.alert.name}: nothing left to fill in`);
    }
    assert.ok(text('RestoreDrillStale').includes('curl -s http://prometheus-pushgateway.monitoring.svc:9091/metrics | grep ml_platform_restore_drill'));
    assert.ok(text('RestoreDrillExceededRto').includes('now 1 hour'));
  });

  it('says when there is no way back after a region loss', () => {
    const { backups } = platform({ disasterRecovery: { ...POLICY, drRegion: undefined } });
    const md = backups.runbookMarkdown();
    assert.ok(md.includes('| DR region | none (no cross-region copies) |'));
    assert.ok(md.includes('Not prepared: the policy has no DR region'));
    assert.ok(!md.includes('aws s3api'), 'no AWS sections without AWS names');
  });

  it('with a DR region but no AWS names (the GitOps path) says how to restore from the replica instead of "not prepared"', () => {
    const { backups } = platform({});
    const md = backups.runbookMarkdown();
    assert.ok(md.includes('| DR region | us-west-2 |'));
    assert.ok(!md.includes('Not prepared'), md);
    assert.ok(md.includes('The policy replicates to us-west-2, but this runbook was rendered without the AWS names'));
    assert.ok(md.includes('--bucket "$REPLICA_BUCKET" --config region=us-west-2 --access-mode ReadOnly'));
  });
});

// ---- the drill script, run as the CronJob runs it, against a fake API server and Pushgateway ----

interface FakeCluster {
  scratchExists: boolean;
  scratchLabels: Record<string, string>;
  restorePhases: string[];
  readyAfter: number;
  requests: Array<{ method: string; path: string; body: string; auth?: string }>;
}

describe('restore drill script', () => {
  let server: Server;
  let url: string;
  let cluster: FakeCluster;

  const backups = {
    items: [
      { metadata: { name: 'platform-ml-churn-20260101030000' }, status: { phase: 'Completed', completionTimestamp: '2026-01-01T03:05:00Z' } },
      { metadata: { name: 'platform-ml-churn-20260101050000' }, status: { phase: 'Completed', completionTimestamp: '2026-01-01T05:04:00Z' } },
      { metadata: { name: 'platform-ml-churn-20260101060000' }, status: { phase: 'PartiallyFailed', completionTimestamp: '2026-01-01T06:04:00Z' } },
      { metadata: { name: 'platform-ml-churn-20260101070000' }, status: { phase: 'InProgress' } },
    ],
  };

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        cluster.requests.push({ method: req.method ?? '', path, body, auth: req.headers.authorization });
        const send = (status: number, json?: unknown) => {
          res.statusCode = status;
          res.setHeader('content-type', 'application/json');
          res.end(json === undefined ? '' : JSON.stringify(json));
        };
        const ns = '/api/v1/namespaces/ml-churn-drill';
        if (path === '/api/v1/namespaces/ml-churn' && req.method === 'GET') {
          return send(200, { metadata: { name: 'ml-churn', labels: { 'kubernetes.io/metadata.name': 'ml-churn', team: 'churn' } } });
        }
        if (path === '/api/v1/namespaces' && req.method === 'POST') {
          // The drill creates the scratch namespace, marked, before its Restore.
          const created = JSON.parse(body);
          cluster.scratchExists = true;
          cluster.scratchLabels = created.metadata.labels;
          return send(201, created);
        }
        if (path === ns && req.method === 'GET') {
          return cluster.scratchExists ? send(200, { metadata: { name: 'ml-churn-drill', labels: cluster.scratchLabels } }) : send(404, { message: 'not found' });
        }
        if (path === ns && req.method === 'PATCH') {
          assert.equal(req.headers['content-type'], 'application/merge-patch+json');
          cluster.scratchLabels = { ...cluster.scratchLabels, ...JSON.parse(body).metadata.labels };
          return send(200, {});
        }
        if (path === ns && req.method === 'DELETE') {
          cluster.scratchExists = false;
          return send(200, {});
        }
        if (path === `/apis/velero.io/v1/namespaces/velero/backups?labelSelector=${encodeURIComponent('velero.io/schedule-name=platform-ml-churn')}&limit=250`) {
          return send(200, backups);
        }
        if (path === '/apis/velero.io/v1/namespaces/velero/restores' && req.method === 'POST') {
          return send(201, JSON.parse(body));
        }
        if (/^\/apis\/velero.io\/v1\/namespaces\/velero\/restores\/platform-restore-drill-\w+$/.test(path) && req.method === 'DELETE') {
          return send(200, {});
        }
        if (/^\/apis\/velero.io\/v1\/namespaces\/velero\/restores\/platform-restore-drill-\w+$/.test(path)) {
          const phase = cluster.restorePhases.length > 1 ? cluster.restorePhases.shift() : cluster.restorePhases[0];
          if (phase !== 'InProgress') {
            cluster.scratchExists = true;
          }
          return send(200, { status: { phase, errors: phase === 'Completed' ? 0 : 2, warnings: 1 } });
        }
        if (path === '/apis/apps/v1/namespaces/ml-churn-drill/deployments/churn-model') {
          cluster.readyAfter--;
          return cluster.readyAfter > 0 ? send(404, {}) : send(200, { status: { readyReplicas: 1 } });
        }
        if (path === '/metrics/job/ml_platform_restore_drill/drill/platform-restore-drill' && req.method === 'POST') {
          return send(202);
        }
        return send(500, { message: `unexpected ${req.method} ${path}` });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Lays out the ConfigMap as the volume would, points the job at the fake servers and runs the CronJob's exact command. */
  async function runDrill(): Promise<ProcessRun> {
    const { chart, backups: b } = platform({ drill: {} });
    const cm = findObject(await synthValid(chart), 'ConfigMap', 'platform-restore-drill');
    const dir = mkdtempSync(join(tmpdir(), 'restore-drill-'));
    try {
      writeFileSync(join(dir, 'token'), 'test-token\n');
      writeFileSync(join(dir, 'restore-drill.js'), cm.data['restore-drill.js']);
      const config = { ...JSON.parse(cm.data['config.json']), apiServer: url, pushgatewayUrl: url, serviceAccountDir: dir, pollSeconds: 0.05 };
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      const command = b.drill!.command.map((part) => part.replace('/opt/ml-platform', dir));
      return await runNode(command.slice(1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const pushed = () => cluster.requests.filter((r) => r.path.startsWith('/metrics/')).map((r) => r.body);
  const metric = (body: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1]);

  it('restores the newest completed backup, waits for the model, pushes the restore time and cleans up', async () => {
    cluster = { scratchExists: false, scratchLabels: {}, restorePhases: ['InProgress', 'InProgress', 'Completed'], readyAfter: 3, requests: [] };
    const run = await runDrill();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /restoring backup platform-ml-churn-20260101050000 .* of ml-churn into ml-churn-drill/);
    assert.ok(cluster.requests.every((r) => r.path.startsWith('/metrics/') || r.auth === 'Bearer test-token'), 'every API call carries the token');
    const create = cluster.requests.find((r) => r.method === 'POST' && r.path.endsWith('/restores'))!;
    const restore = JSON.parse(create.body);
    assert.match(restore.metadata.name, /^platform-restore-drill-[0-9a-z]{9}$/, 'a fixed name per run: a retried create finds its own Restore');
    assert.equal(restore.metadata.labels['ml-platform-constructs.dev/restore-drill'], 'platform-restore-drill', 'marked as the drill\'s');
    assert.equal(restore.metadata.namespace, 'velero');
    assert.equal(restore.spec.backupName, 'platform-ml-churn-20260101050000', 'the newest Completed backup');
    assert.equal(restore.spec.scheduleName, undefined, 'Velero refuses a backup and a schedule together');
    assert.deepEqual(restore.spec.namespaceMapping, { 'ml-churn': 'ml-churn-drill' });
    assertVeleroValid(restore);
    assert.equal(cluster.scratchLabels['ml-platform-constructs.dev/restore-drill'], 'platform-restore-drill', 'marked as the drill\'s own');
    const [body] = pushed();
    assert.equal(metric(body, DRILL_METRICS.success), 1);
    assert.equal(metric(body, DRILL_METRICS.rto), 3600);
    assert.ok(metric(body, DRILL_METRICS.duration) > 0 && metric(body, DRILL_METRICS.duration) < 60);
    assert.ok(metric(body, DRILL_METRICS.backupAge) > 0);
    assert.ok(metric(body, DRILL_METRICS.lastSuccess) >= metric(body, DRILL_METRICS.lastRun));
    assert.match(body, /^# TYPE ml_platform_restore_drill_success gauge$/m);
    assert.ok(cluster.requests.some((r) => r.method === 'DELETE' && r.path === '/api/v1/namespaces/ml-churn-drill'), 'scratch namespace deleted');
    assert.equal(cluster.scratchExists, false);
  });

  it('reports a partially failed restore as a failure and keeps the last success timestamp', async () => {
    cluster = { scratchExists: false, scratchLabels: {}, restorePhases: ['PartiallyFailed'], readyAfter: 1, requests: [] };
    const run = await runDrill();
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^restore-drill: restore (platform-restore-drill-\w+) ended PartiallyFailed \(errors: 2, warnings: 1\); see: velero -n velero restore describe \1 --details \(stage: restore\)\n/);
    assert.ok(cluster.requests.some((r) => r.method === 'DELETE' && r.path.includes('/restores/platform-restore-drill-')), 'the failed drill deletes its Restore');
    const [body] = pushed();
    assert.equal(metric(body, DRILL_METRICS.success), 0);
    assert.ok(Number.isNaN(metric(body, DRILL_METRICS.lastSuccess)), 'a failed run does not overwrite the last success');
    assert.ok(metric(body, DRILL_METRICS.duration) >= 0);
  });

  it('deletes a leftover scratch namespace of its own first, and refuses to delete anyone else\'s', async () => {
    cluster = { scratchExists: true, scratchLabels: { 'ml-platform-constructs.dev/restore-drill': 'platform-restore-drill' }, restorePhases: ['Completed'], readyAfter: 1, requests: [] };
    assert.equal((await runDrill()).code, 0);
    assert.equal(cluster.requests.filter((r) => r.method === 'DELETE').length, 2, 'the leftover, then the fresh copy');

    cluster = { scratchExists: true, scratchLabels: { team: 'someone-else' }, restorePhases: ['Completed'], readyAfter: 1, requests: [] };
    const run = await runDrill();
    assert.equal(run.code, 1);
    assert.match(run.stderr,
      /^restore-drill: namespace ml-churn-drill exists but is not marked ml-platform-constructs.dev\/restore-drill=platform-restore-drill nor made by one of the drill's restores; refusing to delete it/);
    assert.equal(cluster.requests.filter((r) => r.method === 'DELETE' || r.method === 'POST' && r.path.endsWith('/restores')).length, 0);
    assert.equal(metric(pushed()[0], DRILL_METRICS.success), 0);
  });
});
