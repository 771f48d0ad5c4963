import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildExamples } from '../examples/apps';

describe('determinism', () => {
  it('synthesizes byte-identical manifests on a second run', () => {
    const first = buildExamples().synthYaml();
    const second = buildExamples().synthYaml();
    assert.ok(first.length > 1000);
    assert.equal(second, first);
  });
});
