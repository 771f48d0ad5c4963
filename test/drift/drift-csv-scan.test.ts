import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Options } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import type { ResolvedDriftDataSource } from '../../src/drift/config';
import { CsvFallback, CsvScanner, fastDecimal, fieldText } from '../../src/drift/csv-scan';
import { S3ClientProvider } from '../../src/drift/io';
import { readDataWindow } from '../../src/drift/readers';
import type { ColumnRequest, DataWindow } from '../../src/drift/readers';
import { tempDir } from '../fixtures/drift/data';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The options of readers.ts readCsv. */
const CSV_PARSE_OPTIONS: Options = { bom: true, skip_empty_lines: true, relax_column_count: false };

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

/** Numeric-looking text: short and long decimals, exponents, signs, leading zeros, and the odd non-number. */
function numberText(rng: Rng): string {
  const r = rng();
  if (r < 0.05) return pick(rng, ['NaN', 'nan', 'Infinity', '-inf', '', ' ', '0x1A', '1e', '.', '-', '+', '1e400', '-0', '0.0', '00012', ' 7 ', '1_0', '\u00a01']);
  const sign = pick(rng, ['', '', '', '-', '+']);
  const int = String(Math.floor(rng() * 10 ** Math.floor(rng() * 12)));
  const frac = rng() < 0.7 ? `.${String(Math.floor(rng() * 10 ** Math.floor(rng() * 19))).padStart(Math.floor(rng() * 6), '0')}` : '';
  const exp = rng() < 0.2 ? `${pick(rng, ['e', 'E'])}${pick(rng, ['', '+', '-'])}${Math.floor(rng() * 40)}` : '';
  return `${sign}${rng() < 0.1 ? '' : int}${frac}${exp}`;
}

function cell(rng: Rng): string {
  const r = rng();
  if (r < 0.7) return numberText(rng);
  if (r < 0.8) return pick(rng, ['a', 'b', 'ä', 'x y', 'dog']);
  if (r < 0.9) return `"${pick(rng, ['1.5', 'a,b', 'say ""hi""', '', '2e3', 'multi\nline', 'cr\r\nlf'])}"`;
  return pick(rng, ['a"b', '"unclosed', '"x"y', '']);
}

function randomCsv(rng: Rng, cols: number): string {
  const eol = rng() < 0.5 ? '\n' : '\r\n';
  const header = Array.from({ length: cols }, (_, i) => (i === 0 && rng() < 0.2 ? `"c${i}"` : `c${i}`)).join(',');
  const lines = [header];
  const rows = 1 + Math.floor(rng() * 6);
  for (let r = 0; r < rows; r++) {
    const width = rng() < 0.05 ? cols + 1 : cols;
    lines.push(Array.from({ length: width }, () => cell(rng)).join(','));
    if (rng() < 0.1) lines.push('');
  }
  const text = lines.join(rng() < 0.03 ? pick(rng, ['\r', '\n']) : eol) + (rng() < 0.5 ? eol : '');
  return (rng() < 0.1 ? '\ufeff' : '') + text;
}

/** The scanner's records (with the reader's column-count check), or 'fallback'; fed in small random chunks to cross chunk boundaries. */
function scan(text: string, rng: Rng): string[][] | 'fallback' {
  const out: string[][] = [];
  const scanner = new CsvScanner((r) => {
    // the reader's strict column count (readers.ts readCsvFast)
    if (out.length > 0 && r.count !== out[0].length) throw new CsvFallback('record length');
    out.push(Array.from({ length: r.count }, (_, i) => fieldText(r, i)));
  });
  const bytes = Buffer.from(text, 'utf8');
  try {
    for (let p = 0; p < bytes.length;) {
      const n = 1 + Math.floor(rng() * 12);
      scanner.push(bytes.subarray(p, p + n));
      p += n;
    }
    scanner.end();
  } catch (err) {
    if (err instanceof CsvFallback) return 'fallback';
    throw err;
  }
  return out;
}

describe('CSV fast path (csv-scan.ts) against csv-parse', () => {
  it('fastDecimal is bit-identical to Number() whenever it answers, on 200,000 random numeric texts', () => {
    const rng = mulberry32(7);
    let answered = 0;
    for (let i = 0; i < 200_000; i++) {
      const t = numberText(rng);
      const b = Buffer.from(t, 'latin1');
      const v = fastDecimal(b, 0, b.length);
      if (v === undefined) continue;
      answered++;
      assert.ok(Object.is(v, Number(t)), `${JSON.stringify(t)}: ${v} !== ${Number(t)}`);
    }
    assert.ok(answered > 100_000, `the fast path answers most short decimals (${answered})`);
    assert.ok(Object.is(fastDecimal(Buffer.from('-0'), 0, 2), -0));
    assert.equal(fastDecimal(Buffer.from('0.12345678901234567'), 0, 19), undefined, 'more than 15 digits: Number()');
  });

  it('on 3,000 random files (quotes, "" escapes, exponents, NaN, empty cells and lines, CRLF, BOM, bad lengths) the scanner either gives up or reads exactly the records csv-parse reads', () => {
    const rng = mulberry32(11);
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const text = randomCsv(rng, 1 + Math.floor(rng() * 4));
      const got = scan(text, rng);
      let expected: string[][] | 'error';
      try {
        expected = parse(text, CSV_PARSE_OPTIONS);
      } catch {
        expected = 'error';
      }
      if (got === 'fallback') continue;
      fast++;
      assert.deepEqual(got, expected, `input ${JSON.stringify(text)}`);
    }
    assert.ok(fast > 1000, `most files take the fast path (${fast} of 3000)`);
  });

  it('readDataWindow gives the same window or the same error with and without the fast path', async () => {
    const { dir, remove } = tempDir();
    const rng = mulberry32(3);
    const s3 = new S3ClientProvider({});
    const request: ColumnRequest = { features: [{ name: 'c0', type: 'numeric' }, { name: 'c1', type: 'categorical' }] };
    const outcome = async (file: string, fastPath: boolean): Promise<DataWindow | string> => {
      const source: ResolvedDriftDataSource = { uri: file, format: 'csv' };
      return readDataWindow(source, request, { role: 'reference', baseDir: dir, s3, csvFastPath: fastPath }).catch((e: unknown) => String(e));
    };
    let windows = 0;
    for (let i = 0; i < 300; i++) {
      const file = path.join(dir, `f${i}.csv`);
      fs.writeFileSync(file, randomCsv(rng, 2 + Math.floor(rng() * 2)));
      const [a, b] = [await outcome(file, true), await outcome(file, false)];
      assert.deepEqual(a, b, fs.readFileSync(file, 'utf8'));
      if (typeof a !== 'string') windows++;
    }
    assert.ok(windows > 20, `some random files are valid windows (${windows})`);
    s3.destroy();
    remove();
  });

  it('reads a stream whose records straddle chunks', () => {
    const text = 'a,b\r\n1.5,"x,y"\r\n-2e3,""""\r\n';
    const rng = mulberry32(1);
    for (let i = 0; i < 50; i++) assert.deepEqual(scan(text, rng), [['a', 'b'], ['1.5', 'x,y'], ['-2e3', '"']]);
  });
});
