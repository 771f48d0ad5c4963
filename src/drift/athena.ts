/**
 * The Athena engine of the drift checker: the job only orchestrates queries
 * (StartQueryExecution, GetQueryExecution polled with a growing interval,
 * GetQueryResults page by page) and the statistics come out of
 * `athena-check.ts`. AWS SDK v3 (`@aws-sdk/client-athena`), bundled into the
 * `ml-drift` script. The run's deadline (`timeouts.deadlineSeconds`) arrives
 * as an abort signal: the wait stops at once and the running query is
 * stopped (StopQueryExecution) so that it does not keep scanning.
 *
 * API: https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html,
 * API_GetQueryExecution.html (states QUEUED, RUNNING, SUCCEEDED, FAILED,
 * CANCELLED), API_GetQueryResults.html (at most 1000 rows a page; for a
 * SELECT the first row of the first page holds the column names, see
 * aws/aws-cli awscli/examples/athena/get-query-results.rst).
 */
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type {
  GetQueryExecutionInput, GetQueryExecutionOutput, GetQueryResultsInput, GetQueryResultsOutput,
  StartQueryExecutionInput, StartQueryExecutionOutput, StopQueryExecutionInput,
} from '@aws-sdk/client-athena';
import type { DriftCheckResult } from './check';
import type { ResolvedDriftAthenaConfig } from './athena-config';
import type { SqlCell, SqlRunner } from './athena-check';
import { computeDriftWithSql } from './athena-check';
import { windowRelation } from './athena-sql';
import type { ResolvedDriftCheckConfig } from './config';
import { DriftDataError, describeError } from './errors';
import type { DriftEngine } from './run';

/** The four Athena calls the engine makes (the SDK client through {@link athenaSdkApi}, or a fake in tests). */
export interface AthenaQueryApi {
  /** StartQueryExecution. */
  startQueryExecution(input: StartQueryExecutionInput, signal?: AbortSignal): Promise<StartQueryExecutionOutput>;
  /** GetQueryExecution. */
  getQueryExecution(input: GetQueryExecutionInput, signal?: AbortSignal): Promise<GetQueryExecutionOutput>;
  /** GetQueryResults. */
  getQueryResults(input: GetQueryResultsInput, signal?: AbortSignal): Promise<GetQueryResultsOutput>;
  /** StopQueryExecution. */
  stopQueryExecution(input: StopQueryExecutionInput): Promise<unknown>;
}

/** The SDK client as an {@link AthenaQueryApi}. */
export function athenaSdkApi(client: AthenaClient): AthenaQueryApi {
  return {
    startQueryExecution: (input, abortSignal) => client.send(new StartQueryExecutionCommand(input), { abortSignal }),
    getQueryExecution: (input, abortSignal) => client.send(new GetQueryExecutionCommand(input), { abortSignal }),
    getQueryResults: (input, abortSignal) => client.send(new GetQueryResultsCommand(input), { abortSignal }),
    stopQueryExecution: (input) => client.send(new StopQueryExecutionCommand(input)),
  };
}

