import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { main } from '../../src/cli/drift';
import { parseDriftConfig } from '../../src/drift/config';
import { S3ClientProvider } from '../../src/drift/io';
import { ColumnRequest, DataWindow, canonicalLabel, readDataWindow } from '../../src/drift/readers';
import { churnRows, tempDir, toCsv, toJsonl, writeChurnFiles } from '../fixtures/drift/data';

const REQUEST: ColumnRequest = {
  features: [
    { name: 'age', type: 'numeric' },
    { name: 'income', type: 'numeric' },
    { name: 'plan', type: 'categorical' },
    { name: 'region', type: 'categorical' },
  ],
  labels: { prediction: 'predicted', actual: 'churned', window: 1000 },
};

function decode(w: DataWindow, name: string): string[] {
  const c = w.columns.get(name);
  assert.ok(c !== undefined && c.type === 'categorical');
  return Array.from(c.codes, (code) => c.categories[code]);
}

function values(w: DataWindow, name: string): Float64Array {
  const c = w.columns.get(name);
  assert.ok(c !== undefined && c.type === 'numeric');
  return c.values;
}

/** Runs the CLI in-process and captures its output. */
async function runCli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: () => Promise.resolve(''), env: {} });
  return { code, out, err };
}

describe('drift readers', () => {
  const tmp = tempDir();
  const s3 = new S3ClientProvider({});
  const rows = churnRows(1500, 7, { labelled: 1200 });
  let files: { csv: string; jsonl: string; parquet: string };

  before(() => {
    files = writeChurnFiles(tmp.dir, 'data', rows);
    fs.writeFileSync(path.join(tmp.dir, 'data.csv.gz'), zlib.gzipSync(fs.readFileSync(files.csv)));
  });
  after(() => tmp.remove());

  const read = (file: string, format: 'csv' | 'jsonl' | 'parquet', request: ColumnRequest = REQUEST): Promise<DataWindow> =>
    readDataWindow({ uri: file, format }, request, { role: 'current', baseDir: tmp.dir, s3 });

  it('CSV, gzipped CSV, JSON Lines and Parquet give identical typed columns', async () => {
    const windows = await Promise.all([read(files.csv, 'csv'), read('data.csv.gz', 'csv'), read(files.jsonl, 'jsonl'), read(files.parquet, 'parquet')]);
    for (const w of windows) {
      assert.equal(w.rows, 1500);
      assert.deepEqual([...w.columns.keys()], ['age', 'income', 'plan', 'region']);
      assert.ok(values(w, 'age') instanceof Float64Array);
      assert.deepEqual(values(w, 'age'), Float64Array.from(rows, (r) => r.age));
      assert.deepEqual(values(w, 'income'), Float64Array.from(rows, (r) => r.income));
      assert.deepEqual(decode(w, 'plan'), rows.map((r) => r.plan));
      assert.deepEqual(decode(w, 'region'), rows.map((r) => r.region));
      const c = w.columns.get('plan');
      assert.ok(c?.type === 'categorical' && c.codes instanceof Uint32Array && c.categories.length === 3);
      assert.equal(w.labels?.labelled, 1200);
      const last = rows.filter((r) => r.churned !== null).slice(-1000);
      assert.deepEqual(Array.from(w.labels?.recent ?? []), last.map((r) => (r.predicted === r.churned ? 1 : 0)));
    }
    assert.equal(windows[0].valueTypes, undefined, 'CSV carries no types');
    assert.equal(windows[2].valueTypes?.get('age')?.description, 'JSON number');
    assert.equal(windows[3].valueTypes?.get('plan')?.description, 'parquet BYTE_ARRAY (UTF8)');
  });

  it('reads only the requested parquet columns', async () => {
    const w = await read(files.parquet, 'parquet', { features: [{ name: 'region', type: 'categorical' }] });
    assert.deepEqual([...w.columns.keys()], ['region']);
    assert.equal(w.labels, undefined);
  });

  it('reads INT32 / INT64 / FLOAT numeric and BOOLEAN categorical parquet columns, GZIP-compressed, and JSON Lines with a BOM', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'typed.parquet'), Buffer.from(parquetWriteBuffer({
      columnData: [
        { name: 'i32', data: Int32Array.from([1, -2, 3]), type: 'INT32', nullable: false },
        { name: 'i64', data: BigInt64Array.from([10n, 20n, -30n]), type: 'INT64', nullable: false },
        { name: 'f32', data: Float32Array.from([0.5, 1.5, 2.5]), type: 'FLOAT', nullable: false },
        { name: 'flag', data: [true, false, true], type: 'BOOLEAN', nullable: false },
      ],
      codec: 'GZIP',
      compressors: { GZIP: (input: Uint8Array) => zlib.gzipSync(input) },
    })));
    const request: ColumnRequest = {
      features: [{ name: 'i32', type: 'numeric' }, { name: 'i64', type: 'numeric' }, { name: 'f32', type: 'numeric' }, { name: 'flag', type: 'categorical' }],
    };
    const w = await read('typed.parquet', 'parquet', request);
    assert.deepEqual(Array.from(values(w, 'i32')), [1, -2, 3]);
    assert.deepEqual(Array.from(values(w, 'i64')), [10, 20, -30]);
    assert.deepEqual(Array.from(values(w, 'f32')), [0.5, 1.5, 2.5]);
    assert.deepEqual(decode(w, 'flag'), ['true', 'false', 'true']);
    assert.equal(w.valueTypes?.get('flag')?.description, 'parquet BOOLEAN');
    fs.writeFileSync(path.join(tmp.dir, 'bom.jsonl'), `\ufeff${toJsonl([{ i32: 1, i64: 2, f32: 3, flag: true }])}`);
    const j = await read('bom.jsonl', 'jsonl', request);
    assert.equal(j.rows, 1);
    assert.deepEqual(decode(j, 'flag'), ['true']);
  });

  it('reads http(s):// sources with fetch and reports HTTP errors', async () => {
    const server = http.createServer((req, res) => {
      const file = path.join(tmp.dir, path.basename((req.url ?? '').split('?')[0]));
      if (!fs.existsSync(file)) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const [csv, parquet] = await Promise.all([read(`${base}/data.csv.gz`, 'csv'), read(`${base}/data.parquet?sig=abc`, 'parquet')]);
      assert.deepEqual(values(csv, 'age'), Float64Array.from(rows, (r) => r.age));
      assert.deepEqual(decode(parquet, 'plan'), rows.map((r) => r.plan));
      await assert.rejects(read(`${base}/missing.csv`, 'csv'), { message: `cannot read current data (${base}/missing.csv): HTTP 404 Not Found` });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('canonicalizes labels so 1, 1.0, "1" and True/true match', () => {
    assert.equal(canonicalLabel(1), '1');
    assert.equal(canonicalLabel('1.0'), '1');
    assert.equal(canonicalLabel(' 1 '), '1');
    assert.equal(canonicalLabel('True'), 'true');
    assert.equal(canonicalLabel(true), 'true');
    assert.equal(canonicalLabel(''), undefined);
    assert.equal(canonicalLabel(null), undefined);
    assert.equal(canonicalLabel('churn'), 'churn');
  });

  describe('bad data fails with a clear one-line message and exit code 2', () => {
    const good = (): string => files.csv;
    const cases: Array<{ name: string; file: () => string; format?: string; content?: () => string | Buffer; message: string }> = [
      {
        name: 'missing column',
        file: () => 'missing.csv',
        content: () => toCsv(rows.slice(0, 5).map(({ age, plan, region, predicted, churned }) => ({ age, plan, region, predicted, churned }))),
        message: "current data (missing.csv): column 'income' not found; available columns: age, plan, region, predicted, churned",
      },
      {
        name: 'header only',
        file: () => 'header.csv',
        content: () => 'age,income,plan,region,predicted,churned\n',
        message: 'current data (header.csv): the window is empty (no data rows)',
      },
      {
        name: 'empty file',
        file: () => 'empty.csv',
        content: () => '',
        message: 'current data (empty.csv): the file is empty (no CSV header)',
      },
      {
        name: 'NaN in a numeric CSV column',
        file: () => 'nan.csv',
        content: () => 'age,income,plan,region,predicted,churned\n41,50000,pro,eu,1,1\n42,NaN,pro,eu,1,1\n',
        message: "current data (nan.csv): column 'income', row 2 (line 3): value \"NaN\" is not a finite number (NaN and Infinity are not allowed)",
      },
      {
        name: 'non-numeric text in a numeric CSV column',
        file: () => 'text.csv',
        content: () => 'age,income,plan,region,predicted,churned\n41,50000,pro,eu,1,1\n"forty",50000,pro,eu,1,1\n',
        message: "current data (text.csv): column 'age', row 2 (line 3): non-numeric value \"forty\"",
      },
      {
        name: 'empty numeric CSV cell',
        file: () => 'blank.csv',
        content: () => 'age,income,plan,region,predicted,churned\n41,,pro,eu,1,1\n',
        message: "current data (blank.csv): column 'income', row 1 (line 2): missing value (empty)",
      },
      {
        name: 'ragged CSV row',
        file: () => 'ragged.csv',
        content: () => 'age,income,plan,region,predicted,churned\n41,5,pro,eu,1,1\n41,5,pro\n',
        message: 'current data (ragged.csv): invalid CSV: CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: Invalid Record Length: expect 6, got 3 on line 3',
      },
      {
        name: 'Infinity string in JSON Lines',
        file: () => 'inf.jsonl',
        content: () => toJsonl([{ ...rows[0] }, { ...rows[1], age: '-Infinity' }]),
        message: "current data (inf.jsonl): column 'age', row 2 (line 2): value \"-Infinity\" is not a finite number (NaN and Infinity are not allowed)",
      },
      {
        name: 'null numeric value in JSON Lines',
        file: () => 'null.jsonl',
        content: () => `${JSON.stringify(rows[0])}\n\n${JSON.stringify({ ...rows[1], income: null })}\n`,
        message: "current data (null.jsonl): column 'income', row 2 (line 3): missing value (null)",
      },
      {
        name: 'invalid JSON line',
        file: () => 'broken.jsonl',
        content: () => `${JSON.stringify(rows[0])}\n{"age": 41,\n`,
        message: /^current data \(broken\.jsonl\): line 2: invalid JSON \(SyntaxError: .+\)$/.source,
      },
      {
        name: 'missing JSON Lines key',
        file: () => 'nokey.jsonl',
        content: () => toJsonl([{ age: 1, income: 2, plan: 'a', predicted: '1', churned: '1' }]),
        message: "current data (nokey.jsonl) (first row, line 1): column 'region' not found; available keys: age, income, plan, predicted, churned",
      },
      {
        name: 'labelled row without a prediction',
        file: () => 'nopred.csv',
        content: () => 'age,income,plan,region,predicted,churned\n41,5,pro,eu,1,1\n41,5,pro,eu,,0\n',
        message: "current data (nopred.csv): column 'predicted', row 2 (line 3): missing prediction in a labelled row (churned = \"0\")",
      },
      {
        name: 'NaN in a parquet DOUBLE column',
        file: () => 'nan.parquet',
        content: () => Buffer.from(parquetWriteBuffer({
          columnData: [
            { name: 'age', data: Float64Array.from([1, 2, 3, NaN, 5]), type: 'DOUBLE', nullable: false },
            { name: 'income', data: Float64Array.from([1, 2, 3, 4, 5]), type: 'DOUBLE', nullable: false },
            { name: 'plan', data: ['a', 'b', 'a', 'b', 'a'], type: 'STRING', nullable: false },
            { name: 'region', data: ['a', 'b', 'a', 'b', 'a'], type: 'STRING', nullable: false },
            { name: 'predicted', data: ['1', '1', '1', '1', '1'], type: 'STRING', nullable: false },
            { name: 'churned', data: ['1', '1', '1', '1', null], type: 'STRING', nullable: true },
          ],
          rowGroupSize: 2,
        })),
        message: "current data (nan.parquet): column 'age', row 4: value NaN is not a finite number (NaN and Infinity are not allowed)",
      },
      {
        name: 'missing parquet column',
        file: () => 'cols.parquet',
        content: () => Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'age', data: Float64Array.from([1]), type: 'DOUBLE', nullable: false }] })),
        message: "current data (cols.parquet): columns 'income', 'plan', 'region', 'predicted', 'churned' not found; available columns: age",
      },
      {
        name: 'file that is not parquet',
        file: () => 'fake.parquet',
        content: () => 'age,income\n1,2\n',
        message: /^current data \(fake\.parquet\): not a readable parquet file \(.+\)$/.source,
      },
      {
        name: 'corrupt gzip',
        file: () => 'corrupt.csv.gz',
        content: () => Buffer.from('this is not gzip'),
        message: 'cannot read current data (corrupt.csv.gz): not valid gzip data (Z_DATA_ERROR: incorrect header check)',
      },
      {
        name: 'file not found',
        file: () => 'nope.csv',
        message: 'cannot read current data (nope.csv): file not found',
      },
      {
        name: 'schema mismatch between reference and current',
        file: () => 'strings.jsonl',
        content: () => toJsonl(rows.slice(0, 20).map((r) => ({ ...r, age: String(r.age) }))),
        message: "schema mismatch for feature 'age': reference data has parquet DOUBLE values but current data has JSON string values",
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const name = c.file();
        if (c.content !== undefined) fs.writeFileSync(path.join(tmp.dir, name), c.content());
        const config = {
          model: 'churn',
          reference: { uri: c.name.startsWith('schema') ? files.parquet : good() },
          current: { uri: name },
          features: REQUEST.features,
          labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 },
          outputs: {},
        };
        parseDriftConfig(config);
        const cfgFile = path.join(tmp.dir, `cfg-${name}.json`);
        fs.writeFileSync(cfgFile, JSON.stringify(config));
        const r = await runCli(['run', '--config', cfgFile]);
        assert.equal(r.code, 2);
        assert.equal(r.err.length, 1, r.err.join('\n'));
        if (c.message.startsWith('^')) assert.match(r.err[0], new RegExp(c.message.replace(/^\^/, '^ml-drift: ')));
        else assert.equal(r.err[0], `ml-drift: ${c.message}`);
        assert.deepEqual(r.out, [], 'nothing on stdout for a failed run');
      });
    }
  });
});
