/**
 * The CSV fast path of the drift checker: a byte-level scanner for the plain
 * CSV that exports produce (comma-separated, `"` quoting with `""` escapes,
 * `\n` or `\r\n` line ends, a UTF-8 BOM, empty lines skipped) and an exact
 * decimal-to-double conversion for the common short numbers.
 *
 * It reads what csv-parse (`bom`, `skip_empty_lines`, strict column count)
 * reads, and gives up with {@link CsvFallback} on everything else: line breaks
 * inside quotes, a bare `\r`, mixed line ends, a quote inside an unquoted
 * field or after a closing quote, an unclosed quote, a record of the wrong
 * length, a UTF-16 BOM. The reader then re-reads the file with csv-parse,
 * which also words every error message (test/drift/drift-csv-scan.test.ts
 * fuzzes both against each other).
 */

/** The scanner cannot read this input exactly like csv-parse; the caller re-reads it with csv-parse. */
export class CsvFallback extends Error {
  constructor(reason: string) {
    super(`CSV fast path not applicable: ${reason}`);
  }
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Field bounds of one record in `buf` (quotes excluded); `flags[i]` is 0 plain, 1 quoted, 2 quoted with `""` escapes. */
export interface CsvRecord {
  readonly buf: Buffer;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly flags: Uint8Array;
  readonly count: number;
}

/** A field's text (UTF-8; quotes removed, `""` unescaped). */
export function fieldText(r: CsvRecord, i: number): string {
  const s = r.buf.toString('utf8', r.starts[i], r.ends[i]);
  return r.flags[i] === 2 ? s.replace(/""/g, '"') : s;
}

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * `Number(text)` of a plain decimal field of at most 15 significant digits and
 * a decimal exponent within +-22: the digits are an exact integer m < 2^53 and
 * 10^k is exact, so `m * 10^k` or `m / 10^k` is one correctly rounded
 * operation, i.e. exactly `Number(text)` (Clinger's fast path, as in V8's own
 * `StringToDouble`). Undefined for anything else (the caller uses `Number`).
 */
export function fastDecimal(buf: Uint8Array, start: number, end: number): number | undefined {
  let p = start;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
  } else if (buf[p] === 43) {
    p++;
  }
  let m = 0;
  let digits = 0;
  let sig = 0;
  let frac = 0;
  let dot = false;
  for (; p < end; p++) {
    const c = buf[p];
    if (c === 46 && !dot) {
      dot = true;
      continue;
    }
    if (c < 48 || c > 57) break;
    digits++;
    if (dot) frac++;
    if (m !== 0 || c !== 48) {
      sig++;
      m = m * 10 + (c - 48);
    }
  }
  if (digits === 0 || sig > 15) return undefined;
  let exp = 0;
  if (p < end && (buf[p] | 32) === 101) {
    p++;
    let eneg = false;
    if (buf[p] === 45) {
      eneg = true;
      p++;
    } else if (buf[p] === 43) {
      p++;
    }
    const e0 = p;
    for (; p < end && buf[p] >= 48 && buf[p] <= 57 && p - e0 < 6; p++) exp = exp * 10 + (buf[p] - 48);
    if (p === e0) return undefined;
    if (eneg) exp = -exp;
  }
  if (p !== end) return undefined;
  const e10 = exp - frac;
  let v: number;
  if (m === 0) v = 0;
  else if (e10 === 0) v = m;
  else if (e10 > 0 && e10 <= 22) v = m * POW10[e10];
  else if (e10 < 0 && e10 >= -22) v = m / POW10[-e10];
  else return undefined;
  return neg ? -v : v;
}

/**
 * Streams records out of byte chunks: `push` each chunk, then `end`. Calls
 * `onRecord` for the header and every data record; throws {@link CsvFallback}.
 */
export class CsvScanner {
  private carry?: Buffer;
  private started = false;
  /** 0 not seen yet, 1 `\n`, 2 `\r\n`. */
  private eol = 0;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private flags = new Uint8Array(64);
  private count = 0;

  constructor(private readonly onRecord: (r: CsvRecord) => void) {}

