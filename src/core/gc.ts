/**
 * Explicit garbage collection for batch jobs that free large buffers in steps
 * (the drift checker after each decoded Parquet row group). V8 collects freed
 * typed arrays late, so without it a job's peak memory grows with the data
 * instead of staying at what the job holds (measured with `npm run
 * bench:drift`: 5M rows x 10 features, Parquet, 226 MiB peak without, 180 MiB
 * with). Node exposes `gc` only with `--expose-gc`; the flag is set at runtime
 * and the function taken from a new context (as jest's leak detector does),
 * so the job's command needs no flag.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Freed bytes that make a collection worth its few milliseconds. */
export const GC_THRESHOLD_BYTES = 8 * 2 ** 20;

let gc: (() => void) | undefined;
let pending = 0;

function exposedGc(): () => void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    gc = typeof fn === 'function' ? () => void (fn as () => unknown)() : () => undefined;
  }
  return gc;
}

/**
 * Records that about `bytes` of buffers became garbage; collects once at
 * least {@link GC_THRESHOLD_BYTES} have piled up since the last collection.
 * @returns whether it collected
 */
export function released(bytes: number): boolean {
  pending += bytes;
  if (pending < GC_THRESHOLD_BYTES) return false;
  pending = 0;
  exposedGc()();
  return true;
}
