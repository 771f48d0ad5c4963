/**
 * Byte-level I/O of the drift checker: local files, `http(s)://` and `s3://`.
 *
 * S3 uses the AWS SDK v3 with the default credential provider chain (which
 * covers IRSA's web-identity token in a pod). When `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL` is set, requests go to that endpoint with path-style
 * addressing (MinIO, s3rver, LocalStack).
 *
 * Every remote read has deadlines ({@link ReadLimits}): a connect timeout, a
 * read timeout (for the response to start, over all SDK retries, and for every
 * pause between two chunks of data) and the run's deadline (an AbortSignal).
 * Hitting one is a {@link DriftDataError} naming the source and the limit.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AsyncBuffer } from 'hyparquet';
import { DriftDataError, DriftOutputError, describeError, errorCode } from './errors';

/** Timeouts of remote reads. */
export interface ReadLimits {
  /** Longest wait for a TCP (and TLS) connection, in ms. */
  readonly connectMs: number;
  /** Longest wait for a response to start, and between two chunks of data, in ms. */
  readonly readMs: number;
  /** Aborted when the run's deadline passes; its reason is the message. */
  readonly signal?: AbortSignal;
}

/** The defaults of `timeouts` in the config (5 s connect, 20 s read). */
export const DEFAULT_READ_LIMITS: ReadLimits = { connectMs: 5000, readMs: 20000 };

/** Lazily creates one S3 client per run; carries the run's read limits. */
export class S3ClientProvider {
  private client?: S3Client;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env, public readonly limits: ReadLimits = DEFAULT_READ_LIMITS) {}

  /** The shared client (created on first use). */
  public get(): S3Client {
    if (this.client === undefined) {
      const endpoint = nonEmpty(this.env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(this.env.AWS_ENDPOINT_URL);
      const region = nonEmpty(this.env.AWS_REGION) ?? nonEmpty(this.env.AWS_DEFAULT_REGION) ?? 'us-east-1';
      this.client = new S3Client({
        region,
        followRegionRedirects: true,
        // connectionTimeout: TCP connect; requestTimeout: socket idle time (smithy NodeHttpHandler options)
        requestHandler: { connectionTimeout: this.limits.connectMs, requestTimeout: this.limits.readMs },
        ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
      });
    }
    return this.client;
  }

  /** Releases sockets so the process can exit promptly. */
  public destroy(): void {
    this.client?.destroy();
    this.client = undefined;
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** A parsed `s3://bucket/key` URI. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** Parses `s3://bucket/key`; undefined for anything else. */
export function parseS3Uri(uri: string): S3Location | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/i.exec(uri);
  return m === null ? undefined : { bucket: m[1], key: m[2] };
}

function isHttp(uri: string): boolean {
  return /^https?:\/\//i.test(uri);
}

/** Resolves a local path (or `file://` URL) against `baseDir`. */
export function resolveLocalPath(uri: string, baseDir: string): string {
  if (/^file:\/\//i.test(uri)) return new URL(uri).pathname;
  return path.resolve(baseDir, uri);
}

function isGzip(uri: string): boolean {
  return uri.split(/[?#]/, 1)[0].toLowerCase().endsWith('.gz');
}

async function statLocal(file: string, what: string): Promise<number> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') throw new DriftDataError(`cannot read ${what}: file not found`);
    if (code === 'EACCES') throw new DriftDataError(`cannot read ${what}: permission denied`);
    throw new DriftDataError(`cannot read ${what}: ${describeError(err)}`);
  }
  if (!st.isFile()) throw new DriftDataError(`cannot read ${what}: not a regular file`);
  return st.size;
}

function s3Error(err: unknown, loc: S3Location): string {
  const name = err instanceof Error ? err.name : '';
  if (name === 'NoSuchKey' || name === 'NotFound') return `s3://${loc.bucket}/${loc.key} does not exist`;
  if (name === 'NoSuchBucket') return `bucket '${loc.bucket}' does not exist`;
  if (name === 'AccessDenied' || name === 'Forbidden') return `access denied to s3://${loc.bucket}/${loc.key} (check the IAM role / IRSA annotation)`;
  if (name === 'CredentialsProviderError') return `no AWS credentials found (${describeError(err)})`;
  return describeError(err);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The message of an aborted run (the abort reason set by the run's deadline). */
function abortMessage(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : 'the run was aborted';
}

/**
 * A pass-through that fails with a read-timeout error when no chunk arrives
 * for `limits.readMs`, and with the deadline's message when the run is aborted.
 */
export function watchdog(source: Readable, limits: ReadLimits, what: string): Readable {
  let timer: NodeJS.Timeout | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done): void {
      arm();
      done(null, chunk);
    },
    flush(done): void {
      clearTimeout(timer);
      done();
    },
  });
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => out.destroy(new DriftDataError(`cannot read ${what}: no data for ${seconds(limits.readMs)} (read timeout)`)), limits.readMs);
  };
  const onAbort = (): void => {
    out.destroy(new DriftDataError(`cannot read ${what}: ${limits.signal === undefined ? 'aborted' : abortMessage(limits.signal)}`));
  };
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  out.on('close', () => {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onAbort);
    source.destroy();
  });
  source.on('error', (err) => out.destroy(err instanceof DriftDataError ? err : new DriftDataError(`cannot read ${what}: ${describeError(err)}`)));
  arm();
  if (limits.signal?.aborted) onAbort();
  return source.pipe(out);
}

