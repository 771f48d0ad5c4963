/**
 * spot-fallback-controller: the on-demand fallback of a spot training pool,
 * run every minute or so by a CronJob.
 *
 *   node spot-fallback-controller.js run --config config.json [--dry-run]
 *       [--api-server URL [--token-file FILE] [--ca-file FILE] --namespace NS]
 *
 * In a cluster it uses the pod's service account (token, CA, namespace).
 * For a local run, point it at `kubectl proxy` (`--api-server
 * http://127.0.0.1:8001 --namespace ml --dry-run`). Prints one JSON line per
 * pod decision and a summary line.
 *
 * Exit codes: 0 = pass completed; 2 = failed (the next scheduled run retries).
 */
import { readFileSync } from 'node:fs';
import { runCommand } from './run-command';
import { FallbackConfig, reconcileOnce } from '../training/fallback';
import { KubeClient } from '../kube/kube-client';

runCommand<FallbackConfig>('spot-fallback-controller', 'run --config FILE [--dry-run] [--api-server URL [--token-file FILE] [--ca-file FILE] --namespace NS]', async ({ config, flag, has }) => {
  const apiServer = flag('--api-server');
  let client: KubeClient;
  if (apiServer) {
    const namespace = flag('--namespace') ?? config.namespace;
    if (!namespace) {
      throw new Error('--namespace NS is required with --api-server');
    }
    const tokenFile = flag('--token-file');
    const caFile = flag('--ca-file');
    client = new KubeClient({
      baseUrl: apiServer,
      namespace,
      token: tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined,
      ca: caFile ? readFileSync(caFile, 'utf8') : undefined,
    });
  } else {
    client = KubeClient.inCluster();
  }
  const dryRun = has('--dry-run');
  const decisions = await reconcileOnce(client, config, { dryRun });
  for (const d of decisions) {
    process.stdout.write(`${JSON.stringify({ pool: config.pool, ...d, dryRun })}\n`);
  }
  const count = (action: string) => decisions.filter((d) => d.action === action).length;
  process.stdout.write(`${JSON.stringify({ pool: config.pool, summary: { pods: decisions.length, fallback: count('fallback'), wait: count('wait'), skip: count('skip') }, dryRun })}\n`);
  return 0;
});
