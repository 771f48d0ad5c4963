/**
 * Byte-level I/O of the drift checker: local files, `http(s)://` and `s3://`.
 *
 * S3 uses the AWS SDK v3 with the default credential provider chain (which
 * covers IRSA's web-identity token in a pod). When `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL` is set, requests go to that endpoint with path-style
 * addressing (MinIO, s3rver, LocalStack).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AsyncBuffer } from 'hyparquet';
import { DriftDataError, DriftOutputError, describeError, errorCode } from './errors';

/** Lazily creates one S3 client per run. */
export class S3ClientProvider {
  private client?: S3Client;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The shared client (created on first use). */
  public get(): S3Client {
    if (this.client === undefined) {
      const endpoint = nonEmpty(this.env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(this.env.AWS_ENDPOINT_URL);
      const region = nonEmpty(this.env.AWS_REGION) ?? nonEmpty(this.env.AWS_DEFAULT_REGION) ?? 'us-east-1';
      this.client = new S3Client({
        region,
        followRegionRedirects: true,
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

async function fetchOk(uri: string, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(uri, { redirect: 'follow' });
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? describeError(err.cause) : describeError(err);
    throw new DriftDataError(`cannot read ${what}: ${cause}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new DriftDataError(`cannot read ${what}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  return res;
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
      const out = await s3.get().send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      if (!(out.Body instanceof Readable)) throw new Error('S3 returned no body');
      raw = out.Body;
    } catch (err) {
      throw new DriftDataError(`cannot read ${what}: ${s3Error(err, loc)}`);
    }
  } else if (isHttp(uri)) {
    const res = await fetchOk(uri, what);
    if (res.body === null) throw new DriftDataError(`cannot read ${what}: empty HTTP response`);
    raw = Readable.fromWeb(res.body);
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
      const head = await client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      size = head.ContentLength ?? 0;
    } catch (err) {
      throw new DriftDataError(`cannot read ${what}: ${s3Error(err, loc)}`);
    }
    return {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const last = (end ?? size) - 1;
        if (last < start) return new ArrayBuffer(0);
        try {
          const out = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, Range: `bytes=${start}-${last}` }));
          if (out.Body === undefined) throw new Error('S3 returned no body');
          return toArrayBuffer(await out.Body.transformToByteArray());
        } catch (err) {
          throw new DriftDataError(`cannot read ${what}: ${s3Error(err, loc)}`);
        }
      },
      close: () => Promise.resolve(),
    };
  }
  if (isHttp(uri)) {
    const res = await fetchOk(uri, what);
    const buf = await res.arrayBuffer();
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
      await s3.get().send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: body, ContentType: contentType }));
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
