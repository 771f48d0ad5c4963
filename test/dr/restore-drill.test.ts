import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DRILL_MARK_LABEL, DRILL_METRICS, RestoreDrillApi, RestoreDrillConfig, drillPushUrl, formatDrillMetrics, newestCompletedBackup,
  restoreDrillClient, restoreDrillConfigProblem, restoreRequest, runRestoreDrill, workloadPath,
} from '../../src/dr/restore-drill';
import { RESTORE_DRILL_SCRIPT } from '../../src/dr/restore-drill-script';
import { KubeClient, KubeResult } from '../../src/kube/kube-client';

const BUNDLE = join(__dirname, '..', '..', 'bundles', 'restore-drill.js');

const CONFIG: RestoreDrillConfig = {
  drill: 'platform-restore-drill',
  veleroNamespace: 'velero',
  schedule: 'platform-ml-churn',
  sourceNamespace: 'ml-churn',
  scratchNamespace: 'ml-churn-drill',
  restore: {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'ignored', namespace: 'velero', labels: { a: 'b' } },
    spec: { scheduleName: 'platform-ml-churn', includedNamespaces: ['ml-churn'], namespaceMapping: { 'ml-churn': 'ml-churn-drill' } },
  },
  workloads: [{ apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', name: 'churn-model' }],
  timeoutSeconds: 600,
  rtoSeconds: 300,
  pollSeconds: 10,
  pushgatewayUrl: 'http://pushgateway:9091/',
  cleanup: true,
};

const NS = '/api/v1/namespaces/ml-churn-drill';
/** The Restore's name: the drill, its start second in base 36 and three random characters ('000' with random 0). */
const RESTORE = `platform-restore-drill-${Math.floor(Date.parse('2026-01-01T06:00:00Z') / 1000).toString(36)}000`;
const VELERO = '/apis/velero.io/v1/namespaces/velero';

/** An in-memory cluster behind the drill's API, with a fake clock: every sleep advances it. */
class FakeCluster implements RestoreDrillApi {
  public scratch?: Record<string, string>;
  public scratchCreated?: Record<string, string>;
  public restorePhases = ['InProgress', 'Completed'];
  public readyAfterPolls = 2;
  public readonly calls: string[] = [];
  public created?: Record<string, unknown>;
  public clock = Date.parse('2026-01-01T06:00:00Z');
  public readonly pushes: Array<{ url: string; body: string }> = [];
  public readonly logs: string[] = [];
  public readonly errors: string[] = [];

  public getJson<T>(path: string): Promise<T | undefined> {
    this.calls.push(`GET ${path}`);
    return Promise.resolve(this.answer(path) as T | undefined);
  }

  public list<T>(path: string): Promise<T[]> {
    this.calls.push(`LIST ${path}`);
    return Promise.resolve(((this.answer(path) as any)?.items ?? []) as T[]);
  }

  public create<T>(path: string, body: unknown): Promise<KubeResult<T>> {
    this.calls.push(`POST ${path}`);
    if (path === '/api/v1/namespaces') {
      this.scratch = (body as any).metadata.labels;
      this.scratchCreated = this.scratch;
      return Promise.resolve({ ok: true, value: body as T });
    }
    this.created = body as Record<string, unknown>;
    return Promise.resolve({ ok: true, value: body as T });
  }

  public mergePatch(path: string, patch: any): Promise<KubeResult<unknown>> {
    this.calls.push(`PATCH ${path}`);
    this.scratch = { ...this.scratch, ...patch.metadata.labels };
    return Promise.resolve({ ok: true, value: {} });
  }

  public delete(path: string): Promise<KubeResult<unknown>> {
    this.calls.push(`DELETE ${path}`);
    if (path === NS) {
      const existed = this.scratch !== undefined;
      this.scratch = undefined;
      return Promise.resolve(existed ? { ok: true, value: {} } : { ok: false, outcome: 'notFound', status: 404, message: 'gone' });
    }
    return Promise.resolve({ ok: true, value: {} });
  }

  public deps() {
    return {
      api: this,
      push: (url: string, body: string) => {
        this.pushes.push({ url, body });
        return Promise.resolve();
      },
      log: (m: string) => this.logs.push(m),
      error: (m: string) => this.errors.push(m),
      now: () => this.clock,
      sleep: (ms: number) => {
        this.clock += ms;
        return Promise.resolve();
      },
      random: () => 0,
    };
  }

  private answer(path: string): unknown {
    if (path === '/api/v1/namespaces/ml-churn') {
      return { metadata: { labels: { 'kubernetes.io/metadata.name': 'ml-churn', 'pod-security.kubernetes.io/enforce': 'restricted' } } };
    }
    if (path === NS) {
      return this.scratch === undefined ? undefined : { metadata: { labels: this.scratch } };
    }
    if (path.startsWith(`${VELERO}/backups?`)) {
      return {
        items: [
          { metadata: { name: 'b-old' }, status: { phase: 'Completed', completionTimestamp: '2026-01-01T03:05:00Z' } },
          { metadata: { name: 'b-new' }, status: { phase: 'Completed', completionTimestamp: '2026-01-01T05:00:00Z' } },
        ],
      };
    }
    if (path === `${VELERO}/restores/${RESTORE}`) {
      const phase = this.restorePhases.length > 1 ? this.restorePhases.shift() : this.restorePhases[0];
      if (phase !== 'InProgress') {
        this.scratch = this.scratch ?? { restored: 'yes' };
      }
      return { status: { phase, errors: 0, warnings: 0 } };
    }
    if (path === '/apis/apps/v1/namespaces/ml-churn-drill/deployments/churn-model') {
      return --this.readyAfterPolls > 0 ? { status: {} } : { status: { readyReplicas: 1 } };
    }
    throw new Error(`unexpected GET ${path}`);
  }
}

const metric = (body: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1]);

