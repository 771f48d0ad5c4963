/**
 * The `ml-drift` command line, shared by the two bundles: `ml-drift`
 * (src/cli/drift.ts, engine 'memory') and `ml-drift-athena`
 * (src/cli/drift-athena.ts, engine 'athena'). Usage and exit codes:
 * {@link DRIFT_CLI_HELP}.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DriftConfigError, parseDriftConfig } from '../drift/config';
import { errorCode } from '../drift/errors';
import type { ResolvedDriftCheckConfig } from '../drift/config';
import { summaryLine } from '../drift/report';
import { DriftExitCode, runDriftCheck } from '../drift/run';
import type { DriftEngines, DriftExitCodeValue } from '../drift/run';

/** Usage text printed by `--help`. */
export const DRIFT_CLI_HELP = `Usage: ml-drift <command> [options]

Compare a current data window with a reference window and report data drift
(KS / chi-square tests, effect sizes and PSI per feature), concept drift
(accuracy drop) and feature-attribution drift (NDCG of the attribution ranking).

A feature drifts when it has enough rows for its test (80% power at its effect
floor), its p-value corrected over all features (Holm by default) is below
alpha, and its effect size (KS D or total variation, default floor 0.08) or
PSI is large enough. The check reports drift when at least one feature (or
verdict.minDriftedShare of them) drifts.

Commands:
  run        run the drift check and write the configured outputs
  validate   only validate the config

Options:
  -c, --config <file>   config JSON file, or - for stdin (required)
      --now <time>      run time as ISO 8601 (default: now); used in reports and metrics
  -h, --help            show this help

Exit codes:
  0  ran, no drift
  1  ran, drift found (or too few labels to evaluate concept drift)
  2  failed to run: bad config, unreadable input, bad data, a connect/read
     timeout or the deadline (timeouts.*; the message names the source),
     or an output failed while outputs.mandatory is true
  3  ran, no drift found, but some feature had too few rows (insufficient_data)

An output that cannot be written (report, Pushgateway, webhook) is printed to
stderr and counted (ml_drift_output_errors); the exit code keeps the verdict
unless outputs.mandatory is true.

Set DEBUG=1 to print stack traces on errors.
`;

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  /** Normal output (summary, written files). */
  readonly out: (line: string) => void;
  /** Errors. */
  readonly err: (line: string) => void;
  /** Reads stdin completely (for `--config -`). */
  readonly readStdin: () => Promise<string>;
  /** Environment (DEBUG, AWS_*). */
  readonly env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  readStdin: readAllStdin,
  env: process.env,
};

async function loadConfig(file: string, io: CliIo): Promise<{ config: ResolvedDriftCheckConfig; baseDir: string }> {
  let text: string;
  let baseDir: string;
  let label: string;
  if (file === '-') {
    text = await io.readStdin();
    baseDir = process.cwd();
    label = 'config from stdin';
  } else {
    const abs = path.resolve(file);
    try {
      text = await fs.promises.readFile(abs, 'utf8');
    } catch (err) {
      const code = errorCode(err);
      throw new UsageError(`cannot read config ${file}: ${code === 'ENOENT' ? 'file not found' : code ?? String(err)}`);
    }
    baseDir = path.dirname(abs);
    label = `config ${file}`;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${label} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return { config: parseDriftConfig(json), baseDir };
  } catch (err) {
    if (err instanceof DriftConfigError) throw new UsageError(`invalid ${label}: ${err.problems.join('; ')}`);
    throw err;
  }
}

function parseNow(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new UsageError(`--now must be an ISO 8601 time such as 2024-06-01T00:00:00Z, got '${v}'`);
  return d;
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and the
 * engines of this bundle, and returns the exit code. Never throws.
 */
export async function runDriftCli(argv: readonly string[], engines: DriftEngines, io: CliIo = defaultIo): Promise<DriftExitCodeValue> {
  const debug = io.env.DEBUG === '1' || io.env.DEBUG === 'true';
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        allowPositionals: true,
        strict: true,
        options: {
          config: { type: 'string', short: 'c' },
          now: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw new UsageError(`${err instanceof Error ? err.message : String(err)} (see --help)`);
    }
    const { values, positionals } = parsed;
    if (values.help === true || positionals.length === 0) {
      if (values.help !== true) {
        io.err('ml-drift: missing command (run or validate); see --help');
        return DriftExitCode.ERROR;
      }
      io.out(DRIFT_CLI_HELP.trimEnd());
      return DriftExitCode.PASS;
    }
    const [command, ...extra] = positionals;
    if (command !== 'run' && command !== 'validate') throw new UsageError(`unknown command '${command}'; expected run or validate (see --help)`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' (see --help)`);
    if (values.config === undefined) throw new UsageError('--config <file> is required (use --config - to read stdin)');
    const now = parseNow(values.now);
    const { config, baseDir } = await loadConfig(values.config, io);
    if (command === 'validate') {
      io.out(`config is valid: model ${config.model}, ${config.features.length} features`);
      return DriftExitCode.PASS;
    }
    const outcome = await runDriftCheck(config, engines, { now, baseDir, env: io.env, log: io.out });
    if (outcome.result !== undefined) io.out(summaryLine(outcome.result));
    if (outcome.written.json !== undefined) io.out(`wrote ${outcome.written.json}`);
    if (outcome.written.html !== undefined) io.out(`wrote ${outcome.written.html}`);
    for (const e of outcome.outputErrors) if (e !== outcome.error) io.err(`ml-drift: warning: output not written: ${e}`);
    if (outcome.error !== undefined) {
      io.err(`ml-drift: ${outcome.error}`);
      if (debug && outcome.cause instanceof Error && outcome.cause.stack !== undefined) io.err(outcome.cause.stack);
    }
    return outcome.exitCode;
  } catch (err) {
    const msg = err instanceof UsageError ? err.message : `internal error: ${err instanceof Error ? err.message : String(err)}`;
    io.err(`ml-drift: ${msg.split('\n')[0]}`);
    if (debug && err instanceof Error && err.stack !== undefined) io.err(err.stack);
    return DriftExitCode.ERROR;
  }
}
