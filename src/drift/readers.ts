/**
 * Data readers of the drift checker: CSV (streaming, csv-parse), JSON Lines
 * (streaming, line by line) and Parquet (hyparquet, one row group at a time,
 * only the configured columns).
 *
 * Only the configured columns are kept, in typed form: numeric features as a
 * Float64Array, categorical features dictionary-encoded (a Uint32Array of codes
 * into a category list), labels reduced to a ring buffer of hit/miss flags.
 * 1,000,000 rows x 20 numeric features is 160 MB per window.
 *
 * Bad data is a {@link DriftDataError} naming the window, the column, the row
 * (1-based data row; plus the file line for CSV/JSONL) and the value: missing
 * columns, missing values, NaN/Infinity or non-numeric text in a numeric
 * feature, empty windows and reference/current schema mismatches.
 */
import { released } from '../core/gc';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, Compressors, DecodedArray, FileMetaData, SchemaElement } from 'hyparquet';
import * as zlib from 'node:zlib';
import type { DriftDataFormat, ResolvedDriftDataSource } from './config';
import { isRecord } from '../core/json';
import { CsvFallback, CsvScanner, fastDecimal, fieldText } from './csv-scan';
import type { CsvRecord } from './csv-scan';
import { DriftDataError, describeError } from './errors';
import { S3ClientProvider, openByteStream, openRandomAccess } from './io';

/** Which window a data set is. */
export type DriftWindowRole = 'reference' | 'current';

/** A numeric feature column. */
export interface NumericColumn {
  /** Column name. */
  readonly name: string;
  /** Feature kind. */
  readonly type: 'numeric';
  /** One finite value per row. */
  readonly values: Float64Array;
}

/** A categorical feature column, dictionary-encoded. */
export interface CategoricalColumn {
  /** Column name. */
  readonly name: string;
  /** Feature kind. */
  readonly type: 'categorical';
  /** Distinct values in order of first appearance. */
  readonly categories: readonly string[];
  /** One index into `categories` per row. */
  readonly codes: Uint32Array;
}

/** A feature column. */
export type DataColumn = NumericColumn | CategoricalColumn;

/** Prediction/ground-truth comparison of the labelled rows. */
export interface LabelOutcomes {
  /** Number of labelled rows (ground truth present) in the whole window. */
  readonly labelled: number;
  /** Hit (1) / miss (0) of the most recent labelled rows, oldest first, at most `window` of them. */
  readonly recent: Uint8Array;
}

/** What to read from a window. */
export interface ColumnRequest {
  /** Features to read, with their kinds. */
  readonly features: ReadonlyArray<{ readonly name: string; readonly type: 'numeric' | 'categorical' }>;
  /** Label columns (current window only). */
  readonly labels?: { readonly prediction: string; readonly actual: string; readonly window: number };
}

/** One window of data, reduced to the requested columns. */
export interface DataWindow {
  /** Which window. */
  readonly role: DriftWindowRole;
  /** Where it came from. */
  readonly uri: string;
  /** Its format. */
  readonly format: DriftDataFormat;
  /** Number of data rows. */
  readonly rows: number;
  /** Feature columns by name, in request order. */
  readonly columns: ReadonlyMap<string, DataColumn>;
  /** Value types per column for typed formats (JSON Lines, Parquet); undefined for CSV. */
  readonly valueTypes?: ReadonlyMap<string, ValueTypes>;
  /** Label outcomes when labels were requested. */
  readonly labels?: LabelOutcomes;
}

/** Value types seen in a column: a bit set of {@link VALUE_NUMBER}, {@link VALUE_STRING}, {@link VALUE_BOOLEAN}, {@link VALUE_OTHER}, and a description. */
export interface ValueTypes {
  /** Bit set of the kinds of values. */
  readonly mask: number;
  /** Human description, e.g. "parquet DOUBLE" or "JSON number". */
  readonly description: string;
}

/** Numbers (including integers). */
export const VALUE_NUMBER = 1;
/** Strings. */
export const VALUE_STRING = 2;
/** Booleans. */
export const VALUE_BOOLEAN = 4;
/** Anything else (objects, arrays, dates, binary). */
export const VALUE_OTHER = 8;

/** Options of {@link readDataWindow}. */
export interface ReadOptions {
  /** Which window (for messages). */
  readonly role: DriftWindowRole;
  /** Directory that relative paths resolve against. */
  readonly baseDir: string;
  /** S3 client for `s3://` URIs. */
  readonly s3: S3ClientProvider;
  /** Read CSV with the byte scanner first (csv-scan.ts); false: csv-parse only. @default true */
  readonly csvFastPath?: boolean;
}

// ---------------------------------------------------------------------------
// column builders

/** A problem with one cell; the reader adds window, row and line. */
class CellError extends Error {
  constructor(public readonly column: string, message: string) {
    super(message);
  }
}

