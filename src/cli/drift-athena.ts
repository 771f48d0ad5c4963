/**
 * `ml-drift-athena`: the drift checker of a DriftCronJob with
 * `engine: 'athena'`: the same command line as `ml-drift` (src/cli/drift.ts),
 * with the statistics computed as SQL on Athena and without the in-memory
 * readers. Built into bundles/ml-drift-athena.js by `npm run bundle`.
 */
import { athenaEngine } from '../drift/athena';
import type { DriftExitCodeValue } from '../drift/run';
import type { CliIo } from './drift-cli';
import { runDriftCli } from './drift-cli';

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns
 * the exit code. Never throws.
 */
export function main(argv: readonly string[], io?: CliIo): Promise<DriftExitCodeValue> {
  return runDriftCli(argv, { athena: athenaEngine() }, io);
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
