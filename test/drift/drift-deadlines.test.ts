/**
 * Issue 17: every read has a deadline. The bundled CLI (as the CronJob runs
 * it) against loopback servers started and stopped by this test: one that
 * accepts connections and never answers (a stalled S3 endpoint, a stalled
 * https server), one that answers headers and then stalls, and one that
 * drips a byte every 100 ms. Each run must exit 2 within its configured
 * limits, with one line naming the source.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBundle } from '../../src/core/bundles';
import type { DriftCheckConfig } from '../../src/drift/config';
import { churnRows, tempDir, toCsv, writeChurnFiles } from '../fixtures/drift/data';
import { runNode } from '../support/process';

/** Sockets of a server, so that `stop` can end them (a stalled peer never closes). */
function tracked<T extends net.Server>(server: T): { server: T; stop: () => Promise<void>; port: () => number } {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port: () => {
      const a = server.address();
      return a !== null && typeof a === 'object' ? a.port : 0;
    },
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const listen = (server: net.Server): Promise<void> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

describe('ml-drift deadlines on every read (loopback servers)', () => {
  const tmp = tempDir();
  const bundle = path.join(tmp.dir, 'ml-drift.cjs');
  const csv = toCsv(churnRows(300, 1) as unknown as Array<Record<string, unknown>>);
  // accepts TCP connections and never sends a byte
  const silent = tracked(net.createServer(() => undefined));
  // answers headers, then: /stall sends half the file and stops; /drip sends a byte every 100 ms forever
  const timers = new Set<NodeJS.Timeout>();
  const slow = tracked(http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv' });
    if (req.url?.startsWith('/stall')) {
      res.write(csv.slice(0, csv.length / 2));
      return;
    }
    let i = 0;
    const t = setInterval(() => {
      res.write(csv[i % csv.length]);
      i++;
    }, 100);
    timers.add(t);
    res.on('close', () => {
      clearInterval(t);
      timers.delete(t);
    });
  }));

  before(async () => {
    fs.writeFileSync(bundle, readBundle('ml-drift'));
    writeChurnFiles(tmp.dir, 'ref', churnRows(300, 1));
    await listen(silent.server);
    await listen(slow.server);
  });
  after(async () => {
    for (const t of timers) clearInterval(t);
    await silent.stop();
    await slow.stop();
    tmp.remove();
  });

  const run = async (current: string, timeouts: DriftCheckConfig['timeouts'], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; seconds: number }> => {
    const cfg = path.join(tmp.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
    const config: DriftCheckConfig = {
      model: 'churn', reference: { uri: 'ref.csv' }, current: { uri: current, format: 'csv' }, features: [{ name: 'age', type: 'numeric' }], outputs: {}, timeouts,
    };
    fs.writeFileSync(cfg, JSON.stringify(config));
    const t0 = process.hrtime.bigint();
    const r = await runNode([bundle, 'run', '--config', cfg], { cwd: tmp.dir, env });
    return { code: r.code, stderr: r.stderr, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  };

  it('a stalled https server: exit 2 at the connect timeout (the TLS handshake never completes), naming the source', async () => {
    const uri = `https://127.0.0.1:${silent.port()}/current.csv`;
    const r = await run(uri, { connectSeconds: 1, readSeconds: 1, deadlineSeconds: 10 });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `ml-drift: cannot read current data (${uri}): no connection within 1 s (connect timeout)\n`);
    assert.ok(r.seconds < 4, `exited after ${r.seconds} s`);
  });

  it('an http server that sends half the file and stalls: exit 2 at the read timeout', async () => {
    const uri = `http://127.0.0.1:${slow.port()}/stall/current.csv`;
    const r = await run(uri, { connectSeconds: 1, readSeconds: 1, deadlineSeconds: 10 });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `ml-drift: cannot read current data (${uri}): no data for 1 s (read timeout)\n`);
    assert.ok(r.seconds < 4, `exited after ${r.seconds} s`);
  });

  it('a server that drips a byte every 100 ms: exit 2 at the run deadline, naming the source', async () => {
    const uri = `http://127.0.0.1:${slow.port()}/drip/current.csv`;
    const r = await run(uri, { connectSeconds: 1, readSeconds: 1, deadlineSeconds: 2.5 });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `ml-drift: the run's deadline of 2.5 s (timeouts.deadlineSeconds) passed while reading current data (${uri})\n`);
    assert.ok(r.seconds < 5.5, `exited after ${r.seconds} s`);
  });

  it('a stalled S3 endpoint: exit 2 after connect + read timeout over all SDK retries, naming the object', async () => {
    const env = {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${silent.port()}`,
      AWS_ACCESS_KEY_ID: 'TEST', AWS_SECRET_ACCESS_KEY: 'TEST', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
    };
    const r = await run('s3://ml-data/churn/current.csv', { connectSeconds: 1, readSeconds: 1, deadlineSeconds: 10 }, env);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'ml-drift: cannot read current data (s3://ml-data/churn/current.csv): no response within 2 s (connect timeout 1 s + read timeout 1 s)\n');
    assert.ok(r.seconds < 5, `exited after ${r.seconds} s`);
  });

  it('the default limits end a stalled read well under a minute', async () => {
    // defaults: 5 s connect + 20 s read for a stalled S3 request; deadline 900 s for a drip
    const env = {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${silent.port()}`,
      AWS_ACCESS_KEY_ID: 'TEST', AWS_SECRET_ACCESS_KEY: 'TEST', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
    };
    const r = await run('s3://ml-data/churn/current.csv', undefined, env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no response within 25 s \(connect timeout 5 s \+ read timeout 20 s\)/);
    assert.ok(r.seconds < 30, `exited after ${r.seconds} s`);
  });
});
