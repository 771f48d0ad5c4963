/**
 * SQL of the drift checks on a query engine (Athena / Trino), in the dialect
 * subset that Trino and DuckDB share, so that the queries are tested in-process
 * on DuckDB against the in-memory checker.
 *
 * The SQL computes only exact integer counts and picks values at row ranks;
 * every floating-point step that must be bit-identical to the in-memory
 * checker (quantile interpolation, PSI, chi-square, p-values) runs in
 * TypeScript on those counts (`athena-check.ts`). The KS extremes are the
 * max/min of `fa / n1 - fb / n2` over the distinct values of the union of both
 * windows, where fa/fb are cumulative counts (window functions ordered by the
 * value): the same IEEE-754 division and subtraction as the in-memory merge.
 *
 * Constructs used, all in both engines: CTEs, UNION ALL, GROUP BY, window
 * functions `SUM(...) OVER (ORDER BY ... ROWS BETWEEN UNBOUNDED PRECEDING AND
 * CURRENT ROW)` and `OVER ()`, `VALUES` in FROM, CASE, CAST, FLOOR, GREATEST,
 * LEAST, AVG, STDDEV_POP (Trino functions:
 * https://trino.io/docs/current/functions/aggregate.html, window functions:
 * https://trino.io/docs/current/functions/window.html; DuckDB:
 * https://duckdb.org/docs/sql/functions/window_functions). Double literals
 * are written as `CAST('<shortest round-trip decimal>' AS DOUBLE)`: both
 * engines parse a string to the nearest double, so the value is exact.
 */

import type { DriftAthenaWindow } from './athena-config';

/** A window's relation in SQL: an already quoted table reference such as `"AwsDataCatalog"."db"."t"`. */
export type SqlRelation = string;

/** Quotes an identifier (`"a""b"`). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal (`'it''s'`). */
export function quoteString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A finite double as an exact SQL literal. */
export function doubleLiteral(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  return `CAST('${String(v === 0 ? 0 : v)}' AS DOUBLE)`;
}

/** `"catalog"."database"."table"`. */
export function tableRelation(catalog: string, database: string, table: string): SqlRelation {
  return [catalog, database, table].map(quoteIdent).join('.');
}

/**
 * A window's relation: its table, or for a table of CSV files (read by
 * OpenCSVSerDe, every column text) a subquery that casts each numeric feature
 * to DOUBLE: a blank field becomes NULL (counted and reported as missing, as
 * the in-memory reader does) and any other non-number fails the query;
 * categorical columns pass unchanged. Both engines accept a subquery without
 * an alias in FROM.
 */
export function windowRelation(catalog: string, window: DriftAthenaWindow, features: ReadonlyArray<{ readonly name: string; readonly type: 'numeric' | 'categorical' }>): SqlRelation {
  const table = tableRelation(catalog, window.database, window.table);
  if (window.files?.format !== 'csv') return table;
  const columns = features.map((f) => (f.type === 'numeric'
    ? `CAST(NULLIF(TRIM(${quoteIdent(f.name)}), '') AS DOUBLE) AS ${quoteIdent(f.name)}`
    : quoteIdent(f.name)));
  return `(SELECT ${columns.join(', ')} FROM ${table})`;
}

const CUMULATIVE = 'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';

/** Column names of {@link numericProfileSql}'s result, in order. */
export const PROFILE_COLUMNS = [
  'kind', 'x', 'ca', 'cb', 'n1', 'n2', 'nd', 'dmax', 'dmin', 'null1', 'null2',
  'mean1', 'std1', 'min1', 'max1', 'mean2', 'std2', 'min2', 'max2', 'fractional',
] as const;

function union(ref: SqlRelation, cur: SqlRelation, column: string): string {
  const c = quoteIdent(column);
  return `u AS (\n  SELECT CAST(${c} AS DOUBLE) AS x, 1 AS ia, 0 AS ib FROM ${ref}\n  UNION ALL\n  SELECT CAST(${c} AS DOUBLE) AS x, 0 AS ia, 1 AS ib FROM ${cur}\n)`;
}

/**
 * Profile of a numeric feature (one scan of both windows): a 'total' row with
 * the sizes, the number of distinct values of both windows together, the KS
 * extremes max/min of F_ref - F_cur over the distinct values, missing values,
 * summaries and the count of non-integer values; and a 'value' row (x, ca, cb)
 * for every distinct value when there are at most `listAtMost` of them, or
 * otherwise for every value that may be a point mass of a reference split in
 * `massBuckets` buckets (a superset: `ca * B >= n1 - B`; the exact share test
 * runs in TypeScript).
 */
