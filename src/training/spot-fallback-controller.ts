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
import { FallbackConfig, reconcileOnce } from './fallback';
import { KubeClient } from './kube-client';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'run') {
    process.stderr.write('usage: spot-fallback-controller run --config FILE [--dry-run] [--api-server URL [--token-file FILE] [--ca-file FILE] --namespace NS]\n');
    return command === '--help' ? 0 : 2;
  }
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const configPath = flag('--config');
  if (!configPath) {
    throw new Error('--config FILE is required');
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as FallbackConfig;
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
  const dryRun = rest.includes('--dry-run');
  const decisions = await reconcileOnce(client, config, { dryRun });
  for (const d of decisions) {
    process.stdout.write(`${JSON.stringify({ pool: config.pool, ...d, dryRun })}\n`);
  }
  const count = (action: string) => decisions.filter((d) => d.action === action).length;
  process.stdout.write(`${JSON.stringify({ pool: config.pool, summary: { pods: decisions.length, fallback: count('fallback'), wait: count('wait'), skip: count('skip') }, dryRun })}\n`);
  return 0;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`spot-fallback-controller: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
