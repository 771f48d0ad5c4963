/**
 * Errors of the drift checker that mean "could not run" (CLI exit code 2).
 * Their messages are complete, one-line explanations meant for stderr.
 */

/** Input data is unreadable or invalid (missing column, bad value, empty window, schema mismatch). */
export class DriftDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftDataError';
  }
}

/** An output could not be written (file system, S3, Pushgateway, webhook). */
export class DriftOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftOutputError';
  }
}

/** Best-effort one-line description of an unknown thrown value (AWS SDK errors carry a `name` such as NoSuchKey). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const name = err.name !== 'Error' && err.name !== '' ? err.name : errorCode(err) ?? '';
    const msg = err.message.split('\n')[0].trim();
    if (name === '' || msg.startsWith(name)) return msg === '' ? name : msg;
    return msg === '' || msg === 'UnknownError' ? name : `${name}: ${msg}`;
  }
  return String(err);
}

/** The string `code` of a thrown value (Node.js system errors: ENOENT, EACCES...), if it has one. */
export function errorCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
