// The restore drill's exact CronJob command, run with the pod's in-cluster credentials (token and CA
// files, KUBERNETES_SERVICE_HOST/PORT) against a loopback API stand-in over HTTPS that enforces the
// rendered RBAC and plays Velero, with faults injected. Each scenario is a failed drill followed by the
// next week's drill, which must run normally.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { Chart, Duration } from 'cdk8s';
import { PlatformBackups } from '../../src/dr/backups';
import { DRILL_FAILURE_METRIC, DRILL_MARK_LABEL, DRILL_METRICS, VELERO_RESTORE_NAME_LABEL } from '../../src/dr/restore-drill';
import { ModelService } from '../../src/serving/model-service';
import { CostPreset } from '../../src/policy/presets';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { ProcessRun, runNode } from '../support/process';
import { ManifestObject } from '../support/schema';
import { findObject, synthValid, testChart } from '../support/synth';
import { ApiStandIn, Obj, mountServiceAccount, selfSignedCert } from '../kube/stand-in';

const VELERO = '/apis/velero.io/v1/namespaces/velero';
const SCRATCH = '/api/v1/namespaces/ml-churn-drill';
const DEPLOYMENT = '/apis/apps/v1/namespaces/ml-churn-drill/deployments/churn-model';
const TOKEN = 'drill-sa-token';

/** How the Velero stand-in treats the next Restore. */
type VeleroMode = 'complete' | 'stuck' | 'vanish' | 'partially-failed';

/**
 * Plays Velero: a new Restore uses the existing namespace as it is (Velero's EnsureNamespaceExistsAndIsReady) or creates
 * it labelled as Velero does, restores the Deployment, then finishes per `mode`.
 */
function velero(api: ApiStandIn, state: { mode: VeleroMode; polls: Map<string, number> }): void {
  api.hooks.push((method, path) => {
    const m = new RegExp(`^${VELERO}/restores/([^/?]+)$`).exec(path);
    if (method === 'DELETE' && path === SCRATCH) {
      for (const key of [...api.objects.keys()].filter((k) => k.includes('/namespaces/ml-churn-drill/'))) {
        api.objects.delete(key);
      }
      return undefined;
    }
    if (method !== 'GET' || !m) {
      return undefined;
    }
    const restore = api.objects.get(path);
    if (!restore) {
      return undefined;
    }
    const polls = (state.polls.get(m[1]) ?? 0) + 1;
    state.polls.set(m[1], polls);
    if (polls === 1) {
      if (!api.objects.has(SCRATCH)) {
        api.put(SCRATCH, { metadata: { name: 'ml-churn-drill', labels: { team: 'churn', [VELERO_RESTORE_NAME_LABEL]: m[1], 'velero.io/backup-name': restore.spec.backupName } } });
      }
      api.put(DEPLOYMENT, { metadata: { name: 'churn-model' }, status: {} });
      restore.status = { phase: 'InProgress' };
    } else if (state.mode === 'vanish') {
      api.objects.delete(path);
      return undefined;
    } else if (state.mode === 'complete') {
      restore.status = { phase: 'Completed', errors: 0, warnings: 0 };
      const deployment = api.objects.get(DEPLOYMENT);
      if (deployment) {
        deployment.status = { readyReplicas: 1 };
      }
    } else if (state.mode === 'partially-failed') {
      restore.status = { phase: 'PartiallyFailed', errors: 2, warnings: 0 };
    }
    return [200, restore];
  });
}