const CHUNK = 1 << 16;

/** A growable typed array: fixed-size chunks while reading, one array at the end. */
class Chunks<A extends Float64Array | Uint32Array> {
  public length = 0;
  private readonly chunks: A[] = [];
  private cur: A;
  private pos = 0;
  private readonly size: number;

  /**
   * @param capacity the exact length when known: one array, no copy at the end
   * @param into an array of exactly `capacity` elements to fill instead of a new one
   */
  constructor(private readonly make: (n: number) => A, capacity?: number, into?: A) {
    this.size = capacity ?? CHUNK;
    this.cur = into !== undefined && into.length === this.size ? into : make(this.size);
  }

  public push(v: number): void {
    if (this.pos === this.size) {
      this.chunks.push(this.cur);
      this.cur = this.make(CHUNK);
      this.pos = 0;
    }
    this.cur[this.pos++] = v;
    this.length++;
  }

  public finish(): A {
    if (this.chunks.length === 0 && this.pos === this.cur.length) return this.cur;
    const out = this.make(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    out.set(this.cur.subarray(0, this.pos), o);
    this.chunks.length = 0;
    return out;
  }
}

function showValue(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = JSON.stringify(v);
  else if (typeof v === 'bigint') s = `${v}`;
  else if (v instanceof Date) s = `date ${v.toISOString()}`;
  else if (v instanceof Uint8Array) s = `<${v.length} bytes>`;
  else if (typeof v === 'number' || typeof v === 'boolean' || v === null) s = String(v);
  else {
    try {
      s = JSON.stringify(v) ?? typeof v;
    } catch {
      s = `<${typeof v}>`;
    }
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const NAN_OR_INF = /^\s*[+-]?(nan|inf|infinity)\s*$/i;
const RADIX_PREFIX = /^\s*[+-]?0[xbo]/i;

function isRadixLetter(c: number): boolean {
  const l = c | 32;
  return l === 120 || l === 98 || l === 111; // x, b, o
}

/** Parses a cell of a numeric feature; throws CellError with the reason. */
function toNumber(column: string, v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    throw new CellError(column, `value ${String(v)} is not a finite number (NaN and Infinity are not allowed)`);
  }
  if (typeof v === 'string') {
    const n = Number(v);
    // fast path: a finite number that starts with a digit, sign or dot and is not 0x/0b/0o-prefixed
    // (Number() also accepts '', whitespace and radix prefixes, which the slow path below sorts out)
    const c0 = v.charCodeAt(0);
    if (n - n === 0 && ((c0 >= 49 && c0 <= 57) || c0 === 45 || c0 === 46 || (c0 === 48 && (v.length === 1 || !isRadixLetter(v.charCodeAt(1)))))) return n;
    if (Number.isFinite(n) && v.trim() !== '' && !RADIX_PREFIX.test(v)) return n;
    if (v.trim() === '') throw new CellError(column, 'missing value (empty)');
    if (NAN_OR_INF.test(v) || (Number.isNaN(n) === false && !Number.isFinite(n))) {
      throw new CellError(column, `value ${showValue(v)} is not a finite number (NaN and Infinity are not allowed)`);
    }
    throw new CellError(column, `non-numeric value ${showValue(v)}`);
  }
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) throw new CellError(column, `missing value (${v === null ? 'null' : 'absent'})`);
  throw new CellError(column, `non-numeric value ${showValue(v)}${typeof v === 'boolean' ? ' (boolean)' : ''}`);
}

/** Converts a cell of a categorical feature to its category; throws CellError for missing/non-scalar values. */
function toCategory(column: string, v: unknown): string {
  if (typeof v === 'string') {
    if (v !== '') return v;
    throw new CellError(column, 'missing value (empty)');
  }
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return String(v);
    throw new CellError(column, `missing value (${String(v)})`);
  }
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) throw new CellError(column, `missing value (${v === null ? 'null' : 'absent'})`);
  throw new CellError(column, `value ${showValue(v)} is not a category (expected a string, number or boolean)`);
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

/**
 * Canonical form of a prediction or label, so that `1`, `1.0` and `"1"` match
 * and `True`/`true` match. Undefined means missing.
 */
export function canonicalLabel(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : String(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === '') return undefined;
    if (NUMERIC_TEXT.test(s)) return String(Number(s));
    if (/^(true|false)$/i.test(s)) return s.toLowerCase();
    return s;
  }
  return showValue(v);
}

interface Builder {
  readonly name: string;
  push(v: unknown): void;
  /** Bulk append of a decoded parquet chunk; returns the index of a bad value or -1. */
  pushMany(data: DecodedArray, from: number, to: number): void;
  finish(): DataColumn;
}

class NumericBuilder implements Builder {
  private readonly data: Chunks<Float64Array>;

