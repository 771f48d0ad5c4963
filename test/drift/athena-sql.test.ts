// The Athena engine's SQL (src/drift/athena-sql.ts) run on DuckDB in-process
// (@duckdb/node-api) against the in-memory checker on the same data: identical
// D, PSI, chi-square, buckets and counts; p-values within 1e-12 (in fact equal).
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { computeDriftWithSql, ksFromStatistic } from '../../src/drift/athena-check';
import type { SqlCell, SqlRunner } from '../../src/drift/athena-check';
import { quoteIdent, windowRelation } from '../../src/drift/athena-sql';
import { computeDrift } from '../../src/drift/check';
import type { DriftCheckResult } from '../../src/drift/check';
import { parseDriftConfig } from '../../src/drift/config';
import type { DriftFeatureConfig } from '../../src/drift/config';
import type { DataColumn, DataWindow } from '../../src/drift/readers';
import { ks2samp } from '../../src/stats';
import { churnRows, mulberry32, normal } from '../fixtures/drift/data';

type Column = { type: 'numeric'; values: Float64Array } | { type: 'categorical'; values: string[] };

class DuckRunner implements SqlRunner {
  public readonly queries: string[] = [];
  constructor(private readonly conn: DuckDBConnection) {}

  public async query(sql: string): Promise<SqlCell[][]> {
    this.queries.push(sql);
    const reader = await this.conn.runAndReadAll(sql);
    // Athena returns text: numbers as their shortest round-trip decimal
    return reader.getRows().map((row) => row.map((v) => (v === null ? null : String(v))));
  }
}

async function loadTable(conn: DuckDBConnection, name: string, columns: ReadonlyMap<string, Column>): Promise<void> {
  const defs = [...columns].map(([n, c]) => `${quoteIdent(n)} ${c.type === 'numeric' ? 'DOUBLE' : 'VARCHAR'}`).join(', ');
  await conn.run(`CREATE OR REPLACE TABLE ${quoteIdent(name)} (${defs})`);
  const appender = await conn.createAppender(name);
  const cols = [...columns.values()];
  const rows = cols[0].values.length;
  for (let i = 0; i < rows; i++) {
    for (const c of cols) {
      if (c.type === 'numeric') appender.appendDouble(c.values[i]);
      else appender.appendVarchar(c.values[i]);
    }
    appender.endRow();
  }
  appender.closeSync();
}

function dataWindow(role: 'reference' | 'current', columns: ReadonlyMap<string, Column>): DataWindow {
  const out = new Map<string, DataColumn>();
  let rows = 0;
  for (const [name, c] of columns) {
    rows = c.values.length;
    if (c.type === 'numeric') {
      out.set(name, { name, type: 'numeric', values: c.values });
    } else {
      const categories = [...new Set(c.values)];
      const index = new Map(categories.map((v, i) => [v, i]));
      out.set(name, { name, type: 'categorical', categories, codes: Uint32Array.from(c.values, (v) => index.get(v) ?? 0) });
    }
  }
  return { role, uri: `${role}.parquet`, format: 'parquet', rows, columns: out };
}