describe('restore drill job: the CronJob command in cluster, against the API stand-in', () => {
  const tls = selfSignedCert();
  let objects: ManifestObject[];
  let files: Obj;
  let command: readonly string[];
  let api: ApiStandIn;
  /** The Pushgateway stand-in (plain HTTP, as in the cluster). */
  let pushgateway: ApiStandIn;
  let state: { mode: VeleroMode; polls: Map<string, number> };
  let dir: string;

  before(async () => {
    const { app, chart } = testChart('ml-churn');
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
    const backupsChart = new Chart(app, 'backups');
    const backups = new PlatformBackups(backupsChart, 'platform', {
      disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30) },
      namespaces: ['ml-churn'], services: [model], drill: {},
    });
    objects = await synthValid(backupsChart);
    files = findObject(objects, 'ConfigMap', 'platform-restore-drill').data;
    command = findObject(objects, 'CronJob', 'platform-restore-drill').spec.jobTemplate.spec.template.spec.containers[0].command;
    assert.deepEqual(command, backups.drill?.command);
  });

  beforeEach(async () => {
    api = await new ApiStandIn().start(tls);
    pushgateway = await new ApiStandIn().start();
    api.loadRbac(objects);
    api.serviceAccount(TOKEN, 'velero', 'platform-restore-drill');
    state = { mode: 'complete', polls: new Map() };
    velero(api, state);
    // Three backups of the schedule (one too new to be complete): the list pages (2 per page).
    const backup = (name: string, phase: string, at?: string) => api.put(`${VELERO}/backups/${name}`, {
      metadata: { name, labels: { 'velero.io/schedule-name': 'platform-ml-churn' } }, status: { phase, completionTimestamp: at },
    });
    backup('platform-ml-churn-1', 'Completed', '2026-01-01T03:05:00Z');
    backup('platform-ml-churn-2', 'Completed', '2026-01-01T05:04:00Z');
    backup('platform-ml-churn-3', 'InProgress');
    dir = mkdtempSync(join(tmpdir(), 'drill-job-'));
  });

  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([api.stop(), pushgateway.stop()]);
  });

  /** Lays out the ConfigMap and the ServiceAccount mount, and runs the CronJob's exact command. */
  async function drill(overrides: Obj = {}): Promise<ProcessRun & { firstError: string }> {
    const env = mountServiceAccount(dir, api, TOKEN, 'velero', tls.cert);
    writeFileSync(join(dir, 'restore-drill.js'), files['restore-drill.js']);
    const config = { ...JSON.parse(files['config.json']), pushgatewayUrl: pushgateway.url, serviceAccountDir: dir, pollSeconds: 0.05, ...overrides };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const run = await runNode(command.map((part) => part.replace('/opt/ml-platform', dir)).slice(1), { env });
    return { ...run, firstError: run.stderr.split('\n')[0] };
  }

  const lastPush = () => pushgateway.pushes[pushgateway.pushes.length - 1]?.body ?? '';
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(lastPush())?.[1]);
  const restores = () => [...api.objects.keys()].filter((k) => k.startsWith(`${VELERO}/restores/`));

  async function assertNextDrillRunsNormally(): Promise<void> {
    state.mode = 'complete';
    const next = await drill();
    assert.equal(next.code, 0, next.stderr);
    assert.equal(next.stderr, '');
    assert.equal(metric(DRILL_METRICS.success), 1);
    assert.match(lastPush(), new RegExp(`^${DRILL_FAILURE_METRIC}\\{reason="",stage="none"\\} 0$`, 'm'));
    assert.equal(api.objects.has(SCRATCH), false, 'the next drill cleaned up after itself');
  }

  it('runs with the rendered RBAC only, retries a 500 and a 429 (after its Retry-After), and cleans up', async () => {
    api.fault({ method: 'GET', path: `${VELERO}/backups?`, status: 500 });
    api.fault({ method: 'POST', path: `${VELERO}/restores`, status: 429, retryAfter: '1' });
    const started = Date.now();
    const run = await drill();
    assert.equal(run.code, 0, run.stderr);
    assert.ok(Date.now() - started >= 1000, 'waited for Retry-After');
    assert.deepEqual(api.requests.filter((r) => r.status === 403 || r.status === 401), [], 'every call is allowed by the rendered Role and ClusterRole');
    assert.ok(api.requests.filter((r) => r.path.startsWith('/api')).every((r) => r.user === 'system:serviceaccount:velero:platform-restore-drill'));
    assert.equal(api.seen('GET', `${VELERO}/backups?`).filter((r) => r.status === 200).length, 2, 'the backup list is paged');
    const [restore] = restores();
    const created = api.objects.get(restore) ?? {};
    assert.equal(created.spec.backupName, 'platform-ml-churn-2');
    assert.equal(created.metadata.labels[DRILL_MARK_LABEL], 'platform-restore-drill', 'marked as the drill\'s from creation');
    assert.deepEqual(created.spec.resourceModifier, { kind: 'configmap', name: 'platform-restore-drill-modifiers' },
      'the restored ServiceAccounts get the drill\'s identity, not production\'s');
    assert.equal(metric(DRILL_METRICS.success), 1);
    assert.equal(api.objects.has(SCRATCH), false);
  });

  it('after a timed-out drill, the next runs normally; the failure names its cause first and in the metrics', async () => {
    state.mode = 'stuck';
    const run = await drill({ timeoutSeconds: 1, cleanup: false });
    assert.equal(run.code, 1);
    assert.match(run.firstError, /^restore-drill: timed out after 1s waiting for restore platform-restore-drill-\w+ to finish \(stage: restore\)$/);
    assert.equal(metric(DRILL_METRICS.success), 0);
    assert.match(lastPush(), new RegExp(`^${DRILL_FAILURE_METRIC}\\{reason="timed out after 1s waiting for restore platform-restore-drill-\\w+ to finish",stage="restore"\\} 1$`, 'm'));
    assert.deepEqual(restores(), [], 'the failed drill deleted its Restore');
    assert.equal(api.objects.get(SCRATCH)?.metadata.labels[DRILL_MARK_LABEL], 'platform-restore-drill', 'kept (cleanup: false), but marked before waiting');
    await assertNextDrillRunsNormally();
  });

  it('fails within one poll when its Restore vanishes, and the next drill runs normally', async () => {
    state.mode = 'vanish';
    const started = Date.now();
    const run = await drill({ pollSeconds: 0.5, timeoutSeconds: 600 });
    assert.equal(run.code, 1);
    assert.ok(Date.now() - started < 5000, `failed at once, not after the timeout (${Date.now() - started}ms)`);
    assert.match(run.firstError, /^restore-drill: restore platform-restore-drill-\w+ vanished while the drill waited for it .*\(stage: restore\)$/);
    assert.deepEqual([...state.polls.values()], [2], 'one poll after the Restore was seen');
    assert.match(lastPush(), /stage="restore"\} 1$/m);
    assert.equal(api.objects.has(SCRATCH), false, 'the marked scratch namespace is deleted');
    await assertNextDrillRunsNormally();
  });

  it('creates the scratch namespace marked before its Restore, so a failed restore never needs a label patch to be cleaned up', async () => {
    state.mode = 'partially-failed';
    api.fault({ method: 'PATCH', path: SCRATCH, status: 409, times: 100 });
    const run = await drill({ cleanup: false });
    assert.equal(run.code, 1);
    assert.match(run.firstError, /^restore-drill: restore (platform-restore-drill-\w+) ended PartiallyFailed \(errors: 2, warnings: 0\); see: velero -n velero restore describe \1 --details \(stage: restore\)$/);
    const posts = api.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    assert.deepEqual(posts.slice(0, 2), ['/api/v1/namespaces', `${VELERO}/restores`], 'the namespace first, with the rendered RBAC');
    assert.equal(api.seen('PATCH', SCRATCH).length, 0, 'no label patch needed');
    assert.equal(api.objects.get(SCRATCH)?.metadata.labels[DRILL_MARK_LABEL], 'platform-restore-drill');
    assert.deepEqual(restores(), [], 'the failed drill deleted its Restore');
    api.faults.length = 0;
    await assertNextDrillRunsNormally();
  });

  it('still refuses to delete a namespace that is not the drill\'s', async () => {
    api.put(SCRATCH, { metadata: { name: 'ml-churn-drill', labels: { team: 'someone-else' } } });
    const run = await drill();
    assert.equal(run.code, 1);
    assert.match(run.firstError, /^restore-drill: namespace ml-churn-drill exists but is not marked .* refusing to delete it .*\(stage: pre-clean\)$/);
    assert.equal(api.seen('DELETE', '/').length + api.seen('POST', `${VELERO}/restores`).length, 0);
  });
});