  /** @param into an array of exactly `rows` elements to fill (reused between features) */
  constructor(public readonly name: string, rows?: number, into?: Float64Array) {
    this.data = new Chunks((n) => new Float64Array(n), rows, into);
  }

  public push(v: unknown): void {
    this.data.push(toNumber(this.name, v));
  }

  /** Appends a value already known to be a finite number. */
  public pushNumber(x: number): void {
    this.data.push(x);
  }

  public pushMany(arr: DecodedArray, from: number, to: number): void {
    if (arr instanceof Float64Array || arr instanceof Float32Array) {
      for (let i = from; i < to; i++) {
        const x = arr[i];
        if (x - x !== 0) throw new RowError(i, new CellError(this.name, `value ${String(x)} is not a finite number (NaN and Infinity are not allowed)`));
        this.data.push(x);
      }
    } else if (arr instanceof Int32Array || arr instanceof Uint32Array || arr instanceof Uint8Array) {
      for (let i = from; i < to; i++) this.data.push(arr[i]);
    } else {
      for (let i = from; i < to; i++) {
        try {
          this.data.push(toNumber(this.name, arr[i]));
        } catch (err) {
          throw new RowError(i, err);
        }
      }
    }
  }

  public finish(): NumericColumn {
    return { name: this.name, type: 'numeric', values: this.data.finish() };
  }
}

class CategoricalBuilder implements Builder {
  private readonly dict = new Map<string, number>();
  private readonly categories: string[] = [];
  private readonly codes = new Chunks((n) => new Uint32Array(n));

  constructor(public readonly name: string) {}

  public push(v: unknown): void {
    const c = toCategory(this.name, v);
    let code = this.dict.get(c);
    if (code === undefined) {
      code = this.categories.length;
      this.categories.push(c);
      this.dict.set(c, code);
    }
    this.codes.push(code);
  }

  public pushMany(arr: DecodedArray, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      try {
        this.push(arr[i]);
      } catch (err) {
        throw new RowError(i, err);
      }
    }
  }

  public finish(): CategoricalColumn {
    return { name: this.name, type: 'categorical', categories: this.categories, codes: this.codes.finish() };
  }
}

class LabelBuilder {
  private labelled = 0;
  private readonly ring: Uint8Array;

  constructor(public readonly prediction: string, public readonly actual: string, window: number) {
    this.ring = new Uint8Array(window);
  }

  public push(pred: unknown, act: unknown): void {
    const a = canonicalLabel(act);
    if (a === undefined) return;
    const p = canonicalLabel(pred);
    if (p === undefined) throw new CellError(this.prediction, `missing prediction in a labelled row (${this.actual} = ${showValue(act)})`);
    this.ring[this.labelled % this.ring.length] = p === a ? 1 : 0;
    this.labelled++;
  }

  public finish(): LabelOutcomes {
    const n = Math.min(this.labelled, this.ring.length);
    const recent = new Uint8Array(n);
    const start = this.labelled - n;
    for (let i = 0; i < n; i++) recent[i] = this.ring[(start + i) % this.ring.length];
    return { labelled: this.labelled, recent };
  }
}

/** Carries the 0-based row (relative to a chunk) of a cell error out of a bulk append. */
class RowError extends Error {
  constructor(public readonly index: number, public readonly inner: unknown) {
    super('row error');
  }
}

class WindowBuilder {
  public readonly builders: Builder[];
  public readonly labels?: LabelBuilder;
  public rows = 0;

  constructor(request: ColumnRequest) {
    this.builders = request.features.map((f) => f.type === 'numeric' ? new NumericBuilder(f.name) : new CategoricalBuilder(f.name));
    if (request.labels !== undefined) this.labels = new LabelBuilder(request.labels.prediction, request.labels.actual, request.labels.window);
  }

  /** Every column the window needs, features first, without duplicates. */
  public columnNames(): string[] {
    const names = this.builders.map((b) => b.name);
    if (this.labels !== undefined) names.push(this.labels.prediction, this.labels.actual);
    return [...new Set(names)];
  }

  public finish(role: DriftWindowRole, source: ResolvedDriftDataSource, what: string, valueTypes?: ReadonlyMap<string, ValueTypes>): DataWindow {
    if (this.rows === 0) throw new DriftDataError(`${what}: the window is empty (no data rows)`);
    const columns = new Map<string, DataColumn>();
    for (const b of this.builders) columns.set(b.name, b.finish());
    return {
      role,
      uri: source.uri,
      format: source.format,
      rows: this.rows,
      columns,
      ...(valueTypes === undefined ? {} : { valueTypes }),
      ...(this.labels === undefined ? {} : { labels: this.labels.finish() }),
    };
  }
}

