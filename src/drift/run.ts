/**
 * One drift-checker run: read both windows, compute the checks, write the
 * outputs, push metrics. Used by the `ml-drift` CLI; callable in-process.
 */
import type { DriftCheckResult } from './check';
import { computeDrift } from './check';
import type { ResolvedDriftCheckConfig } from './config';
import { DriftDataError, DriftOutputError, describeError } from './errors';
import { S3ClientProvider, writeTextOutput } from './io';
import { pushMetrics, pushgatewayGroupUrl, renderDriftMetrics, renderFailedRunMetrics } from './metrics';
import type { ColumnRequest } from './readers';
import { assertCompatibleSchemas, readDataWindow } from './readers';
import { renderHtmlReport, renderJsonReport, webhookSummary } from './report';

/** Exit codes of the CLI. */
export const DriftExitCode = {
  /** The check ran and found no drift (and concept drift, if configured, could be evaluated). */
  PASS: 0,
  /** The check ran and found drift, or concept drift could not be evaluated (too few labels). */
  DRIFT: 1,
  /** The check could not run or its results could not be delivered. */
  ERROR: 2,
} as const;

/** One of {@link DriftExitCode}'s values. */
export type DriftExitCodeValue = typeof DriftExitCode[keyof typeof DriftExitCode];

/** Options of {@link executeDriftRun}. */
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

/** What a run produced. */
export interface DriftRunOutcome {
  /** Process exit code. */
  readonly exitCode: DriftExitCodeValue;
  /** The result, when the checks completed. */
  readonly result?: DriftCheckResult;
  /** One-line error when exitCode is 2. */
  readonly error?: string;
  /** The underlying error, for DEBUG output. */
  readonly cause?: unknown;
  /** Where the JSON and HTML reports were written. */
  readonly written: { readonly json?: string; readonly html?: string };
}

function columnRequest(config: ResolvedDriftCheckConfig, withLabels: boolean): ColumnRequest {
  return {
    features: config.features.map((f) => ({ name: f.name, type: f.type })),
    ...(withLabels && config.labels !== undefined
      ? { labels: { prediction: config.labels.prediction, actual: config.labels.actual, window: config.labels.window } }
      : {}),
  };
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

/**
 * Runs the drift check described by a validated config. Never throws: every
 * failure is reported as exit code 2 with a one-line message.
 */
export async function executeDriftRun(config: ResolvedDriftCheckConfig, options: DriftRunOptions = {}): Promise<DriftRunOutcome> {
  const now = options.now ?? new Date();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const baseDir = options.baseDir ?? process.cwd();
  const log = options.log ?? ((): void => undefined);
  const s3 = new S3ClientProvider(options.env ?? process.env);
  const pg = config.outputs.pushgateway;
  const groupUrl = pg === undefined ? undefined : pushgatewayGroupUrl(pg.url, pg.job, config.model);
  const written: { json?: string; html?: string } = {};
  try {
    let result: DriftCheckResult;
    try {
      // one window after the other: parsing is CPU-bound anyway, the memory peak is lower, and when both
      // windows are bad the error is always about the reference (deterministic)
      const reference = await readDataWindow(config.reference, columnRequest(config, false), { role: 'reference', baseDir, s3 });
      const current = await readDataWindow(config.current, columnRequest(config, true), { role: 'current', baseDir, s3 });
      assertCompatibleSchemas(reference, current);
      log(`read ${reference.rows} reference rows and ${current.rows} current rows`);
      result = computeDrift(config, reference, current, now);
    } catch (err) {
      if (groupUrl !== undefined) {
        await pushMetrics(groupUrl, renderFailedRunMetrics(config.model, nowSeconds), 'POST').catch(() => undefined);
      }
      return { exitCode: DriftExitCode.ERROR, error: oneLine(err), cause: err, written };
    }

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
      const body = errors.length === 0 ? renderDriftMetrics(result, nowSeconds) : renderFailedRunMetrics(config.model, nowSeconds);
      await pushMetrics(groupUrl, body, errors.length === 0 ? 'PUT' : 'POST').catch((err: unknown) => errors.push(err));
    }
    if (errors.length > 0) {
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more output error${errors.length > 2 ? 's' : ''})` : '';
      return { exitCode: DriftExitCode.ERROR, result, error: `${oneLine(errors[0])}${more}`, cause: errors[0], written };
    }
    return { exitCode: result.passed ? DriftExitCode.PASS : DriftExitCode.DRIFT, result, written };
  } finally {
    s3.destroy();
  }
}
