/**
 * `ml-drift`: the drift checker that runs inside the drift-detection CronJob.
 *
 *   ml-drift run --config drift.json [--now 2024-06-01T00:00:00Z]
 *   ml-drift run --config -            (config JSON on stdin)
 *   ml-drift validate --config drift.json
 *
 * Exit codes (DRIFT_CLI_HELP below is the reference):
 *   0  ran, no drift
 *   1  ran, drift found (data drift by the check-level rule, an accuracy drop
 *      or attribution drift), or too few labels to evaluate concept drift
 *   2  failed to run: bad usage or config, unreadable input, bad data, a
 *      connect/read timeout or the run's deadline; or a mandatory output failed
 *   3  ran, no drift found, but some feature had too few rows for a verdict
 *      (insufficient_data)
 * An output that cannot be written (report, Pushgateway, webhook) is printed
 * to stderr and counted, and the exit code keeps the verdict, unless
 * `outputs.mandatory` is true.
 *
 * On exit code 2 one line explaining the problem goes to stderr; set DEBUG=1
 * for the stack trace. The config format is `DriftCheckConfig` in
 * src/drift/config.ts. Relative paths in the config resolve against the
 * config file's directory (the working directory for stdin).
 *
 * Built into one self-contained CommonJS file (bundles/ml-drift.js) by
 * `npm run bundle`: the in-memory engine; engine 'athena' runs from
 * bundles/ml-drift-athena.js (src/cli/drift-athena.ts). The numeric features
 * are checked in worker threads (DRIFT_WORKERS, default the available CPUs)
 * that run this same file.
 */
import { driftWorkerCount, memoryEngine, serveFeatureWorker } from '../drift/memory-engine';
import type { DriftExitCodeValue } from '../drift/run';
import type { CliIo } from './drift-cli';
import { runDriftCli } from './drift-cli';

export { DRIFT_CLI_HELP } from './drift-cli';
export type { CliIo } from './drift-cli';

/** Worker threads need the bundled script (a worker runs this file); from the sources the features are checked on the main thread. */
function workerScript(): string | undefined {
  return /\.c?js(\.br|\.gz)?$/.test(__filename) ? __filename : undefined;
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns
 * the exit code. Never throws.
 */
export function main(argv: readonly string[], io?: CliIo): Promise<DriftExitCodeValue> {
  const env = io?.env ?? process.env;
  const script = workerScript();
  const workers = script === undefined ? undefined : { count: driftWorkerCount(env), script };
  return runDriftCli(argv, { memory: memoryEngine(workers) }, io);
}

if (!serveFeatureWorker() && require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