export function numericProfileSql(ref: SqlRelation, cur: SqlRelation, column: string, listAtMost: number, massBuckets: number): string {
  const d = (s: string): string => `CAST(${s} AS DOUBLE)`;
  const stats = (tag: string, flag: string): string => [
    `CAST(SUM(CASE WHEN ${flag} = 1 AND x IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS null${tag}`,
    `AVG(CASE WHEN ${flag} = 1 THEN x END) AS mean${tag}`,
    `STDDEV_POP(CASE WHEN ${flag} = 1 THEN x END) AS std${tag}`,
    `MIN(CASE WHEN ${flag} = 1 THEN x END) AS min${tag}`,
    `MAX(CASE WHEN ${flag} = 1 THEN x END) AS max${tag}`,
  ].join(',\n    ');
  const nulls = 'CAST(NULL AS DOUBLE)';
  const pad = (n: number): string => Array.from({ length: n }, () => nulls).join(', ');
  return `WITH ${union(ref, cur, column)},
s AS (
  SELECT
    ${stats('1', 'ia')},
    ${stats('2', 'ib')},
    CAST(SUM(CASE WHEN x <> FLOOR(x) THEN 1 ELSE 0 END) AS BIGINT) AS fractional
  FROM u
),
g AS (SELECT x, CAST(SUM(ia) AS BIGINT) AS ca, CAST(SUM(ib) AS BIGINT) AS cb FROM u WHERE x IS NOT NULL GROUP BY x),
c AS (
  SELECT x, ca, cb,
    SUM(ca) OVER (ORDER BY x ${CUMULATIVE}) AS fa,
    SUM(cb) OVER (ORDER BY x ${CUMULATIVE}) AS fb,
    SUM(ca) OVER () AS n1,
    SUM(cb) OVER () AS n2,
    COUNT(*) OVER () AS nd
  FROM g
),
t AS (
  SELECT CAST(MAX(n1) AS BIGINT) AS n1, CAST(MAX(n2) AS BIGINT) AS n2, CAST(MAX(nd) AS BIGINT) AS nd,
    MAX(${d('fa')} / ${d('n1')} - ${d('fb')} / ${d('n2')}) AS dmax,
    MIN(${d('fa')} / ${d('n1')} - ${d('fb')} / ${d('n2')}) AS dmin
  FROM c
)
SELECT 'total' AS kind, ${nulls} AS x, CAST(NULL AS BIGINT) AS ca, CAST(NULL AS BIGINT) AS cb,
  ${d('t.n1')}, ${d('t.n2')}, ${d('t.nd')}, t.dmax, t.dmin, ${d('s.null1')}, ${d('s.null2')},
  s.mean1, s.std1, s.min1, s.max1, s.mean2, s.std2, s.min2, s.max2, ${d('s.fractional')}
FROM t CROSS JOIN s
UNION ALL
SELECT 'value', c.x, CAST(c.ca AS BIGINT), CAST(c.cb AS BIGINT), ${pad(PROFILE_COLUMNS.length - 4)}
FROM c
WHERE c.nd <= ${Math.floor(listAtMost)} OR c.ca * ${Math.floor(massBuckets)} >= c.n1 - ${Math.floor(massBuckets)}`;
}

/** Which window's values {@link rankValuesSql} picks from. */
export interface RankRequest {
  /** Result tag of these ranks. */
  readonly tag: string;
  /** 'ref' or 'cur'. */
  readonly window: 'ref' | 'cur';
  /** 0-based ranks in the window's ascending order. */
  readonly ranks: readonly number[];
  /** Values left out before ranking (the point masses). @default - none */
  readonly exclude?: readonly number[];
}

/** Column names of {@link rankValuesSql}'s result. */
export const RANK_COLUMNS = ['tag', 'rk', 'x'] as const;

/**
 * The values at given 0-based ranks of each window (one scan): per distinct
 * value its count and cumulative count `hi`; rank r holds the value whose
 * rows span [hi - n, hi).
 */