async function collect(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks);
}

/**
 * GET over node:http(s) with a connect timeout (TCP and TLS), a read timeout
 * until the response starts, the run's abort signal and up to 5 redirects.
 * The body is returned behind a {@link watchdog}.
 */
export function httpGet(uri: string, what: string, limits: ReadLimits, redirects = 0): Promise<Readable> {
  return new Promise<Readable>((resolve, reject) => {
    let settled = false;
    const url = new URL(uri);
    const tls = url.protocol === 'https:';
    const req = (tls ? https : http).get(url, { agent: false, headers: { 'user-agent': 'ml-drift', 'accept-encoding': 'identity' } });
    const fail = (message: string): void => {
      clearTimeout(connectTimer);
      limits.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      if (!settled) reject(new DriftDataError(`cannot read ${what}: ${message}`));
      settled = true;
    };
    const onAbort = (): void => fail(limits.signal === undefined ? 'aborted' : abortMessage(limits.signal));
    const connectTimer = setTimeout(() => fail(`no connection within ${seconds(limits.connectMs)} (connect timeout)`), limits.connectMs);
    limits.signal?.addEventListener('abort', onAbort, { once: true });
    if (limits.signal?.aborted) onAbort();
    req.on('socket', (socket) => {
      const connected = (): void => {
        clearTimeout(connectTimer);
        req.setTimeout(limits.readMs, () => fail(`no response within ${seconds(limits.readMs)} (read timeout)`));
      };
      if (!socket.connecting && (!tls || 'encrypted' in socket)) connected();
      else socket.once(tls ? 'secureConnect' : 'connect', connected);
    });
    req.on('error', (err) => fail(describeError(err)));
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      req.setTimeout(0);
      limits.signal?.removeEventListener('abort', onAbort);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location !== undefined && redirects < 5) {
        res.resume();
        settled = true;
        httpGet(new URL(location, url).href, what, limits, redirects + 1).then(resolve, reject);
        return;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        settled = true;
        reject(new DriftDataError(`cannot read ${what}: HTTP ${status} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      settled = true;
      resolve(watchdog(res, limits, what));
    });
  });
}

/**
 * Runs one S3 request with a signal that aborts it when its response has not
 * started within connect + read timeout (over all SDK retries) or when the
 * run's deadline passes. The timer ends with the response headers: the body
 * is guarded by a {@link watchdog}. (A plain controller and timer, not
 * `AbortSignal.any([.., AbortSignal.timeout()])`, whose timeout Node 20 can
 * garbage-collect before it fires.)
 */
async function s3Request<T>(limits: ReadLimits, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('S3 request timed out')), limits.connectMs + limits.readMs);
  const onDeadline = (): void => controller.abort(limits.signal?.reason);
  limits.signal?.addEventListener('abort', onDeadline, { once: true });
  if (limits.signal?.aborted) onDeadline();
  try {
    return await send(controller.signal);
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onDeadline);
  }
}

function s3Failure(err: unknown, loc: S3Location, limits: ReadLimits, what: string): DriftDataError {
  if (err instanceof DriftDataError) return err;
  if (limits.signal?.aborted) return new DriftDataError(`cannot read ${what}: ${abortMessage(limits.signal)}`);
  const name = err instanceof Error ? err.name : '';
  if (name === 'AbortError' || name === 'TimeoutError' || (err instanceof Error && /timed? ?out|ETIMEDOUT|aborted/i.test(err.message))) {
    return new DriftDataError(`cannot read ${what}: no response within ${seconds(limits.connectMs + limits.readMs)} `
      + `(connect timeout ${seconds(limits.connectMs)} + read timeout ${seconds(limits.readMs)})`);
  }
  return new DriftDataError(`cannot read ${what}: ${s3Error(err, loc)}`);
}

/**
 * Opens a byte stream over a data file (gunzipped when the URI ends in `.gz`).
 * @param what how the file is named in error messages, e.g. "reference data (s3://b/k)"
 */
export async function openByteStream(uri: string, baseDir: string, s3: S3ClientProvider, what: string): Promise<Readable> {
  let raw: Readable;
  const loc = parseS3Uri(uri);
  if (loc !== undefined) {
    try {
      const out = await s3Request(s3.limits, (abortSignal) => s3.get().send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }), { abortSignal }));
      if (!(out.Body instanceof Readable)) throw new Error('S3 returned no body');
      raw = watchdog(out.Body, s3.limits, what);
    } catch (err) {
      throw s3Failure(err, loc, s3.limits, what);
    }
  } else if (isHttp(uri)) {
    raw = await httpGet(uri, what, s3.limits);
  } else {
    const file = resolveLocalPath(uri, baseDir);
    await statLocal(file, what);
    raw = fs.createReadStream(file);
  }
  if (!isGzip(uri)) return raw;
  const gunzip = zlib.createGunzip();
  const out = new PassThrough();
  raw.on('error', (err) => out.destroy(err));
  gunzip.on('error', (err) => out.destroy(new DriftDataError(`cannot read ${what}: not valid gzip data (${describeError(err)})`)));
  out.on('close', () => {
    raw.destroy();
    gunzip.destroy();
  });
  return raw.pipe(gunzip).pipe(out);
}

/**
 * Random access to a data file for columnar (parquet) reading: local files and
 * S3 objects are read by byte range, so only the footer and the needed column
 * chunks are transferred; HTTP(S) files are downloaded whole.
 */
export async function openRandomAccess(uri: string, baseDir: string, s3: S3ClientProvider, what: string): Promise<AsyncBuffer & { close(): Promise<void> }> {
  const loc = parseS3Uri(uri);
  if (loc !== undefined) {
    const client = s3.get();
    let size: number;
    try {
      const head = await s3Request(s3.limits, (abortSignal) => client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }), { abortSignal }));
      size = head.ContentLength ?? 0;
    } catch (err) {
      throw s3Failure(err, loc, s3.limits, what);
    }
    return {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const last = (end ?? size) - 1;
        if (last < start) return new ArrayBuffer(0);
        try {
          const out = await s3Request(s3.limits, (abortSignal) => client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, Range: `bytes=${start}-${last}` }), { abortSignal }));
          if (!(out.Body instanceof Readable)) throw new Error('S3 returned no body');
          return toArrayBuffer(await collect(watchdog(out.Body, s3.limits, what)));
        } catch (err) {
          throw s3Failure(err, loc, s3.limits, what);
        }
      },
      close: () => Promise.resolve(),
    };
  }
  if (isHttp(uri)) {
    const buf = toArrayBuffer(await collect(await httpGet(uri, what, s3.limits)));
    return { byteLength: buf.byteLength, slice: (start, end) => buf.slice(start, end), close: () => Promise.resolve() };
  }
  const file = resolveLocalPath(uri, baseDir);
  const size = await statLocal(file, what);
  const handle = await fs.promises.open(file, 'r');
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const buf = Buffer.allocUnsafe(Math.max(0, stop - start));
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await handle.read(buf, done, buf.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return toArrayBuffer(buf.subarray(0, done));
    },
    close: () => handle.close(),
  };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/**
 * Writes a text output to a local path (parent directories are created) or to
 * `s3://bucket/key` (PutObject).
 */
export async function writeTextOutput(target: string, body: string, contentType: string, baseDir: string, s3: S3ClientProvider): Promise<string> {
  const loc = parseS3Uri(target);
  if (loc !== undefined) {
    try {
      const put = new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: body, ContentType: contentType });
      await s3Request(s3.limits, (abortSignal) => s3.get().send(put, { abortSignal }));
    } catch (err) {
      throw new DriftOutputError(`cannot write ${target}: ${s3Error(err, loc)}`);
    }
    return target;
  }
  const file = resolveLocalPath(target, baseDir);
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, body, 'utf8');
  } catch (err) {
    throw new DriftOutputError(`cannot write ${file}: ${describeError(err)}`);
  }
  return file;
}
