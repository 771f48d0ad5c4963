/**
 * restore-drill: the restore drill job's command.
 *
 *   node restore-drill.js run --config config.json
 *
 * Restores the newest completed Velero backup of a schedule into a scratch
 * namespace, waits until the restored workloads are ready, pushes the
 * measured restore time to the Pushgateway and deletes the scratch namespace
 * (see `runRestoreDrill`). It talks to the API server with the pod's
 * ServiceAccount (or `config.apiServer` and `config.serviceAccountDir`);
 * every request has a deadline (`config.requestTimeoutSeconds`, default 30)
 * and is retried on connection errors, 5xx and 429. A failed drill deletes
 * its Restore and leaves nothing that blocks the next run; its first stderr
 * line is the root cause (also pushed as `ml_platform_restore_drill_failure_info`).
 *
 * Exit codes: 0 = the drill succeeded; 1 = the drill failed (after pushing
 * `success 0`); 2 = bad usage or configuration, or it could not start.
 */
import { RestoreDrillConfig, pushToGateway, restoreDrillClient, restoreDrillConfigProblem, runRestoreDrill } from '../dr/restore-drill';
import { runCommand } from './run-command';

runCommand<RestoreDrillConfig>('restore-drill', 'run --config FILE', async ({ config }) => {
  const problem = restoreDrillConfigProblem(config);
  if (problem !== undefined) {
    throw new Error(problem);
  }
  return runRestoreDrill(config, {
    api: restoreDrillClient(config),
    push: pushToGateway,
    log: (message) => process.stdout.write(`${new Date().toISOString()} ${message}\n`),
    error: (message) => process.stderr.write(`restore-drill: ${message}\n`),
  });
});
