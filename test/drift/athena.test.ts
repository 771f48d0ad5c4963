// Orchestration of the Athena engine against a fake Athena (an injected
// AthenaQueryApi that runs the SQL on DuckDB and pages its results the way
// GetQueryResults does: a header row first, at most MaxResults rows a page).
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GetQueryExecutionOutput, GetQueryResultsOutput, StartQueryExecutionInput } from '@aws-sdk/client-athena';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AthenaSqlRunner, computeDriftOnAthena } from '../../src/drift/athena';
import type { AthenaQueryApi } from '../../src/drift/athena';
import { driftAthenaWindows, resolveDriftAthena, validateDriftEngine } from '../../src/drift/athena-config';
import { athenaDriftCostLine } from '../../src/drift/athena-cost';
import { parseDriftConfig, validateDriftConfig } from '../../src/drift/config';
import { DriftDataError } from '../../src/drift/errors';
import { executeDriftRun } from '../../src/drift/execute';

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

class FakeAthena implements AthenaQueryApi {
  public readonly started: StartQueryExecutionInput[] = [];
  public readonly stopped: string[] = [];
  public readonly pageSizes: number[] = [];
  public polls = 0;
  private readonly results = new Map<string, { names: string[]; rows: string[][] }>();
  private readonly states = new Map<string, State[]>();

  constructor(private readonly conn: DuckDBConnection, private readonly script: (n: number) => State[] = () => ['QUEUED', 'RUNNING', 'SUCCEEDED'], private readonly pageSize = 2) {}

  public async startQueryExecution(input: StartQueryExecutionInput): Promise<{ QueryExecutionId: string }> {
    const id = `q${this.started.length}`;
    this.states.set(id, this.script(this.started.length));
    this.started.push(input);
    // Athena's catalog prefix: DuckDB knows the tables by name only
    const sql = (input.QueryString ?? '').replace(/"AwsDataCatalog"\."[a-z0-9_]+"\./g, '');
    const reader = await this.conn.runAndReadAll(sql);
    this.results.set(id, { names: reader.columnNames(), rows: reader.getRows().map((r) => r.map((v) => (v === null ? '\u0000' : String(v)))) });
    return { QueryExecutionId: id };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the SDK's calls are async
  public async getQueryExecution(input: { QueryExecutionId?: string }): Promise<GetQueryExecutionOutput> {
    this.polls++;
    const states = this.states.get(input.QueryExecutionId ?? '') ?? [];
    const state = states.length > 1 ? states.shift() : states[0];
    return {
      QueryExecution: {
        Status: { State: state, ...(state === 'FAILED' ? { StateChangeReason: 'COLUMN_NOT_FOUND: line 1:8: Column \'age\' cannot be resolved' } : {}) },
        Statistics: { DataScannedInBytes: 1000 },
      },
    };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the SDK's calls are async
  public async getQueryResults(input: { QueryExecutionId?: string; NextToken?: string; MaxResults?: number }): Promise<GetQueryResultsOutput> {
    const r = this.results.get(input.QueryExecutionId ?? '');
    assert.ok(r !== undefined);
    assert.ok((input.MaxResults ?? 0) <= 1000, 'GetQueryResults allows at most 1000 rows');
    const all = [r.names, ...r.rows];
    const from = Number(input.NextToken ?? '0');
    const page = all.slice(from, from + this.pageSize);
    this.pageSizes.push(page.length);
    const next = from + this.pageSize < all.length ? String(from + this.pageSize) : undefined;
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: r.names.map((n) => ({ Name: n, Label: n, Type: 'varchar' })) },
        Rows: page.map((row) => ({ Data: row.map((v) => (v === '\u0000' ? {} : { VarCharValue: v })) })),
      },
      ...(next === undefined ? {} : { NextToken: next }),
    };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the SDK's calls are async
  public async stopQueryExecution(input: { QueryExecutionId?: string }): Promise<unknown> {
    this.stopped.push(input.QueryExecutionId ?? '');
    return {};
  }
}

