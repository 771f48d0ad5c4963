import assert from 'node:assert/strict';
import { ValidationError } from '../../src/core/errors';

/**
 * Asserts that `fn` throws a {@link ValidationError} whose message contains
 * every fragment and, when `path` is given, starts with `<path>: invalid '`
 * (the construct path the library promises in every error).
 */
export function assertValidationError(fn: () => unknown, path: string | undefined, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    if (path !== undefined) {
      assert.ok(err.message.startsWith(`${path}: invalid '`), `message ${JSON.stringify(err.message)} does not start with ${path}`);
    }
    for (const fragment of fragments) {
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
    }
    return true;
  });
}