  /** Scans the complete records of `chunk` (plus any carried-over partial record). */
  public push(chunk: Buffer): void {
    const buf = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = undefined;
    const done = this.scan(buf, false);
    if (done < buf.length) this.carry = buf.subarray(done);
  }

  /** Scans the final record (the file need not end with a line break). */
  public end(): void {
    const buf = this.carry ?? Buffer.alloc(0);
    this.carry = undefined;
    this.scan(buf, true);
  }

  /** Scans records from the start of `buf`; returns where the first incomplete record starts. */
  private scan(buf: Buffer, final: boolean): number {
    let pos = 0;
    if (!this.started) {
      if (buf.length < 3 && !final) return 0;
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
      else if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) throw new CsvFallback('UTF-16 byte order mark');
    }
    while (pos < buf.length) {
      const next = this.record(buf, pos, final);
      if (next < 0) return pos;
      pos = next;
    }
    return pos;
  }

  /** The line end at `p` (0 none, else its length), checking it is the file's only kind; -1 when the chunk ends inside it. */
  private lineEnd(buf: Buffer, p: number, final: boolean): number {
    const c = buf[p];
    if (c === LF) {
      if (this.eol === 2) throw new CsvFallback('mixed line ends');
      this.eol = 1;
      return 1;
    }
    if (c !== CR) return 0;
    if (p + 1 >= buf.length) {
      if (final) throw new CsvFallback('bare carriage return');
      return -1;
    }
    if (buf[p + 1] !== LF || this.eol === 1) throw new CsvFallback('bare carriage return or mixed line ends');
    this.eol = 2;
    return 2;
  }

  private field(start: number, end: number, flag: number): void {
    if (this.count === this.starts.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const out = make(a.length * 2);
        out.set(a);
        return out;
      };
      this.starts = grow(this.starts, (n) => new Int32Array(n));
      this.ends = grow(this.ends, (n) => new Int32Array(n));
      this.flags = grow(this.flags, (n) => new Uint8Array(n));
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.flags[this.count] = flag;
    this.count++;
  }

  /** A quoted field from the opening quote at `p`: the position after its closing quote, or -1 when the chunk ends first. */
  private quoted(buf: Buffer, p: number, final: boolean): number {
    let q = p + 1;
    let flag = 1;
    for (;;) {
      const close = buf.indexOf(QUOTE, q);
      if (close < 0 || (close + 1 >= buf.length && !final)) {
        if (final) throw new CsvFallback('quote not closed');
        return -1;
      }
      if (buf[close + 1] === QUOTE) {
        flag = 2;
        q = close + 2;
        continue;
      }
      const lf = buf.indexOf(LF, p);
      const cr = buf.indexOf(CR, p);
      if ((lf >= 0 && lf < close) || (cr >= 0 && cr < close)) throw new CsvFallback('line break inside quotes');
      this.field(p + 1, close, flag);
      return close + 1;
    }
  }

  /** One record (or empty line) from `pos`: the position after it, or -1 when the chunk ends first. */
  private record(buf: Buffer, pos: number, final: boolean): number {
    const len = buf.length;
    const empty = this.lineEnd(buf, pos, final);
    if (empty !== 0) return empty < 0 ? -1 : pos + empty; // skip_empty_lines
    this.count = 0;
    let p = pos;
    for (;;) {
      if (buf[p] === QUOTE) {
        p = this.quoted(buf, p, final);
        if (p < 0) return -1;
      } else {
        const s = p;
        while (p < len) {
          const c = buf[p];
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) throw new CsvFallback('quote inside an unquoted field');
          p++;
        }
        if (p >= len && !final) return -1;
        this.field(s, p, 0);
      }
      if (p >= len) break; // end of file ends the record
      if (buf[p] === COMMA) {
        p++;
        if (p >= len && !final) return -1;
        if (p >= len) {
          this.field(p, p, 0);
          break;
        }
        continue;
      }
      const eol = this.lineEnd(buf, p, final);
      if (eol < 0) return -1;
      if (eol === 0) throw new CsvFallback('text after a closing quote');
      p += eol;
      break;
    }
    this.onRecord({ buf, starts: this.starts, ends: this.ends, flags: this.flags, count: this.count });
    return p;
  }
}