/** Options of an {@link AthenaSqlRunner}. */
export interface AthenaRunnerOptions {
  /** Aborts waits and calls (the run's deadline). @default - never */
  readonly signal?: AbortSignal;
  /** Progress lines. @default - discarded */
  readonly log?: (line: string) => void;
  /** Waits this many milliseconds (abortable). @default a timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DriftDataError(`aborted: ${String(reason)}`);
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs queries in one Athena workgroup and returns their rows as text. */
export class AthenaSqlRunner implements SqlRunner {
  /** Bytes the queries of this runner scanned (Athena bills them). */
  public bytesScanned = 0;
  /** Ids of the queries started, in order. */
  public readonly queryIds: string[] = [];
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly api: AthenaQueryApi, private readonly athena: ResolvedDriftAthenaConfig, private readonly options: AthenaRunnerOptions = {}) {
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** Starts the query, waits for it and reads every page of its result. */
  public async query(sql: string, purpose: string): Promise<SqlCell[][]> {
    const { signal } = this.options;
    const started = await this.api.startQueryExecution({
      QueryString: sql,
      WorkGroup: this.athena.workgroup,
      QueryExecutionContext: { Catalog: this.athena.catalog },
      ...(this.athena.outputLocation === undefined ? {} : { ResultConfiguration: { OutputLocation: this.athena.outputLocation } }),
    }, signal);
    const id = started.QueryExecutionId;
    if (id === undefined) throw new DriftDataError(`Athena did not return a query id for the ${purpose}`);
    this.queryIds.push(id);
    try {
      await this.waitFor(id, purpose);
    } catch (err) {
      if (signal?.aborted === true) {
        // best effort, without the aborted signal: a query left running keeps scanning (and billing)
        await this.api.stopQueryExecution({ QueryExecutionId: id }).catch(() => undefined);
      }
      throw err;
    }
    return this.results(id);
  }

  private async waitFor(id: string, purpose: string): Promise<void> {
    const { signal } = this.options;
    let interval = this.athena.pollSeconds * 1000;
    for (;;) {
      const out = await this.api.getQueryExecution({ QueryExecutionId: id }, signal);
      const status = out.QueryExecution?.Status;
      const state = status?.State;
      if (state === 'SUCCEEDED') {
        const scanned = out.QueryExecution?.Statistics?.DataScannedInBytes ?? 0;
        this.bytesScanned += scanned;
        this.options.log?.(`athena: ${purpose}: query ${id} scanned ${scanned} bytes`);
        return;
      }
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
        throw new DriftDataError(`Athena query ${id} (${purpose}) ${state === 'FAILED' ? 'failed' : 'was cancelled'}: ${reason}`);
      }
      await this.sleep(interval, signal);
      interval = Math.min(interval * 2, this.athena.maxPollSeconds * 1000);
    }
  }

  private async results(id: string): Promise<SqlCell[][]> {
    const rows: SqlCell[][] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.api.getQueryResults({ QueryExecutionId: id, MaxResults: 1000, ...(token === undefined ? {} : { NextToken: token }) }, this.options.signal);
      const names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Label ?? c.Name);
      const pageRows = (page.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d): SqlCell => d.VarCharValue ?? null));
      // the header row of a SELECT: the first row of the first page, holding the column names
      const header = first && pageRows.length > 0 && pageRows[0].every((cell, i) => cell === names[i]);
      rows.push(...(header ? pageRows.slice(1) : pageRows));
      first = false;
      token = page.NextToken;
    } while (token !== undefined);
    return rows;
  }
}

/** Options of {@link computeDriftOnAthena}. */
export interface AthenaDriftOptions extends AthenaRunnerOptions {
  /** Environment for the client's region (AWS_REGION, AWS_DEFAULT_REGION). @default - process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** The Athena calls. @default - an SDK client in the environment's region */
  readonly api?: AthenaQueryApi;
}

/** Runs the configured checks on Athena (the config's `athena` section names the workgroup and the tables). */
export async function computeDriftOnAthena(
  config: ResolvedDriftCheckConfig, athena: ResolvedDriftAthenaConfig, now: Date, options: AthenaDriftOptions = {},
): Promise<DriftCheckResult> {
  const env = options.env ?? process.env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const client = options.api === undefined ? new AthenaClient({ region }) : undefined;
  const api = options.api ?? (client === undefined ? undefined : athenaSdkApi(client));
  if (api === undefined) throw new DriftDataError('internal: no Athena client');
  const runner = new AthenaSqlRunner(api, athena, options);
  try {
    const windows = {
      reference: windowRelation(athena.catalog, athena.reference, config.features),
      current: windowRelation(athena.catalog, athena.current, config.features),
    };
    const result = await computeDriftWithSql(config, runner, windows, now);
    options.log?.(`athena: ${runner.queryIds.length} queries scanned ${runner.bytesScanned} bytes`);
    return result;
  } catch (err) {
    if (err instanceof DriftDataError) throw err;
    throw new DriftDataError(`Athena: ${describeError(err)}`);
  } finally {
    client?.destroy();
  }
}

/** The Athena engine of a run (`engine: 'athena'`); `api` replaces the SDK client (tests). */
export function athenaEngine(api?: AthenaQueryApi): DriftEngine {
  return (config, run) => {
    const athena = config.athena;
    if (athena === undefined) return Promise.reject(new DriftDataError("internal: the Athena engine needs the config's athena section"));
    return run.step(`running the checks on Athena (workgroup ${athena.workgroup})`,
      computeDriftOnAthena(config, athena, run.now, { signal: run.signal, env: run.env, log: run.log, api }));
  };
}
