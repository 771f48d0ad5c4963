/**
 * S3 inputs and outputs against a local s3rver, with the bundled CLI run as
 * the CronJob runs it (endpoint from AWS_ENDPOINT_URL_S3, path-style).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { readBundle } from '../../src/core/bundles';
import type { DriftCheckResult } from '../../src/drift/check';
import { churnParquet, churnRows, tempDir, toCsv, toJsonl } from '../fixtures/drift/data';
import { ProcessRun, runNode } from '../support/process';

function run(bundle: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ProcessRun> {
  return runNode([bundle, ...args], { cwd, env });
}

describe('ml-drift with S3 (s3rver)', () => {
  const tmp = tempDir();
  let server: S3rver;
  let client: S3Client;
  let env: NodeJS.ProcessEnv;
  let bundle: string;

  before(async () => {
    fs.mkdirSync(path.join(tmp.dir, 's3'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(tmp.dir, 's3') });
    const { port } = await server.run();
    env = {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    client = new S3Client({ endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new CreateBucketCommand({ Bucket: 'ml-data' }));
    await client.send(new CreateBucketCommand({ Bucket: 'ml-reports' }));
    const ref = churnRows(2000, 1);
    const cur = churnRows(1500, 3, { ageShift: 4, planWeights: [0.45, 0.4, 0.15] });
    const records = (rows: typeof ref): Array<Record<string, unknown>> => rows.map((r) => ({ ...r }));
    await client.send(new PutObjectCommand({ Bucket: 'ml-data', Key: 'churn/reference.parquet', Body: churnParquet(ref) }));
    await client.send(new PutObjectCommand({ Bucket: 'ml-data', Key: 'churn/current.csv.gz', Body: zlib.gzipSync(toCsv(records(cur))) }));
    await client.send(new PutObjectCommand({ Bucket: 'ml-data', Key: 'churn/current.jsonl', Body: toJsonl(records(cur)) }));
    bundle = path.join(tmp.dir, 'ml-drift.cjs');
    fs.writeFileSync(bundle, readBundle('ml-drift'));
  });

  after(async () => {
    client?.destroy();
    await server?.close();
    tmp.remove();
  });

  const writeConfig = (name: string, current: string, outputs: Record<string, unknown>): string => {
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, JSON.stringify({
      model: 'churn',
      reference: { uri: 's3://ml-data/churn/reference.parquet' },
      current: { uri: current },
      features: [{ name: 'age', type: 'numeric' }, { name: 'income', type: 'numeric' }, { name: 'plan', type: 'categorical' }],
      outputs,
    }));
    return file;
  };

  it('reads s3:// inputs (parquet by range, gzipped CSV) and writes the JSON and HTML reports to s3://', async () => {
    const cfg = writeConfig('s3.json', 's3://ml-data/churn/current.csv.gz', {
      json: 's3://ml-reports/churn/2024-06-01/drift.json',
      html: 's3://ml-reports/churn/2024-06-01/drift.html',
    });
    const r = await run(bundle, ['run', '--config', cfg, '--now', '2024-06-01T00:00:00Z'], env, tmp.dir);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /wrote s3:\/\/ml-reports\/churn\/2024-06-01\/drift\.json/);
    const obj = await client.send(new GetObjectCommand({ Bucket: 'ml-reports', Key: 'churn/2024-06-01/drift.json' }));
    const result = JSON.parse(await obj.Body!.transformToString()) as DriftCheckResult;
    assert.equal(result.reference.rows, 2000);
    assert.equal(result.current.rows, 1500);
    assert.deepEqual(result.driftedFeatures, ['age', 'plan']);
    const html = await client.send(new GetObjectCommand({ Bucket: 'ml-reports', Key: 'churn/2024-06-01/drift.html' }));
    assert.equal(html.ContentType, 'text/html; charset=utf-8');
    assert.equal((await html.Body!.transformToString()).match(/<svg class="plot"/g)?.length, 3);
  });

  it('gives the same result for the same data as JSON Lines', async () => {
    const cfg = writeConfig('s3-jsonl.json', 's3://ml-data/churn/current.jsonl', { json: 'out/jsonl.json' });
    const r = await run(bundle, ['run', '--config', cfg, '--now', '2024-06-01T00:00:00Z'], env, tmp.dir);
    assert.equal(r.code, 1, r.stderr);
    const local = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'out/jsonl.json'), 'utf8')) as DriftCheckResult;
    const obj = await client.send(new GetObjectCommand({ Bucket: 'ml-reports', Key: 'churn/2024-06-01/drift.json' }));
    const fromCsv = JSON.parse(await obj.Body!.transformToString()) as DriftCheckResult;
    assert.deepEqual(local.features, fromCsv.features);
  });

  it('exit 2 with a clear message for a missing object', async () => {
    const cfg = writeConfig('s3-missing.json', 's3://ml-data/churn/nope.csv', {});
    const r = await run(bundle, ['run', '--config', cfg], env, tmp.dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'ml-drift: cannot read current data (s3://ml-data/churn/nope.csv): s3://ml-data/churn/nope.csv does not exist\n');
  });
});
