/**
 * One drift-checker run: read both windows, compute the checks, write the
 * outputs, push metrics. Used by the `ml-drift` CLI; callable in-process.
 */
import type { DriftCheckResult } from './check';
import type { ResolvedDriftCheckConfig } from './config';
import { DriftDataError, DriftOutputError, describeError } from './errors';
import { S3ClientProvider, writeTextOutput } from './io';
import { pushMetrics, pushgatewayGroupUrl, renderDriftMetrics, renderFailedRunMetrics } from './metrics';
import { renderHtmlReport, renderJsonReport, webhookSummary } from './report';

/**
 * Exit codes of the CLI. The verdict decides 0, 1 or 3; an output that
 * cannot be written (report, Pushgateway, webhook) is printed and counted but
 * keeps the verdict's code unless `outputs.mandatory` is set.
 */
export const DriftExitCode = {
  /** The check ran and found no drift (and concept drift, if configured, could be evaluated). */
  PASS: 0,
  /** The check ran and found drift, or concept drift could not be evaluated (too few labels). */
  DRIFT: 1,
  /** The check could not run (bad config, unreadable input, bad data, a timeout or the deadline), or a mandatory output failed. */
  ERROR: 2,
  /** The check ran and found no drift, but some feature (or the attribution ranking) had too little data for a verdict. */
  INSUFFICIENT_DATA: 3,
} as const;

/** One of {@link DriftExitCode}'s values. */
export type DriftExitCodeValue = typeof DriftExitCode[keyof typeof DriftExitCode];

/** Options of {@link runDriftCheck}. */
export interface DriftRunOptions {
  /** Run time used in reports and metric timestamps. @default - the current time */
  readonly now?: Date;
  /** Directory that relative paths in the config resolve against. @default - process.cwd() */
  readonly baseDir?: string;
  /** Environment for the S3 client (AWS_ENDPOINT_URL_S3, AWS_REGION, ...). @default - process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (stdout in the CLI). @default - discarded */
  readonly log?: (line: string) => void;
}

/** What an engine gets from the run: where to read, the deadline and the progress log. */
export interface DriftEngineRun {
  /** Directory that relative paths resolve against. */
  readonly baseDir: string;
  /** S3 client for `s3://` URIs (connect/read timeouts, aborted at the deadline). */
  readonly s3: S3ClientProvider;
  /** Aborted when the run's deadline passes. */
  readonly signal: AbortSignal;
  /** Environment (AWS_REGION, ...). */
  readonly env: NodeJS.ProcessEnv;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Run time, recorded in the result. */
  readonly now: Date;
  /** Runs `work`, failing when the deadline passes first with a message naming `phase`. */
  step<T>(phase: string, work: Promise<T>): Promise<T>;
}

/**
 * How a run computes its result: the in-memory readers and checks
 * (`memoryEngine`) or SQL on Athena (`athenaEngine`). Each bundle of the CLI
 * carries the one engine its CronJob uses.
 */
export type DriftEngine = (config: ResolvedDriftCheckConfig, run: DriftEngineRun) => Promise<DriftCheckResult>;

/** The engines a caller provides, by config `engine`. */
export interface DriftEngines {
  /** engine 'memory'. */
  readonly memory?: DriftEngine;
  /** engine 'athena'. */
  readonly athena?: DriftEngine;
}

/** What a run produced. */
export interface DriftRunOutcome {
  /** Process exit code. */
  readonly exitCode: DriftExitCodeValue;
  /** The result, when the checks completed. */
  readonly result?: DriftCheckResult;
  /** One-line error when exitCode is 2. */
  readonly error?: string;
  /** One line per output that could not be written (the exit code keeps the verdict unless outputs are mandatory). */
  readonly outputErrors: readonly string[];
  /** The underlying error, for DEBUG output. */
  readonly cause?: unknown;
  /** Where the JSON and HTML reports were written. */
  readonly written: { readonly json?: string; readonly html?: string };
}

async function postWebhook(url: string, body: unknown): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15000),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? describeError(err.cause) : describeError(err);
    throw new DriftOutputError(`cannot POST to webhook ${url}: ${cause}`);
  }
  await res.arrayBuffer();
  if (!res.ok) throw new DriftOutputError(`webhook ${url} answered HTTP ${res.status}`);
}

function oneLine(err: unknown): string {
  if (err instanceof DriftDataError || err instanceof DriftOutputError) return err.message;
  return `internal error: ${describeError(err)}`;
}

/** The exit code of a result's verdict. */
export function verdictExitCode(result: DriftCheckResult): DriftExitCodeValue {
  if (result.status === 'pass') return DriftExitCode.PASS;
  if (result.status === 'insufficient_data') return DriftExitCode.INSUFFICIENT_DATA;
  return DriftExitCode.DRIFT;
}

/** The run's deadline: an abort signal for the I/O and a promise that rejects with the message naming the current phase. */
class Deadline {
  public readonly controller = new AbortController();
  public phase = 'starting';
  public readonly expired: Promise<never>;
  private timer?: NodeJS.Timeout;