const CONFIG = {
  model: 'churn',
  reference: { uri: 's3://ml-data/churn/train/', format: 'parquet' },
  current: { uri: 's3://ml-data/churn/serving/', format: 'parquet' },
  features: [{ name: 'age', type: 'numeric' }, { name: 'plan', type: 'categorical' }],
  outputs: {},
  engine: 'athena',
  athena: { workgroup: 'ml-drift', reference: { database: 'ml', table: 'ref' }, current: { database: 'ml', table: 'cur' }, pollSeconds: 0.001 },
};

const CONTEXT = {
  model: 'churn',
  reference: { uri: 's3://ml-data/churn/train/', format: 'parquet' as const },
  current: { uri: 's3://ml-data/churn/serving/', format: 'csv' as const },
  features: [{ name: 'age', type: 'numeric' as const }, { name: 'plan', type: 'categorical' as const }],
};

/** Windows given as S3 prefixes: the tables DriftAthenaAws creates from the schema (no Glue table named). */
const FILES_CONFIG = {
  ...CONFIG,
  reference: { uri: 's3://ml-data/churn/train/', format: 'csv' },
  current: { uri: 's3://ml-data/churn/serving/', format: 'csv' },
  athena: { schema: { columns: [{ name: 'id', type: 'bigint' }, { name: 'age' }, { name: 'plan' }] }, pollSeconds: 0.001 },
};