/** Both results with the engine's mean/std (AVG/STDDEV_POP: equal up to rounding) checked and set aside. */
function assertSameResult(sql: DriftCheckResult, memory: DriftCheckResult): void {
  const strip = (r: DriftCheckResult): unknown => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'mean' || k === 'std' ? 0 : v)));
  sql.features.forEach((f, i) => {
    const m = memory.features[i];
    if (f.type !== 'numeric' || m.type !== 'numeric') return;
    for (const side of ['reference', 'current'] as const) {
      for (const key of ['mean', 'std'] as const) {
        const [a, b] = [f.summary[side][key], m.summary[side][key]];
        assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${f.name} ${side} ${key}: ${a} != ${b}`);
      }
    }
    assert.ok(Math.abs(f.ks.pvalue - m.ks.pvalue) <= 1e-12, `${f.name}: p ${f.ks.pvalue} != ${m.ks.pvalue}`);
  });
  assert.deepEqual(strip(sql), strip(memory));
}

function fixtureColumns(n: number, seed: number, shift: number): Map<string, Column> {
  const rows = churnRows(n, seed, { ageShift: shift, planWeights: shift > 0 ? [0.45, 0.4, 0.15] : undefined });
  const rng = mulberry32(seed + 100);
  const spend = Float64Array.from(rows, () => (rng() < 0.4 ? 0 : rng() < 0.15 ? 100 : Math.round(Math.exp(3 + normal(rng)) * 100) / 100));
  return new Map<string, Column>([
    ['age', { type: 'numeric', values: Float64Array.from(rows, (r) => r.age) }],
    ['income', { type: 'numeric', values: Float64Array.from(rows, (r) => r.income) }],
    ['visits', { type: 'numeric', values: Float64Array.from(rows, (r) => Math.min(9, Math.floor(r.age / 8))) }],
    ['spend', { type: 'numeric', values: spend }],
    ['flat', { type: 'numeric', values: Float64Array.from(rows, (r) => (r.age > 70 ? 2 : 1.5)) }],
    ['plan', { type: 'categorical', values: rows.map((r) => r.plan) }],
    ['region', { type: 'categorical', values: rows.map((r) => r.region) }],
  ]);
}

const FEATURES: DriftFeatureConfig[] = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric', psiBuckets: 20 },
  { name: 'visits', type: 'numeric' },
  { name: 'spend', type: 'numeric', discreteMaxValues: 0 },
  { name: 'flat', type: 'numeric', discreteMaxValues: 0 },
  { name: 'plan', type: 'categorical' },
  { name: 'region', type: 'categorical' },
];

describe('drift checks as SQL on DuckDB against the in-memory checker', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  before(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  after(() => {
    conn.closeSync();
    instance.closeSync();
  });

  async function compare(features: DriftFeatureConfig[], ref: Map<string, Column>, cur: Map<string, Column>): Promise<DriftCheckResult> {
    await loadTable(conn, 'ref', ref);
    await loadTable(conn, 'cur', cur);
    const config = parseDriftConfig({ model: 'churn', reference: { uri: 'reference.parquet' }, current: { uri: 'current.parquet' }, features, outputs: {} });
    const now = new Date('2026-01-01T00:00:00Z');
    const memory = computeDrift(config, dataWindow('reference', ref), dataWindow('current', cur), now);
    const runner = new DuckRunner(conn);
    const sql = await computeDriftWithSql(config, runner, { reference: '"ref"', current: '"cur"' }, now);
    assertSameResult(sql, memory);
    return sql;
  }

  it('fixture data (exact KS p-values): drifted and undrifted windows, point masses, a discrete and a two-valued feature', async () => {
    const drifted = await compare(FEATURES, fixtureColumns(2000, 1, 0), fixtureColumns(1500, 3, 4));
    assert.equal(drifted.status, 'drift');
    const age = drifted.features[0];
    assert.ok(age.type === 'numeric' && age.ks.method === 'exact' && age.comparedAs === 'distribution');
    const spend = drifted.features[3];
    assert.ok(spend.type === 'numeric' && spend.psi.buckets.method === 'point-masses', 'spend has point masses at 0 and 100');
    const visits = drifted.features[2];
    assert.ok(visits.type === 'numeric' && visits.comparedAs === 'categories');
    const same = await compare(FEATURES, fixtureColumns(3000, 5, 0), fixtureColumns(2500, 6, 0));
    assert.notEqual(same.features[0].verdict.status, 'drift');
  });

  it('CSV files through the created text table (every column a string, the features cast by the queries): the same result', async () => {
    const ref = fixtureColumns(2000, 1, 0);
    const cur = fixtureColumns(1500, 3, 4);
    const typed = await compare(FEATURES, ref, cur);
    const asText = (cols: Map<string, Column>): Map<string, Column> => new Map([...cols].map(([n, c]): [string, Column] =>
      [n, { type: 'categorical', values: c.type === 'numeric' ? Array.from(c.values, (v, i) => (i % 7 === 0 ? ` ${String(v)} ` : String(v))) : c.values }]));
    await loadTable(conn, 'ref_text', asText(ref));
    await loadTable(conn, 'cur_text', asText(cur));
    const config = parseDriftConfig({ model: 'churn', reference: { uri: 'reference.parquet' }, current: { uri: 'current.parquet' }, features: FEATURES, outputs: {} });
    const files = { location: 's3://b/p/', format: 'csv' as const, columns: [] };
    const windows = {
      reference: windowRelation('memory', { database: 'main', table: 'ref_text', files }, config.features),
      current: windowRelation('memory', { database: 'main', table: 'cur_text', files }, config.features),
    };
    assert.match(windows.reference, /^\(SELECT CAST\(NULLIF\(TRIM\("age"\), ''\) AS DOUBLE\) AS "age", .*"plan", "region" FROM "memory"\."main"\."ref_text"\)$/);
    const text = await computeDriftWithSql(config, new DuckRunner(conn), windows, new Date('2026-01-01T00:00:00Z'));
    // AVG/STDDEV_POP are the engine's (its parallel sums may round differently run to run): compared to 1e-9, the rest exactly
    assertSameResult(text, typed);
  });

  it('a constant reference and tiny windows (fewer PSI buckets)', async () => {
    const ref = new Map<string, Column>([['x', { type: 'numeric', values: new Float64Array(30).fill(3) }]]);
    const cur = new Map<string, Column>([['x', { type: 'numeric', values: Float64Array.from({ length: 12 }, (_, i) => i % 5) }]]);
    const r = await compare([{ name: 'x', type: 'numeric', discreteMaxValues: 0 }], ref, cur);
    const x = r.features[0];
    assert.ok(x.type === 'numeric' && x.psi.buckets.labels.includes('= 3'));
  });

  it('1M rows per window (asymptotic KS p-value)', async () => {
    const rng = mulberry32(42);
    const n = 1_000_000;
    const ref = new Map<string, Column>([
      ['x', { type: 'numeric', values: Float64Array.from({ length: n }, () => Math.round(normal(rng) * 1e4) / 1e4) }],
      ['z', { type: 'numeric', values: Float64Array.from({ length: n }, () => (rng() < 0.3 ? 0 : rng())) }],
    ]);
    const cur = new Map<string, Column>([
      ['x', { type: 'numeric', values: Float64Array.from({ length: n }, () => Math.round((normal(rng) * 1.01 + 0.002) * 1e4) / 1e4) }],
      ['z', { type: 'numeric', values: Float64Array.from({ length: n }, () => (rng() < 0.31 ? 0 : rng())) }],
    ]);
    const r = await compare([{ name: 'x', type: 'numeric' }, { name: 'z', type: 'numeric' }], ref, cur);
    const x = r.features[0];
    assert.ok(x.type === 'numeric' && x.ks.method === 'asymp');
  });
});

describe('ksFromStatistic', () => {
  it('equals ks2samp on the samples for the exact and the asymptotic method', () => {
    const rng = mulberry32(7);
    for (const [n1, n2] of [[40, 60], [333, 1000], [10, 10], [12000, 9000]]) {
      const a = Array.from({ length: n1 }, () => Math.round(normal(rng) * 10) / 10);
      const b = Array.from({ length: n2 }, () => Math.round((normal(rng) + 0.2) * 10) / 10);
      const want = ks2samp(a, b);
      assert.deepEqual(ksFromStatistic(want.statistic, n1, n2), { statistic: want.statistic, pvalue: want.pvalue, method: want.method });
    }
  });
});
