/**
 * spot-fallback-controller: the on-demand fallback of a spot training pool,
 * run every minute or so by a CronJob.
 *
 *   node spot-fallback-controller.js run --config config.json [--dry-run]
 *       [--api-server URL [--token-file FILE] [--ca-file FILE] --namespace NS]
 *
 * In a cluster it uses the pod's service account (token re-read before every
 * request, CA, namespace). For a local run, point it at `kubectl proxy`
 * (`--api-server http://127.0.0.1:8001 --namespace ml --dry-run`). Prints one
 * JSON line per pod decision and a summary line. API calls have a deadline
 * and are retried on connection errors, 5xx and 429 within a 90 s budget
 * (the Job's deadline is 2 minutes). Each pod is handled on its own: one
 * pod's failure is printed and counted, and the others are still handled.
 *
 * Exit codes: 0 = pass completed; 1 = pass completed, but some pods failed
 * (or their Event was not recorded; see the `failed` and `warnings` counts);
 * 2 = failed (the next scheduled run retries).
 */
import { readFileSync } from 'node:fs';
import { runCommand } from './run-command';
import { FallbackConfig, reconcileOnce } from '../training/fallback';
import { KubeClient } from '../kube/kube-client';
import { RetryPolicy } from '../kube/retry';

/** Retries within the CronJob's 2-minute active deadline. */
const RETRY: RetryPolicy = { requestTimeoutMs: 15000, budgetMs: 90000 };

runCommand<FallbackConfig>('spot-fallback-controller', 'run --config FILE [--dry-run] [--api-server URL [--token-file FILE] [--ca-file FILE] --namespace NS]', async ({ config, flag, has }) => {
  const apiServer = flag('--api-server');
  let client: KubeClient;
  if (apiServer) {
    const namespace = flag('--namespace') ?? config.namespace;
    if (!namespace) {
      throw new Error('--namespace NS is required with --api-server');
    }
    const caFile = flag('--ca-file');
    client = new KubeClient({ baseUrl: apiServer, namespace, tokenFile: flag('--token-file'), ca: caFile ? readFileSync(caFile, 'utf8') : undefined, retry: RETRY });
  } else {
    client = KubeClient.inCluster({ dir: config.serviceAccountDir, retry: RETRY });
  }
  const dryRun = has('--dry-run');
  const decisions = await reconcileOnce(client, config, { dryRun });
  for (const d of decisions) {
    process.stdout.write(`${JSON.stringify({ pool: config.pool, ...d, dryRun })}\n`);
  }
  const count = (action: string) => decisions.filter((d) => d.action === action).length;
  const warnings = decisions.filter((d) => d.warning !== undefined).length;
  const summary = { pods: decisions.length, fallback: count('fallback'), wait: count('wait'), skip: count('skip'), failed: count('failed'), warnings };
  process.stdout.write(`${JSON.stringify({ pool: config.pool, summary, dryRun })}\n`);
  for (const d of decisions.filter((x) => x.action === 'failed' || x.warning !== undefined)) {
    process.stderr.write(`spot-fallback-controller: pod ${d.pod}: ${d.action === 'failed' ? d.reason : d.warning ?? ''}\n`);
  }
  return summary.failed + warnings > 0 ? 1 : 0;
});