describe('restore drill logic', () => {
  it('picks the newest completed backup, ignoring unfinished and failed ones', () => {
    assert.deepEqual(newestCompletedBackup([
      { metadata: { name: 'a' }, status: { phase: 'Completed', completionTimestamp: '2026-01-01T03:00:00Z' } },
      { metadata: { name: 'b' }, status: { phase: 'Completed', completionTimestamp: '2026-01-01T05:00:00Z' } },
      { metadata: { name: 'c' }, status: { phase: 'PartiallyFailed', completionTimestamp: '2026-01-01T06:00:00Z' } },
      { metadata: { name: 'd' }, status: { phase: 'Completed' } },
      { metadata: { name: 'e' } },
    ]), { name: 'b', completionTimestamp: '2026-01-01T05:00:00Z' });
    assert.equal(newestCompletedBackup([]), undefined);
  });

  it('builds the Restore from the configured manifest: its name, the drill\'s mark, the backup instead of the schedule', () => {
    assert.deepEqual(restoreRequest(CONFIG, 'b-new', 'platform-restore-drill-x'), {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { namespace: 'velero', labels: { a: 'b', [DRILL_MARK_LABEL]: 'platform-restore-drill' }, name: 'platform-restore-drill-x' },
      spec: { includedNamespaces: ['ml-churn'], namespaceMapping: { 'ml-churn': 'ml-churn-drill' }, backupName: 'b-new' },
    });
    assert.equal(CONFIG.restore.metadata && (CONFIG.restore.metadata as any).name, 'ignored', 'the config is not modified');
  });

  it('names API paths, the push URL and formats the gauges sorted and rounded', () => {
    assert.equal(workloadPath('ns', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', plural: 'rollouts', name: 'm' }), '/apis/argoproj.io/v1alpha1/namespaces/ns/rollouts/m');
    assert.equal(workloadPath('ns', { apiVersion: 'v1', kind: 'Pod', plural: 'pods', name: 'p' }), '/api/v1/namespaces/ns/pods/p');
    assert.equal(drillPushUrl('http://pg:9091//', 'a b'), 'http://pg:9091/metrics/job/ml_platform_restore_drill/drill/a%20b');
    assert.equal(formatDrillMetrics({ [DRILL_METRICS.success]: 1, [DRILL_METRICS.duration]: 12.34567 }), [
      '# TYPE ml_platform_restore_drill_duration_seconds gauge', 'ml_platform_restore_drill_duration_seconds 12.346',
      '# TYPE ml_platform_restore_drill_success gauge', 'ml_platform_restore_drill_success 1', '',
    ].join('\n'));
    assert.equal(restoreDrillConfigProblem(CONFIG), undefined);
    assert.match(restoreDrillConfigProblem({ ...CONFIG, scratchNamespace: 'ml-churn' }) ?? '', /must differ from the source namespace/);
  });

  it('restores, waits, marks the namespace, pushes the measured times and cleans up', async () => {
    const cluster = new FakeCluster();
    const started = cluster.clock;
    assert.equal(await runRestoreDrill(CONFIG, cluster.deps()), 0, cluster.errors.join('\n'));
    assert.deepEqual(cluster.created?.spec, { includedNamespaces: ['ml-churn'], namespaceMapping: { 'ml-churn': 'ml-churn-drill' }, backupName: 'b-new' });
    const posts = cluster.calls.filter((c) => c.startsWith('POST'));
    assert.deepEqual(posts, ['POST /api/v1/namespaces', `POST ${VELERO}/restores`], 'the namespace is created before the Restore');
    assert.equal(cluster.scratchCreated?.[DRILL_MARK_LABEL], 'platform-restore-drill', 'created marked as the drill\'s own');
    assert.equal(cluster.scratchCreated?.['pod-security.kubernetes.io/enforce'], 'restricted', 'with the source namespace\'s labels');
    assert.equal(cluster.scratchCreated?.['kubernetes.io/metadata.name'], undefined);
    assert.deepEqual(cluster.calls.filter((c) => c.startsWith('DELETE')), [`DELETE ${NS}`], 'cleanup deletes the restored copy');
    const [{ url, body }] = cluster.pushes;
    assert.equal(url, 'http://pushgateway:9091/metrics/job/ml_platform_restore_drill/drill/platform-restore-drill');
    assert.equal(metric(body, DRILL_METRICS.success), 1);
    assert.equal(metric(body, DRILL_METRICS.rto), 300);
    assert.equal(metric(body, DRILL_METRICS.lastRun), started / 1000);
    assert.equal(metric(body, DRILL_METRICS.backupAge), 3600, 'the backup completed an hour before the restore started');
    assert.equal(metric(body, DRILL_METRICS.duration), 20, 'one poll for the restore, one for the workload');
    assert.equal(metric(body, DRILL_METRICS.lastSuccess), (started + 20000) / 1000);
    assert.ok(cluster.logs.some((l) => l === 'restore drill succeeded in 20.0s (RTO 300s)'));
  });

  it('gives up at the timeout, pushes success 0 with the time spent, and exits 1', async () => {
    const cluster = new FakeCluster();
    cluster.readyAfterPolls = Number.POSITIVE_INFINITY;
    assert.equal(await runRestoreDrill({ ...CONFIG, cleanup: false }, cluster.deps()), 1);
    assert.deepEqual(cluster.errors, ['timed out after 600s waiting for Deployment churn-model to have every replica ready (0/1 replicas ready) (stage: workloads)']);
    const body = cluster.pushes[0].body;
    assert.match(body, /^ml_platform_restore_drill_failure_info\{reason="timed out after 600s waiting for Deployment churn-model to have every replica ready \(0\/1 replicas ready\)",stage="workloads"\} 1$/m);
    assert.ok(cluster.calls.includes(`DELETE ${VELERO}/restores/${RESTORE}`), 'the failed drill deletes its Restore');
    assert.equal(metric(body, DRILL_METRICS.success), 0);
    assert.ok(metric(body, DRILL_METRICS.duration) >= 600);
    assert.ok(Number.isNaN(metric(body, DRILL_METRICS.lastSuccess)));
    assert.equal(cluster.calls.filter((c) => c === `DELETE ${NS}`).length, 0, 'cleanup: false keeps the scratch namespace');
    assert.equal(cluster.scratch?.[DRILL_MARK_LABEL], 'platform-restore-drill');
  });

  it('fails when a restored workload cannot reach its dependencies: every replica must be ready, the failing conditions are the reason', async () => {
    class Unreachable extends FakeCluster {
      public override getJson<T>(path: string): Promise<T | undefined> {
        if (path === '/apis/apps/v1/namespaces/ml-churn-drill/deployments/churn-model') {
          this.calls.push(`GET ${path}`);
          return Promise.resolve({
            spec: { replicas: 2 },
            status: { readyReplicas: 1, conditions: [
              { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
              { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
            ] },
          } as T);
        }
        return super.getJson<T>(path);
      }
    }
    const cluster = new Unreachable();
    assert.equal(await runRestoreDrill(CONFIG, cluster.deps()), 1);
    assert.deepEqual(cluster.errors, ['timed out after 600s waiting for Deployment churn-model to have every replica ready '
      + '(1/2 replicas ready; Available: MinimumReplicasUnavailable Deployment does not have minimum availability.) (stage: workloads)']);
    assert.ok(cluster.calls.includes(`DELETE ${NS}`), 'and still cleans up');
  });

  it('cleans up the namespace it created when the Restore cannot be created (it is labelled before the Restore exists)', async () => {
    class RestoreRefused extends FakeCluster {
      public override create<T>(path: string, body: unknown): Promise<KubeResult<T>> {
        return path === '/api/v1/namespaces' ? super.create<T>(path, body)
          : Promise.resolve({ ok: false, outcome: 'invalid', status: 422, message: 'denied by ValidatingAdmissionPolicy' });
      }
    }
    const cluster = new RestoreRefused();
    assert.equal(await runRestoreDrill(CONFIG, cluster.deps()), 1);
    assert.match(cluster.errors[0], /creating restore .* failed: HTTP 422: denied by ValidatingAdmissionPolicy \(stage: create-restore\)/);
    assert.equal(cluster.scratch, undefined, 'the scratch namespace is gone');
    assert.ok(cluster.calls.includes(`DELETE ${NS}`));
  });

  it('refuses a scratch namespace it did not create (409 on a namespace without its mark)', async () => {
    class Taken extends FakeCluster {
      public override create<T>(path: string, body: unknown): Promise<KubeResult<T>> {
        if (path === '/api/v1/namespaces') {
          this.scratch = { owner: 'someone-else' };
          return Promise.resolve({ ok: false, outcome: 'conflict', status: 409, message: 'already exists' });
        }
        return super.create<T>(path, body);
      }
    }
    const cluster = new Taken();
    assert.equal(await runRestoreDrill(CONFIG, cluster.deps()), 1);
    assert.equal(cluster.errors[0], 'creating namespace ml-churn-drill failed: HTTP 409: already exists (stage: create-namespace)');
    assert.equal(cluster.created, undefined, 'no Restore');
    assert.ok(!cluster.calls.includes(`DELETE ${NS}`), 'someone else\'s namespace is not deleted');
  });

  it('fails when the metrics cannot be pushed, and reports a failed cleanup without failing', async () => {
    const cluster = new FakeCluster();
    const deps = { ...cluster.deps(), push: async () => Promise.reject(new Error('HTTP 503 down')) };
    assert.equal(await runRestoreDrill(CONFIG, deps), 1);
    assert.deepEqual(cluster.errors, ['pushing metrics failed: HTTP 503 down (stage: push)']);

    class CleanupFails extends FakeCluster {
      public override delete(): Promise<KubeResult<unknown>> {
        return Promise.reject(new Error('forbidden'));
      }
    }
    const ok = new CleanupFails();
    assert.equal(await runRestoreDrill(CONFIG, ok.deps()), 0);
    assert.deepEqual(ok.errors, ['cleanup failed: forbidden']);
  });

  it('fails without a completed backup, before creating anything', async () => {
    class NoBackups extends FakeCluster {
      public override list<T>(): Promise<T[]> {
        return Promise.resolve([]);
      }
    }
    const cluster = new NoBackups();
    assert.equal(await runRestoreDrill(CONFIG, cluster.deps()), 1);
    assert.deepEqual(cluster.errors, ['schedule platform-ml-churn has no completed backup in namespace velero (stage: find-backup)']);
    assert.equal(cluster.created, undefined);
    assert.ok(Number.isNaN(metric(cluster.pushes[0].body, DRILL_METRICS.duration)), 'no restore started: no duration');
  });
});

describe('restore drill client', () => {
  it('is the in-cluster KubeClient of the ServiceAccount directory, or of config.apiServer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-sa-'));
    try {
      writeFileSync(join(dir, 'token'), 'one\n');
      writeFileSync(join(dir, 'ca.crt'), 'not read for http');
      const local = restoreDrillClient({ ...CONFIG, apiServer: 'http://127.0.0.1:8001', serviceAccountDir: dir });
      assert.equal(local.namespace, 'velero', 'the drill works in Velero\'s namespace');
      assert.throws(() => restoreDrillClient({ ...CONFIG, serviceAccountDir: dir }, {}), /KUBERNETES_SERVICE_HOST is not set/);
      assert.ok(restoreDrillClient({ ...CONFIG, serviceAccountDir: dir }, { KUBERNETES_SERVICE_HOST: 'fd00::1' }) instanceof KubeClient);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('restore drill bundle', () => {
  it('is what RESTORE_DRILL_SCRIPT returns (deprecated alias)', () => {
    assert.equal(RESTORE_DRILL_SCRIPT, readFileSync(BUNDLE, 'utf8'));
  });

  it('exits 2 on bad usage and on a scratch namespace equal to the source', () => {
    const usage = spawnSync(process.execPath, [BUNDLE], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^usage: restore-drill run --config FILE/);
    const dir = mkdtempSync(join(tmpdir(), 'drill-cfg-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...CONFIG, scratchNamespace: 'ml-churn' }));
      const run = spawnSync(process.execPath, [BUNDLE, 'run', '--config', join(dir, 'config.json')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      assert.equal(run.status, 2);
      assert.equal(run.stderr, 'restore-drill: the scratch namespace must differ from the source namespace\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the committed bundle identical to its sources', async () => {
    const { buildBundle } = await import('../../scripts/bundles');
    const fresh = await buildBundle('restore-drill');
    assert.equal(readFileSync(BUNDLE, 'utf8'), fresh, 'run `npm run bundle` and commit bundles/');
  });
});