  constructor(public readonly seconds: number) {
    this.expired = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => {
        const err = new DriftDataError(`the run's deadline of ${seconds} s (timeouts.deadlineSeconds) passed while ${this.phase}`);
        this.controller.abort(err);
        reject(err);
      }, seconds * 1000);
    });
    this.expired.catch(() => undefined);
  }

  /** Runs `work`, failing when the deadline passes first. */
  public race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.expired]);
  }

  public clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Runs the drift check described by a validated config with the engine its
 * `engine` names. Never throws: every failure (also an engine that this
 * caller does not carry) is reported as exit code 2 with a one-line message.
 */
export async function runDriftCheck(config: ResolvedDriftCheckConfig, engines: DriftEngines, options: DriftRunOptions = {}): Promise<DriftRunOutcome> {
  const now = options.now ?? new Date();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const baseDir = options.baseDir ?? process.cwd();
  const log = options.log ?? ((): void => undefined);
  const deadline = new Deadline(config.timeouts.deadlineSeconds);
  const s3 = new S3ClientProvider(options.env ?? process.env, {
    connectMs: config.timeouts.connectSeconds * 1000,
    readMs: config.timeouts.readSeconds * 1000,
    signal: deadline.controller.signal,
  });
  const pg = config.outputs.pushgateway;
  const groupUrl = pg === undefined ? undefined : pushgatewayGroupUrl(pg.url, pg.job, config.model);
  const written: { json?: string; html?: string } = {};
  const engineName = config.athena !== undefined ? 'athena' : 'memory';
  const run: DriftEngineRun = {
    baseDir, s3, signal: deadline.controller.signal, env: options.env ?? process.env, log, now,
    step: (phase, work) => {
      deadline.phase = phase;
      return deadline.race(work);
    },
  };
  try {
    let result: DriftCheckResult;
    try {
      const engine = engines[engineName];
      if (engine === undefined) {
        throw new DriftDataError(`engine '${engineName}' is not part of this build of the checker (the CronJob ships the ml-drift${engineName === 'athena' ? '-athena' : ''} bundle for it)`);
      }
      result = await engine(config, run);
    } catch (err) {
      if (groupUrl !== undefined) {
        await pushMetrics(groupUrl, renderFailedRunMetrics(config.model, nowSeconds), 'POST').catch(() => undefined);
      }
      return { exitCode: DriftExitCode.ERROR, error: oneLine(err), cause: err, written, outputErrors: [] };
    }
    // outputs have their own timeouts (15 s per push/webhook, connect + read timeout per S3 write); a failure keeps the verdict
    deadline.clear();
    return await deliver(config, result, { baseDir, s3, groupUrl, nowSeconds, written });
  } catch (err) {
    return { exitCode: DriftExitCode.ERROR, error: oneLine(err), cause: err, written, outputErrors: [] };
  } finally {
    deadline.clear();
    s3.destroy();
  }
}

interface DeliveryContext {
  readonly baseDir: string;
  readonly s3: S3ClientProvider;
  readonly groupUrl?: string;
  readonly nowSeconds: number;
  readonly written: { json?: string; html?: string };
}

/** Writes the reports, posts the webhook and pushes the metrics; the exit code keeps the verdict unless outputs are mandatory. */
async function deliver(config: ResolvedDriftCheckConfig, result: DriftCheckResult, ctx: DeliveryContext): Promise<DriftRunOutcome> {
  const { baseDir, s3, groupUrl, nowSeconds, written } = ctx;
  const errors: unknown[] = [];
  const outputs: Array<Promise<void>> = [];
  if (config.outputs.json !== undefined) {
    const target = config.outputs.json;
    outputs.push((async (): Promise<void> => {
      written.json = await writeTextOutput(target, renderJsonReport(result), 'application/json', baseDir, s3);
    })());
  }
  if (config.outputs.html !== undefined) {
    const target = config.outputs.html;
    outputs.push((async (): Promise<void> => {
      written.html = await writeTextOutput(target, renderHtmlReport(result), 'text/html; charset=utf-8', baseDir, s3);
    })());
  }
  for (const r of await Promise.allSettled(outputs)) if (r.status === 'rejected') errors.push(r.reason);
  if (config.outputs.webhook !== undefined) {
    const url = config.outputs.webhook.url;
    await (async (): Promise<void> => postWebhook(url, webhookSummary(result, written)))().catch((err: unknown) => errors.push(err));
  }
  if (groupUrl !== undefined) {
    // a mandatory output that failed makes the run a failure: only the run timestamp is pushed, so DriftCheckNotSucceeding fires
    const failed = config.outputs.mandatory && errors.length > 0;
    const body = failed ? renderFailedRunMetrics(config.model, nowSeconds) : renderDriftMetrics(result, nowSeconds, errors.length);
    await pushMetrics(groupUrl, body, failed ? 'POST' : 'PUT').catch((err: unknown) => errors.push(err));
  }
  const outputErrors = errors.map(oneLine);
  if (errors.length > 0 && config.outputs.mandatory) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more output error${errors.length > 2 ? 's' : ''})` : '';
    return { exitCode: DriftExitCode.ERROR, result, error: `${oneLine(errors[0])}${more}`, cause: errors[0], written, outputErrors };
  }
  return { exitCode: verdictExitCode(result), result, written, outputErrors };
}
