import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeError, errorCode } from '../../src/drift/errors';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('drift errors', () => {
  it('reads the string code of a system error, and nothing else', () => {
    const enoent = thrown(() => readFileSync('/nonexistent/drift.json'));
    assert.equal(errorCode(enoent), 'ENOENT');
    assert.equal(errorCode(new Error('plain')), undefined);
    assert.equal(errorCode(Object.assign(new Error('numeric'), { code: 42 })), undefined);
    assert.equal(errorCode({ code: 'ENOENT' }), undefined);
  });

  it('names an error by its name, or by its code when the name is generic', () => {
    assert.equal(describeError(Object.assign(new Error('no such bucket\nstack'), { code: 'NoSuchBucket' })), 'NoSuchBucket: no such bucket');
    assert.equal(describeError(new TypeError('bad')), 'TypeError: bad');
    assert.equal(describeError('text'), 'text');
  });
});