function cellFailure(what: string, err: unknown, row: number, line?: number): Error {
  if (err instanceof CellError) {
    const where = line === undefined ? `row ${row}` : `row ${row} (line ${line})`;
    return new DriftDataError(`${what}: column '${err.column}', ${where}: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function missingColumns(what: string, missing: readonly string[], available: readonly string[], noun: string): DriftDataError {
  const list = available.length > 30 ? `${available.slice(0, 30).join(', ')}, ... (${available.length} in total)` : available.join(', ');
  const cols = missing.map((m) => `'${m}'`).join(', ');
  return new DriftDataError(`${what}: ${missing.length === 1 ? 'column' : 'columns'} ${cols} not found; available ${noun}: ${list === '' ? '(none)' : list}`);
}

// ---------------------------------------------------------------------------
// CSV

async function readCsv(stream: Readable, wb: WindowBuilder, what: string): Promise<void> {
  const needed = wb.columnNames();
  const labels = wb.labels;
  let idx: number[] = [];
  let labelIdx: [number, number] | undefined;
  let sawHeader = false;
  const parser = parseCsv({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: false,
    on_record: (record: string[], ctx): null => {
      if (!sawHeader) {
        sawHeader = true;
        const header = record.map((h) => h.trim());
        const missing = needed.filter((n) => !header.includes(n));
        if (missing.length > 0) throw missingColumns(what, missing, header, 'columns');
        for (const n of needed) {
          if (header.indexOf(n) !== header.lastIndexOf(n)) throw new DriftDataError(`${what}: column '${n}' appears more than once in the header`);
        }
        idx = wb.builders.map((b) => header.indexOf(b.name));
        if (labels !== undefined) labelIdx = [header.indexOf(labels.prediction), header.indexOf(labels.actual)];
        return null;
      }
      const row = wb.rows + 1;
      try {
        for (let i = 0; i < idx.length; i++) wb.builders[i].push(record[idx[i]]);
        if (labels !== undefined && labelIdx !== undefined) labels.push(record[labelIdx[0]], record[labelIdx[1]]);
      } catch (err) {
        throw cellFailure(what, err, row, ctx.lines);
      }
      wb.rows = row;
      return null;
    },
  });
  let sourceFailed = false;
  stream.on('error', (err) => {
    sourceFailed = true;
    parser.destroy(err);
  });
  stream.pipe(parser);
  try {
    for await (const rec of parser) void rec; // records are consumed in on_record
  } catch (err) {
    if (err instanceof DriftDataError) throw err;
    if (sourceFailed) throw new DriftDataError(`cannot read ${what}: ${describeError(err)}`);
    throw new DriftDataError(`${what}: invalid CSV: ${describeError(err)}`);
  }
  if (!sawHeader) throw new DriftDataError(`${what}: the file is empty (no CSV header)`);
}

/** The header of the fast path: the same checks as csv-parse's path, which re-reads the file to word any error. */
function csvColumnIndexes(header: readonly string[], wb: WindowBuilder): { idx: number[]; labelIdx?: [number, number] } {
  const needed = wb.columnNames();
  if (needed.some((n) => header.indexOf(n) < 0 || header.indexOf(n) !== header.lastIndexOf(n))) throw new CsvFallback('header');
  const labels = wb.labels;
  return {
    idx: wb.builders.map((b) => header.indexOf(b.name)),
    ...(labels === undefined ? {} : { labelIdx: [header.indexOf(labels.prediction), header.indexOf(labels.actual)] }),
  };
}

/** How one needed field of a record goes into its builder (numbers without a string on the fast path). */
function csvCellReader(b: Builder, field: number): (r: CsvRecord) => void {
  if (b instanceof NumericBuilder) {
    return (r) => {
      const x = r.flags[field] === 2 ? undefined : fastDecimal(r.buf, r.starts[field], r.ends[field]);
      if (x === undefined) b.push(fieldText(r, field));
      else b.pushNumber(x);
    };
  }
  return (r) => b.push(fieldText(r, field));
}

/**
 * Reads a CSV window with the byte scanner of csv-scan.ts. Throws
 * {@link CsvFallback} for any input it does not read exactly like csv-parse and
 * for any bad cell (the csv-parse path words the error).
 */
async function readCsvFast(stream: Readable, wb: WindowBuilder, what: string): Promise<void> {
  let width = -1;
  let cells: Array<(r: CsvRecord) => void> = [];
  const scanner = new CsvScanner((r) => {
    if (width < 0) {
      const header = Array.from({ length: r.count }, (_, i) => fieldText(r, i).trim());
      width = r.count;
      const { idx, labelIdx } = csvColumnIndexes(header, wb);
      cells = idx.map((f, i) => csvCellReader(wb.builders[i], f));
      const labels = wb.labels;
      if (labels !== undefined && labelIdx !== undefined) {
        cells.push((rec) => labels.push(fieldText(rec, labelIdx[0]), fieldText(rec, labelIdx[1])));
      }
      return;
    }
    if (r.count !== width) throw new CsvFallback('record length');
    for (let i = 0; i < cells.length; i++) cells[i](r);
    wb.rows++;
  });
  try {
    for await (const chunk of stream) scanner.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    scanner.end();
  } catch (err) {
    if (err instanceof CsvFallback || err instanceof DriftDataError) throw err;
    if (err instanceof CellError) throw new CsvFallback(err.message);
    throw new DriftDataError(`cannot read ${what}: ${describeError(err)}`);
  }
  if (width < 0) throw new CsvFallback('no header');
}

// ---------------------------------------------------------------------------
// JSON Lines

function jsonKind(v: unknown): number {
  switch (typeof v) {
    case 'number': return VALUE_NUMBER;
    case 'string': return VALUE_STRING;
    case 'boolean': return VALUE_BOOLEAN;
    default: return v === null ? 0 : VALUE_OTHER;
  }
}

function describeMask(mask: number, prefix: string): string {
  const parts: string[] = [];
  if (mask & VALUE_NUMBER) parts.push('number');
  if (mask & VALUE_STRING) parts.push('string');
  if (mask & VALUE_BOOLEAN) parts.push('boolean');
  if (mask & VALUE_OTHER) parts.push('object/array');
  return `${prefix} ${parts.join('/') || 'null'}`;
}

async function readJsonl(stream: Readable, wb: WindowBuilder, what: string): Promise<Map<string, ValueTypes>> {
  const masks = new Array<number>(wb.builders.length).fill(0);
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let first = true;
  let sawActual = false;
  const streamError = new Promise<never>((_, reject) => stream.once('error', reject));
  streamError.catch(() => undefined);
  const iterate = async (): Promise<void> => {
    for await (const raw of rl) {
      line++;
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        throw new DriftDataError(`${what}: line ${line}: invalid JSON (${describeError(err)})`);
      }
      if (!isRecord(obj)) {
        throw new DriftDataError(`${what}: line ${line}: expected a JSON object per line, got ${showValue(obj)}`);
      }
      const rec = obj;
      if (first) {
        first = false;
        const needed = wb.builders.map((b) => b.name);
        if (wb.labels !== undefined) needed.push(wb.labels.prediction);
        const missing = needed.filter((n) => !Object.prototype.hasOwnProperty.call(rec, n));
        if (missing.length > 0) throw missingColumns(`${what} (first row, line ${line})`, missing, Object.keys(rec), 'keys');
      }
      const row = wb.rows + 1;
      try {
        for (let i = 0; i < wb.builders.length; i++) {
          const v = rec[wb.builders[i].name];
          masks[i] |= jsonKind(v);
          wb.builders[i].push(v);
        }
        if (wb.labels !== undefined) {
          const act = rec[wb.labels.actual];
          if (act !== undefined) sawActual = true;
          wb.labels.push(rec[wb.labels.prediction], act);
        }
      } catch (err) {
        throw cellFailure(what, err, row, line);
      }
      wb.rows = row;
    }
  };
  try {
    await Promise.race([iterate(), streamError]);
  } catch (err) {
    if (err instanceof DriftDataError) throw err;
    throw new DriftDataError(`cannot read ${what}: ${describeError(err)}`);
  } finally {
    rl.close();
    stream.destroy();
  }
  if (wb.labels !== undefined && wb.rows > 0 && !sawActual) {
    throw new DriftDataError(`${what}: label column '${wb.labels.actual}' not found in any row`);
  }
  const types = new Map<string, ValueTypes>();
  wb.builders.forEach((b, i) => types.set(b.name, { mask: masks[i], description: describeMask(masks[i], 'JSON') }));
  return types;
}

// ---------------------------------------------------------------------------
// Parquet

/** Decompressors beyond hyparquet's built-in SNAPPY, from node:zlib. */
const COMPRESSORS: Compressors = {
  GZIP: (input) => zlib.gunzipSync(input),
  BROTLI: (input) => zlib.brotliDecompressSync(input),
};

function parquetKind(el: SchemaElement): ValueTypes {
  const logical = el.logical_type?.type;
  const desc = `parquet ${el.type ?? 'group'}${logical !== undefined ? ` (${logical})` : el.converted_type !== undefined ? ` (${el.converted_type})` : ''}`;
  const stringy = logical === 'STRING' || logical === 'ENUM' || logical === 'JSON' || el.converted_type === 'UTF8' || el.converted_type === 'ENUM';
  let mask = VALUE_OTHER;
  if (el.type === 'BOOLEAN') {
    mask = VALUE_BOOLEAN;
  } else if (logical === 'DECIMAL' || el.converted_type === 'DECIMAL') {
    mask = VALUE_NUMBER; // hyparquet decodes decimals to numbers
  } else if (el.type === 'INT32' || el.type === 'INT64' || el.type === 'FLOAT' || el.type === 'DOUBLE') {
    mask = logical === undefined || logical === 'INTEGER' || logical === 'FLOAT16' ? VALUE_NUMBER : VALUE_OTHER; // dates and times are not numbers here
  } else if (el.type === 'BYTE_ARRAY' || el.type === 'FIXED_LEN_BYTE_ARRAY') {
    mask = stringy || (el.type === 'BYTE_ARRAY' && logical === undefined && el.converted_type === undefined) ? VALUE_STRING : VALUE_OTHER;
  }
  return { mask, description: desc };
}

interface Chunk {
  readonly rowStart: number;
  readonly data: DecodedArray;
}

/** An open parquet window: schema checked, labels read; feature columns decoded on request, one at a time. */
class ParquetWindow {
  public rows = 0;

  private constructor(
    private readonly file: AsyncBuffer & { close(): Promise<void> }, private readonly metadata: FileMetaData, private readonly what: string,
    public readonly valueTypes: Map<string, ValueTypes>,
  ) {
    for (const group of metadata.row_groups) this.rows += Number(group.num_rows);
  }

  /** Opens the file, checks that every needed column is there and flat, and reads the labels. */
  public static async open(source: ResolvedDriftDataSource, opts: ReadOptions, wb: WindowBuilder, what: string): Promise<ParquetWindow> {
    const file = await openRandomAccess(source.uri, opts.baseDir, opts.s3, what);
    try {
      let metadata: FileMetaData;
      try {
        metadata = await parquetMetadataAsync(file);
      } catch (err) {
        if (err instanceof DriftDataError) throw err;
        throw new DriftDataError(`${what}: not a readable parquet file (${describeError(err)})`);
      }
      const window = new ParquetWindow(file, metadata, what, parquetTypes(metadata, wb.columnNames(), what));
      if (wb.labels !== undefined) await window.readLabels(wb.labels);
      return window;
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** Each row group with data: [start, end). */
  private *groups(): Generator<ParquetRange> {
    let start = 0;
    for (const group of this.metadata.row_groups) {
      const end = start + Number(group.num_rows);
      if (end > start) yield { file: this.file, metadata: this.metadata, start, end, what: this.what };
      start = end;
    }
  }

  /** Decodes one feature column into its builder, row group by row group. */
  public async fill(b: Builder): Promise<void> {
    for (const range of this.groups()) {
      let offset = range.start;
      for (const part of (await readParquetColumns(range, [b.name])).get(b.name) ?? []) {
        try {
          b.pushMany(part, 0, part.length);
        } catch (err) {
          if (err instanceof RowError) throw cellFailure(this.what, err.inner, offset + err.index + 1);
          throw err;
        }
        offset += part.length;
      }
      // this row group's pages and decoded values (about twice the float64s) are garbage now
      released(2 * 8 * (offset - range.start));
    }
  }

  private async readLabels(labels: LabelBuilder): Promise<void> {
    for (const range of this.groups()) {
      const columns = await readParquetColumns(range, [labels.prediction, labels.actual]);
      const pred = flattenParts(partsOf(columns, labels.prediction));
      const act = flattenParts(partsOf(columns, labels.actual));
      for (let i = 0; i < range.end - range.start; i++) {
        try {
          labels.push(pred[i], act[i]);
        } catch (err) {
          throw cellFailure(this.what, err, range.start + i + 1);
        }
      }
    }
  }

  public close(): Promise<void> {
    return this.file.close();
  }
}

/** The value types of the needed top-level columns. @throws DriftDataError for missing or nested columns */
function parquetTypes(metadata: FileMetaData, needed: readonly string[], what: string): Map<string, ValueTypes> {
  const schema = parquetSchema(metadata);
  const top = new Map(schema.children.map((c) => [c.element.name, c]));
  const missing = needed.filter((n) => !top.has(n));
  if (missing.length > 0) throw missingColumns(what, missing, [...top.keys()], 'columns');
  const types = new Map<string, ValueTypes>();
  for (const n of needed) {
    const node = top.get(n);
    if (node === undefined) continue; // reported above
    if (node.children.length > 0 || node.element.repetition_type === 'REPEATED') {
      throw new DriftDataError(`${what}: column '${n}' is a nested (struct/list/map) column; only flat columns are supported`);
    }
    types.set(n, parquetKind(node.element));
  }
  return types;
}

async function readParquet(source: ResolvedDriftDataSource, opts: ReadOptions, wb: WindowBuilder, what: string): Promise<Map<string, ValueTypes>> {
  const window = await ParquetWindow.open(source, opts, wb, what);
  try {
    // one column at a time: less decoded data alive at once, and measured faster than all columns together
    for (const b of wb.builders) await window.fill(b);
    wb.rows = window.rows;
    return window.valueTypes;
  } finally {
    await window.close();
  }
}

/** A row group of an open parquet file. */
interface ParquetRange {
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  readonly start: number;
  readonly end: number;
  readonly what: string;
}

/** Decodes the given columns of one row group: each column's parts in row order. */
async function readParquetColumns(range: ParquetRange, names: readonly string[]): Promise<Map<string, DecodedArray[]>> {
  const chunks = new Map<string, Chunk[]>(names.map((n) => [n, []]));
  try {
    await parquetRead({
      file: range.file,
      metadata: range.metadata,
      columns: [...new Set(names)],
      rowStart: range.start,
      rowEnd: range.end,
      compressors: COMPRESSORS,
      onChunk: (c) => chunks.get(c.columnName)?.push({ rowStart: c.rowStart, data: c.columnData }),
    });
  } catch (err) {
    if (err instanceof DriftDataError) throw err;
    throw new DriftDataError(`${range.what}: cannot decode parquet row group at row ${range.start + 1} (${describeError(err)})`);
  }
  const columns = new Map<string, DecodedArray[]>();
  for (const [name, list] of chunks) columns.set(name, contiguous(list, range.start, range.end, name, range.what));
  return columns;
}

/** Orders a column's chunks of one row group and trims them to [start, end). */
function contiguous(list: Chunk[], start: number, end: number, name: string, what: string): DecodedArray[] {
  const sorted = [...list].sort((a, b) => a.rowStart - b.rowStart);
  const out: DecodedArray[] = [];
  let at = start;
  for (const c of sorted) {
    const cEnd = c.rowStart + c.data.length;
    if (cEnd <= at) continue;
    if (c.rowStart > at) break;
    const from = at - c.rowStart;
    const to = Math.min(c.data.length, end - c.rowStart);
    out.push(from === 0 && to === c.data.length ? c.data : c.data.slice(from, to));
    at = c.rowStart + to;
    if (at >= end) break;
  }
  if (at < end) throw new DriftDataError(`${what}: column '${name}' has no data for rows ${at + 1}-${end} (truncated parquet file?)`);
  return out;
}

/** The decoded parts of a column of a row group (every needed column is decoded). */
function partsOf(columns: ReadonlyMap<string, DecodedArray[]>, name: string): DecodedArray[] {
  const parts = columns.get(name);
  if (parts === undefined) throw new Error(`column '${name}' was not decoded`);
  return parts;
}

function flattenParts(parts: DecodedArray[]): ArrayLike<unknown> {
  if (parts.length === 1) return parts[0];
  const out: unknown[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]);
  return out;
}

// ---------------------------------------------------------------------------

/** "reference data (s3://bucket/key)" */
export function describeWindow(role: DriftWindowRole, uri: string): string {
  return `${role} data (${uri})`;
}

/**
 * Reads one window, keeping only the requested columns.
 * @throws DriftDataError for unreadable input and bad data
 */
export async function readDataWindow(source: ResolvedDriftDataSource, request: ColumnRequest, opts: ReadOptions): Promise<DataWindow> {
  const what = describeWindow(opts.role, source.uri);
  const wb = new WindowBuilder(request);
  if (source.format === 'parquet') {
    const types = await readParquet(source, opts, wb, what);
    return wb.finish(opts.role, source, what, types);
  }
  if (source.format === 'csv') return readCsvWindow(source, request, opts, what);
  const stream = await openByteStream(source.uri, opts.baseDir, opts.s3, what);
  const types = await readJsonl(stream, wb, what);
  return wb.finish(opts.role, source, what, types);
}

/**
 * A window opened for a check one feature at a time ({@link openDataWindow}):
 * the caller takes each column when it checks that feature and drops it after.
 */
export interface FeatureSource {
  /** Which window. */
  readonly role: DriftWindowRole;
  /** Where it came from. */
  readonly uri: string;
  /** Its format. */
  readonly format: DriftDataFormat;
  /** Number of data rows. */
  readonly rows: number;
  /** Value types per column for typed formats (JSON Lines, Parquet); undefined for CSV. */
  readonly valueTypes?: ReadonlyMap<string, ValueTypes>;
  /** Label outcomes when labels were requested. */
  readonly labels?: LabelOutcomes;
  /**
   * The values of a requested numeric column, once: the caller owns the array (the source keeps no reference).
   * @param into Parquet: an array of exactly `rows` elements to decode into instead of a new one (the
   *   caller reuses one array per window across features, so no column becomes garbage)
   */
  numeric(name: string, into?: Float64Array): Promise<Float64Array>;
  /** The category counts of a requested categorical column. */
  categories(name: string): Promise<Map<string, number>>;
  /** Releases the file (Parquet) and the columns not taken. */
  close(): Promise<void>;
}

function countCodes(col: CategoricalColumn): Map<string, number> {
  const counts = new Uint32Array(col.categories.length);
  for (let i = 0; i < col.codes.length; i++) counts[col.codes[i]]++;
  return new Map(col.categories.map((c, i) => [c, counts[i]]));
}

/**
 * Opens one window for a check feature by feature. Parquet: the schema is
 * checked and the labels are read now; each feature column is decoded when it
 * is taken (one numeric column in memory at a time, allocated at its exact
 * length). CSV and JSON Lines: one pass reads every requested column now
 * (measured: scanning the file again per feature costs more than it saves,
 * and a remote file would be downloaded once per feature); categorical
 * columns are reduced to their counts at once, and each numeric column is
 * released as soon as it is taken.
 * @throws DriftDataError for unreadable input and bad data (Parquet: also when a column is taken)
 */
export async function openDataWindow(source: ResolvedDriftDataSource, request: ColumnRequest, opts: ReadOptions): Promise<FeatureSource> {
  const what = describeWindow(opts.role, source.uri);
  const head = { role: opts.role, uri: source.uri, format: source.format };
  if (source.format === 'parquet') {
    const wb = new WindowBuilder(request);
    const window = await ParquetWindow.open(source, opts, wb, what);
    if (window.rows === 0) {
      await window.close();
      throw new DriftDataError(`${what}: the window is empty (no data rows)`);
    }
    return {
      ...head, rows: window.rows, valueTypes: window.valueTypes,
      ...(wb.labels === undefined ? {} : { labels: wb.labels.finish() }),
      numeric: async (name, into) => {
        const b = new NumericBuilder(name, window.rows, into);
        await window.fill(b);
        return b.finish().values;
      },
      categories: async (name) => {
        const b = new CategoricalBuilder(name);
        await window.fill(b);
        return countCodes(b.finish());
      },
      close: () => window.close(),
    };
  }
  const w = await readDataWindow(source, request, opts);
  const numeric = new Map<string, Float64Array>();
  const categories = new Map<string, Map<string, number>>();
  for (const [name, col] of w.columns) {
    if (col.type === 'numeric') numeric.set(name, col.values);
    else categories.set(name, countCodes(col));
  }
  const take = <T>(m: Map<string, T>, name: string): T => {
    const v = m.get(name);
    if (v === undefined) throw new DriftDataError(`internal: column '${name}' was not read from ${what} or was taken twice`);
    m.delete(name);
    return v;
  };
  return {
    ...head, rows: w.rows,
    ...(w.valueTypes === undefined ? {} : { valueTypes: w.valueTypes }),
    ...(w.labels === undefined ? {} : { labels: w.labels }),
    numeric: (name) => Promise.resolve(take(numeric, name)),
    categories: (name) => Promise.resolve(take(categories, name)),
    close: () => {
      numeric.clear();
      return Promise.resolve();
    },
  };
}

/**
 * A CSV window: the fast path first; csv-parse when the fast path does not
 * apply or the data has an error (the file is opened again, so a remote file is
 * downloaded twice in that case).
 */
async function readCsvWindow(source: ResolvedDriftDataSource, request: ColumnRequest, opts: ReadOptions, what: string): Promise<DataWindow> {
  if (opts.csvFastPath !== false) {
    const fast = new WindowBuilder(request);
    const stream = await openByteStream(source.uri, opts.baseDir, opts.s3, what);
    try {
      await readCsvFast(stream, fast, what);
      if (fast.rows > 0) return fast.finish(opts.role, source, what);
    } catch (err) {
      if (!(err instanceof CsvFallback)) throw err;
    } finally {
      stream.destroy();
    }
  }
  const wb = new WindowBuilder(request);
  const stream = await openByteStream(source.uri, opts.baseDir, opts.s3, what);
  try {
    await readCsv(stream, wb, what);
  } finally {
    stream.destroy();
  }
  return wb.finish(opts.role, source, what);
}

/**
 * Checks that the reference and current windows agree on the value types of
 * every feature (typed formats only: a CSV file carries no types).
 * @throws DriftDataError naming the feature and both types
 */
export function assertCompatibleSchemas(
  reference: Pick<DataWindow, 'valueTypes'>, current: Pick<DataWindow, 'valueTypes'>, names?: Iterable<string>,
): void {
  if (reference.valueTypes === undefined || current.valueTypes === undefined) return;
  for (const name of names ?? reference.valueTypes.keys()) {
    const r = reference.valueTypes.get(name);
    const c = current.valueTypes.get(name);
    if (r === undefined || c === undefined || r.mask === 0 || c.mask === 0) continue;
    if ((r.mask & c.mask) === 0) {
      throw new DriftDataError(`schema mismatch for feature '${name}': reference data has ${r.description} values but current data has ${c.description} values`);
    }
  }
}