export function rankValuesSql(ref: SqlRelation, cur: SqlRelation, column: string, requests: readonly RankRequest[]): string {
  const c = quoteIdent(column);
  const parts = requests.filter((r) => r.ranks.length > 0).map((r, i) => {
    const from = r.window === 'ref' ? ref : cur;
    const exclude = r.exclude !== undefined && r.exclude.length > 0 ? ` WHERE x NOT IN (${r.exclude.map(doubleLiteral).join(', ')})` : '';
    const ranks = [...new Set(r.ranks)].sort((a, b) => a - b).map((k) => `(${Math.floor(k)})`).join(', ');
    const cte = `g${i} AS (SELECT x, COUNT(*) AS n FROM (SELECT CAST(${c} AS DOUBLE) AS x FROM ${from}) AS w${exclude} GROUP BY x),
h${i} AS (SELECT x, n, SUM(n) OVER (ORDER BY x ${CUMULATIVE}) AS hi FROM g${i})`;
    const select = `SELECT ${quoteString(r.tag)} AS tag, CAST(k.rk AS BIGINT) AS rk, h.x FROM h${i} AS h JOIN (VALUES ${ranks}) AS k(rk) ON k.rk >= h.hi - h.n AND k.rk < h.hi`;
    return { cte, select };
  });
  if (parts.length === 0) throw new RangeError('rankValuesSql: no ranks requested');
  return `WITH ${parts.map((p) => p.cte).join(',\n')}\n${parts.map((p) => p.select).join('\nUNION ALL\n')}`;
}

/** Numeric buckets: range i holds the values that are not a point and have exactly i interior edges <= them; point j is bucket (ranges + j). */
export interface SqlBuckets {
  /** Interior edges, ascending. */
  readonly interior: readonly number[];
  /** Point masses. */
  readonly points: readonly number[];
}

/** The plot histogram's bins: equal-width between lo and hi (outer bins open), or one bin per integer from `lo`. */
export type SqlHistogramBins =
  | { readonly kind: 'width'; readonly lo: number; readonly hi: number; readonly width: number; readonly bins: number }
  | { readonly kind: 'integer'; readonly lo: number };

/** Column names of {@link bucketCountsSql}'s result. */
export const COUNT_COLUMNS = ['kind', 'i', 'ca', 'cb'] as const;

function bucketExpr(b: SqlBuckets): string {
  const ranges = b.interior.length === 0 ? '0' : b.interior.map((e) => `CASE WHEN x >= ${doubleLiteral(e)} THEN 1 ELSE 0 END`).join(' + ');
  if (b.points.length === 0) return ranges;
  const nRanges = b.interior.length + 1;
  const whens = b.points.map((p, j) => `WHEN x = ${doubleLiteral(p)} THEN ${nRanges + j}`).join(' ');
  return `CASE ${whens} ELSE ${ranges} END`;
}

function histogramExpr(h: SqlHistogramBins): string {
  if (h.kind === 'integer') return `CAST(x - ${doubleLiteral(h.lo)} AS BIGINT)`;
  // clamped as a double before the cast, so that a far outlier cannot overflow BIGINT
  return `LEAST(GREATEST(FLOOR((x - ${doubleLiteral(h.lo)}) / ${doubleLiteral(h.width)}), 0), ${h.bins - 1})`;
}

/** Rows of both windows per PSI bucket ('psi') and, when given, per plot bin ('hist'), in one scan. */
export function bucketCountsSql(ref: SqlRelation, cur: SqlRelation, column: string, buckets: SqlBuckets, histogram?: SqlHistogramBins): string {
  const select = (kind: string, expr: string): string =>
    `SELECT ${quoteString(kind)} AS kind, CAST(${expr} AS BIGINT) AS i, CAST(SUM(ia) AS BIGINT) AS ca, CAST(SUM(ib) AS BIGINT) AS cb FROM u GROUP BY ${expr}`;
  const parts = [select('psi', bucketExpr(buckets)), ...(histogram === undefined ? [] : [select('hist', histogramExpr(histogram))])];
  return `WITH ${union(ref, cur, column)}\n${parts.join('\nUNION ALL\n')}`;
}

/** Column names of {@link categoryCountsSql}'s result. */
export const CATEGORY_COLUMNS = ['w', 'v', 'n'] as const;

/** Rows per category value of each window (NULL is returned as a category of its own, so that it can be reported). */
export function categoryCountsSql(ref: SqlRelation, cur: SqlRelation, column: string): string {
  const c = quoteIdent(column);
  const part = (w: string, from: SqlRelation): string =>
    `SELECT ${quoteString(w)} AS w, CAST(${c} AS VARCHAR) AS v, CAST(COUNT(*) AS BIGINT) AS n FROM ${from} GROUP BY CAST(${c} AS VARCHAR)`;
  return `${part('ref', ref)}\nUNION ALL\n${part('cur', cur)}`;
}