describe('Athena engine orchestration (fake Athena client on DuckDB)', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  before(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run("CREATE TABLE ref AS SELECT (i % 97) * 1.5 AS age, CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'basic' END AS plan FROM range(0, 3000) t(i)");
    await conn.run("CREATE TABLE cur AS SELECT (i % 89) * 1.5 + 4 AS age, CASE WHEN i % 2 = 0 THEN 'pro' ELSE 'basic' END AS plan FROM range(0, 2000) t(i)");
  });
  after(() => {
    conn.closeSync();
    instance.closeSync();
  });

  it('runs every query in the workgroup, polls until SUCCEEDED, reads every page and skips the header row', async () => {
    const config = parseDriftConfig(CONFIG);
    assert.ok(config.athena !== undefined);
    const fake = new FakeAthena(conn);
    const lines: string[] = [];
    const result = await computeDriftOnAthena(config, config.athena, new Date(0), { api: fake, log: (l) => lines.push(l) });
    assert.equal(result.features.length, 2);
    const age = result.features[0];
    assert.ok(age.type === 'numeric' && age.ks.statistic > 0.02 && age.ks.method === 'exact');
    const plan = result.features[1];
    assert.ok(plan.type === 'categorical');
    assert.deepEqual(plan.categories.map((c) => [c.category, c.referenceCount, c.currentCount]), [['basic', 2000, 1000], ['pro', 1000, 1000]]);
    assert.equal(result.reference.rows, 3000);
    assert.ok(fake.started.length >= 2 && fake.started.every((s) => s.WorkGroup === 'ml-drift' && s.QueryExecutionContext?.Catalog === 'AwsDataCatalog'));
    assert.ok(fake.started.every((s) => s.ResultConfiguration === undefined), 'the workgroup decides the results location');
    assert.ok(fake.polls >= 3 * fake.started.length, 'polled through QUEUED and RUNNING');
    assert.ok(fake.pageSizes.length > fake.started.length, 'paged');
    assert.match(lines.at(-1) ?? '', new RegExp(`${fake.started.length} queries scanned ${1000 * fake.started.length} bytes`));
  });

  it('a FAILED query fails the run with Athena\'s reason; a CANCELLED one says so', async () => {
    const config = parseDriftConfig(CONFIG);
    assert.ok(config.athena !== undefined);
    const failed = new FakeAthena(conn, () => ['RUNNING', 'FAILED']);
    await assert.rejects(computeDriftOnAthena(config, config.athena, new Date(0), { api: failed }), (err: unknown) =>
      err instanceof DriftDataError && /Athena query q0 \(profile of 'age'\) failed: COLUMN_NOT_FOUND/.test(err.message));
    const cancelled = new FakeAthena(conn, (n) => (n === 1 ? ['CANCELLED'] : ['SUCCEEDED']));
    await assert.rejects(computeDriftOnAthena(config, config.athena, new Date(0), { api: cancelled }), /Athena query q1 \(.*\) was cancelled/);
  });

  it('the run deadline stops the waiting and the running query (StopQueryExecution)', async () => {
    const fake = new FakeAthena(conn, () => ['RUNNING']);
    const outcome = await executeDriftRun(parseDriftConfig({ ...CONFIG, timeouts: { connectSeconds: 0.5, readSeconds: 0.5, deadlineSeconds: 2 } }), { athenaApi: fake });
    assert.equal(outcome.exitCode, 2);
    assert.match(outcome.error ?? '', /deadline of 2 s \(timeouts.deadlineSeconds\) passed while running the checks on Athena \(workgroup ml-drift\)/);
    for (let i = 0; i < 100 && fake.stopped.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(fake.stopped, ['q0']);
  });

  it('windows as S3 prefixes of CSV files: the created tables, text columns cast by the queries, the default workgroup', async () => {
    // the tables DriftAthenaAws creates for CSV hold every column as text (OpenCSVSerDe)
    await conn.run('CREATE TABLE "reference" AS SELECT CAST(i AS VARCHAR) AS id, CAST((i % 97) * 1.5 AS VARCHAR) AS age, CASE WHEN i % 3 = 0 THEN \'pro\' ELSE \'basic\' END AS plan FROM range(0, 3000) t(i)');
    await conn.run('CREATE TABLE "current" AS SELECT CAST(i AS VARCHAR) AS id, \' \' || CAST((i % 89) * 1.5 + 4 AS VARCHAR) AS age, CASE WHEN i % 2 = 0 THEN \'pro\' ELSE \'basic\' END AS plan FROM range(0, 2000) t(i)');
    const tables = parseDriftConfig(CONFIG);
    const files = parseDriftConfig(FILES_CONFIG);
    assert.ok(tables.athena !== undefined && files.athena !== undefined);
    assert.equal(files.athena.workgroup, 'churn-drift', 'the workgroup DriftMonitoringAws creates for the model');
    assert.deepEqual(files.athena.reference, {
      database: 'churn_drift', table: 'reference',
      files: { location: 's3://ml-data/churn/train/', format: 'csv', columns: [{ name: 'id', type: 'string' }, { name: 'age', type: 'string' }, { name: 'plan', type: 'string' }] },
    });
    const fake = new FakeAthena(conn);
    const result = await computeDriftOnAthena(files, files.athena, new Date(0), { api: fake });
    assert.match(fake.started[0].QueryString ?? '', /FROM \(SELECT CAST\(NULLIF\(TRIM\("age"\), ''\) AS DOUBLE\) AS "age", "plan" FROM "AwsDataCatalog"\."churn_drift"\."reference"\)/);
    // the same windows as typed tables give the same result
    const typed = await computeDriftOnAthena(tables, tables.athena, new Date(0), { api: new FakeAthena(conn) });
    // everything but the engine's AVG/STDDEV_POP (parallel sums: equal to rounding) is identical
    const strip = (r: typeof result): unknown => JSON.parse(JSON.stringify(r.features, (k, v: unknown) => (k === 'mean' || k === 'std' ? 0 : v)));
    assert.deepEqual(strip(result), strip(typed));
    for (const side of ['reference', 'current'] as const) {
      for (const key of ['mean', 'std'] as const) {
        const [a, b] = [result.features[0], typed.features[0]].map((f) => (f.type === 'numeric' ? f.summary[side][key] : NaN));
        assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${side} ${key}: ${a} != ${b}`);
      }
    }
    // a blank numeric field is a missing value, as the in-memory reader says
    await conn.run('UPDATE "current" SET age = \'\' WHERE id = \'7\'');
    await assert.rejects(computeDriftOnAthena(files, files.athena, new Date(0), { api: new FakeAthena(conn) }),
      (err: unknown) => err instanceof DriftDataError && /current data: column 'age': 1 missing/.test(err.message));
  });

  it('polls with a doubling interval capped at maxPollSeconds', async () => {
    const fake = new FakeAthena(conn, () => ['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    const waits: number[] = [];
    const athena = resolveDriftAthena({ workgroup: 'wg', reference: { database: 'ml', table: 'ref' }, current: { database: 'ml', table: 'cur' }, pollSeconds: 1, maxPollSeconds: 5, outputLocation: 's3://results/drift/' }, CONTEXT);
    const runner = new AthenaSqlRunner(fake, athena, { sleep: (ms) => { waits.push(ms); return Promise.resolve(); } });
    const rows = await runner.query('SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3', 'test');
    assert.deepEqual(rows, [['1'], ['2'], ['3']]);
    assert.deepEqual(waits, [1000, 2000, 4000, 5000, 5000]);
    assert.equal(fake.started[0].ResultConfiguration?.OutputLocation, 's3://results/drift/');
  });
});

describe('engine settings in the drift config', () => {
  it('rejects athena settings without the engine, labels with it, and bad names', () => {
    const memory = { ...CONFIG, engine: undefined };
    assert.match(validateDriftConfig(memory).join('\n'), /athena: only applies with engine 'athena'/);
    const problems = validateDriftEngine({ engine: 'athena', athena: { workgroup: 'a b', reference: { database: 'ML', table: 't' }, current: {}, extra: 1 }, labels: {} });
    assert.deepEqual(problems, [
      'athena.extra: unknown field; allowed fields: workgroup, reference, current, schema, catalog, outputLocation, pollSeconds, maxPollSeconds',
      "athena.workgroup: must be 1-128 letters, digits, '.', '_' or '-', got \"a b\"",
      "athena.reference.database: must be a Glue name (lowercase letters, digits and '_', at most 255), got \"ML\"",
      "athena.current.database: must be a Glue name (lowercase letters, digits and '_', at most 255), got undefined",
      "athena.current.table: must be a Glue name (lowercase letters, digits and '_', at most 255), got undefined",
      "labels: concept drift needs the rows of the current window; not available with engine 'athena'",
    ]);
    assert.deepEqual(validateDriftEngine({ engine: 'athena' }), ["athena: is required with engine 'athena' (an object with the Glue tables or the schema of the windows' files), got undefined"]);
    assert.deepEqual(validateDriftEngine({ engine: 'spark' }), ["engine: must be one of 'memory', 'athena', got \"spark\""]);
    assert.deepEqual(validateDriftConfig(CONFIG), []);
    assert.match(validateDriftConfig({ ...CONFIG, engine: 'memory', athena: undefined }).join('\n'), /reference.uri: the S3 key must name an object, not a prefix/);
    assert.equal(parseDriftConfig({ ...CONFIG, engine: 'memory', athena: undefined, reference: { uri: 's3://ml-data/r.parquet' }, current: { uri: 's3://ml-data/c.parquet' } }).athena, undefined);
  });

  it('windows as S3 prefixes need a schema with a column of the right type for every feature, and folders', () => {
    assert.deepEqual(validateDriftConfig(FILES_CONFIG), []);
    const noSchema = { ...FILES_CONFIG.athena, schema: undefined };
    assert.deepEqual(validateDriftEngine({ ...FILES_CONFIG, athena: noSchema }), [
      'athena.schema: is required because the reference and current windows have no Glue table: the columns of the files under reference.uri and current.uri, got undefined',
    ]);
    assert.deepEqual(validateDriftEngine({ ...CONFIG, athena: { ...CONFIG.athena, schema: FILES_CONFIG.athena.schema } }),
      ['athena.schema: only applies to a window without a Glue table (athena.reference or athena.current unset)']);
    const bad = validateDriftEngine({
      ...FILES_CONFIG,
      current: { uri: 's3://ml-data/churn/serving.csv', format: 'csv' },
      features: [...FILES_CONFIG.features, { name: 'income', type: 'numeric' }],
      athena: { reference: { database: 'ml', table: 'ref' }, schema: { database: 'Drift', columns: [{ name: 'age', type: 'string' }, { name: 'Plan' }, { name: 'age', type: 'text' }], extra: 1 } },
    });
    assert.deepEqual(bad, [
      "current.uri: with engine 'athena' and no Glue table (athena.current) must be an s3://bucket/prefix/ folder whose files Athena reads, got \"s3://ml-data/churn/serving.csv\"",
      'athena.schema.extra: unknown field; allowed fields: database, columns',
      "athena.schema.database: must be a Glue name (lowercase letters, digits and '_', at most 255), got \"Drift\"",
      "athena.schema.columns[1].name: must be a column name (lowercase letters, digits and '_', not starting with a digit), got \"Plan\"",
      'athena.schema.columns[2].name: duplicate column "age" (also athena.schema.columns[0])',
      'athena.schema.columns[2].type: must be one of double, float, bigint, int, smallint, tinyint, boolean, string, date, timestamp, got "text"',
    ]);
    const kinds = validateDriftEngine({ ...FILES_CONFIG, features: [...FILES_CONFIG.features, { name: 'income', type: 'numeric' }], athena: { schema: { columns: [{ name: 'age', type: 'string' }, { name: 'plan', type: 'double' }] } } });
    assert.deepEqual(kinds, [
      'athena.schema.columns: column "age" of numeric features[0] must have one of the types double, float, bigint, int, smallint, tinyint, got "string"',
      'athena.schema.columns: column "plan" of categorical features[1] must have one of the types string, boolean, bigint, int, smallint, tinyint, got "double"',
      'athena.schema.columns: has no column "income" (features[2]); list every feature\'s column',
    ]);
  });

  it('resolves typed columns for Parquet (declared or from the feature kind) and one database per model by default', () => {
    const athena = resolveDriftAthena({ schema: { database: 'ml_windows', columns: [{ name: 'age' }, { name: 'plan' }, { name: 'n', type: 'int' }] } }, CONTEXT);
    assert.deepEqual(athena.reference, {
      database: 'ml_windows', table: 'reference',
      files: { location: 's3://ml-data/churn/train/', format: 'parquet', columns: [{ name: 'age', type: 'double' }, { name: 'plan', type: 'string' }, { name: 'n', type: 'int' }] },
    });
    assert.deepEqual(athena.current.files?.columns.map((c) => c.type), ['string', 'string', 'string'], 'CSV: text');
    assert.equal(athena.workgroup, 'churn-drift');
    assert.deepEqual(driftAthenaWindows({ ...CONTEXT, model: 'fraud-v2', engine: 'athena', athena: { reference: { database: 'ml', table: 'train' }, schema: { columns: [{ name: 'age' }, { name: 'plan' }] } } }).map((w) => [w.database, w.table, w.files?.format]),
      [['ml', 'train', undefined], ['fraud_v2_drift', 'current', 'csv']]);
    assert.deepEqual(driftAthenaWindows({ ...CONTEXT }), [], 'the in-memory engine has no tables');
  });
});

describe('Athena cost of a drift check', () => {
  const features = [{ name: 'age', type: 'numeric' }, { name: 'income', type: 'numeric' }, { name: 'plan', type: 'categorical' }] as const;

  it('prices the scanned bytes of every query of a run at $5/TB times the runs a month of the schedule', () => {
    // daily: 30.4 runs; 3 + 3 + 1 queries of 2 GB each: 14 GB a run, 425.6 GB a month: $2.128
    const line = athenaDriftCostLine({ component: 'ml/churn-drift', schedule: '0 3 * * *', features, bytesPerQuery: 2e9 });
    assert.deepEqual(line.monthly, { min: 2.13, expected: 2.13, max: 2.13 });
    assert.equal(line.category, 'managed');
    assert.match(line.description, /7 queries\/run x 2 GB scanned \(14 GB\/run\) x ~30.4 runs\/month at \$5\/TB/);
  });

  it('bills at least 10 MB per query', () => {
    // every 5 minutes: 8755.2 runs; 7 queries x 10 MB (not 1000 bytes) each: 612.9 GB at $6/TB
    const line = athenaDriftCostLine({ component: 'c', schedule: '*/5 * * * *', features, bytesPerQuery: 1000, usdPerTb: 6 });
    assert.equal(line.monthly.expected, 3.68);
    assert.throws(() => athenaDriftCostLine({ component: 'c', schedule: '@daily', features, bytesPerQuery: -1 }), /bytesPerQuery/);
  });
});

describe('DriftCronJob with engine athena', () => {
  it('renders the engine and the Athena section into the checker config, and rejects labels with it', async () => {
    const { testChart, synthValid, findObject } = await import('../support/synth');
    const { CostPreset, DriftCronJob, ModelService, ValidationError } = await import('../../src');
    const { CARD, IMAGE, VERSION } = await import('../support/fixtures');
    const make = (extra: object): ReturnType<typeof testChart>['chart'] => {
      const { chart } = testChart('ml-churn');
      const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING });
      new DriftCronJob(chart, 'drift', {
        model, reference: { uri: 's3://ml-data/churn/train/', format: 'parquet' }, current: { uri: 's3://ml-data/churn/serving/', format: 'parquet' },
        features: [{ name: 'age', type: 'numeric' }], engine: 'athena', athena: CONFIG.athena,
        serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/churn-drift' }, ...extra,
      });
      return chart;
    };
    const objects = await synthValid(make({}));
    const cm = findObject(objects, 'ConfigMap', 'churn-model-drift');
    const config: unknown = JSON.parse(cm.data['config.json']);
    assert.ok(typeof config === 'object' && config !== null && 'athena' in config && 'engine' in config);
    assert.equal(config.engine, 'athena');
    assert.deepEqual(config.athena, CONFIG.athena);
    // its own bundle (the Athena client, no file readers), below the client-side apply annotation like the in-memory one
    const { readBundle } = await import('../../src/core/bundles');
    const { brotliDecompressSync } = await import('node:zlib');
    assert.deepEqual(Object.keys(cm.binaryData), ['ml-drift-athena.js.br']);
    assert.equal(brotliDecompressSync(Buffer.from(cm.binaryData['ml-drift-athena.js.br'], 'base64')).toString('utf8'), readBundle('ml-drift-athena'));
    assert.ok(cm.binaryData['ml-drift-athena.js.br'].length < 262_144 - 40_000);
    const container = findObject(objects, 'CronJob', 'churn-model-drift').spec.jobTemplate.spec.template.spec.containers[0];
    assert.equal(container.command.at(-4), '/opt/ml-platform/ml-drift-athena.js.br');
    assert.deepEqual(container.resources.requests.cpu, '250m', 'the job only orchestrates the queries');
    assert.equal(container.env, undefined, 'no feature workers');
    assert.throws(() => make({ labels: { prediction: 'p', actual: 'a', baselineAccuracy: 0.9 } }),
      (e: unknown) => e instanceof ValidationError && e.message.includes("invalid 'labels'") && e.message.includes("concept drift needs the rows of the current window; not available with engine 'athena'"));
  });

  it('prices its queries in the platform cost lines: scanned bytes from expectedRows at $5/TB times the runs a month', async () => {
    const { testChart } = await import('../support/synth');
    const { CostPreset, DriftCronJob, ModelService } = await import('../../src');
    const { platformCostLines } = await import('../../src/platform/cost');
    const { CARD, IMAGE, VERSION } = await import('../support/fixtures');
    const { chart } = testChart('ml-churn');
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING });
    const job = new DriftCronJob(chart, 'drift', {
      model, reference: { uri: 's3://ml-data/churn/train/', format: 'parquet' }, current: { uri: 's3://ml-data/churn/serving/', format: 'parquet' },
      features: [{ name: 'age', type: 'numeric' }, { name: 'plan', type: 'categorical' }], engine: 'athena',
      athena: { schema: { columns: [{ name: 'age' }, { name: 'plan' }] } }, expectedRows: 500_000_000,
      serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/churn-drift' },
    });
    const line = job.athenaCostLine();
    assert.ok(line !== undefined);
    // 4 queries/run (3 numeric + 1 categorical) x 8 GB (16 bytes x 500M rows) x ~4.3 weekly runs at $5 per TB
    const runs = 30.4 / 7;
    assert.ok(Math.abs(line.monthly.expected - 4 * 8e9 * runs / 1e12 * 5) < 0.05, `${line.monthly.expected}`);
    assert.equal(line.component, 'ml-churn/churn-model-drift');
    assert.match(line.description, /^Athena: 4 queries\/run x 8 GB scanned/);
    assert.equal(job.athenaCostLine(1e9)?.description.startsWith('Athena: 4 queries/run x 1 GB scanned'), true);
    const stub = { namespace: 'ml-churn', driftJobs: { churn: job } } as unknown as Parameters<typeof platformCostLines>[0];
    assert.deepEqual(platformCostLines(stub).filter((l) => l.description.startsWith('Athena')), [line]);
  });
});
