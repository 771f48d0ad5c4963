// Explicit collection for the drift reader (src/core/gc.ts): Node's gc taken at runtime, run once enough bytes were freed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GC_THRESHOLD_BYTES, released } from '../../src/core/gc';

describe('released', () => {
  it('collects once the freed bytes reach the threshold, and the freed array buffers are gone', () => {
    assert.equal(released(1), false);
    const keep: { garbage?: Float64Array } = { garbage: new Float64Array(GC_THRESHOLD_BYTES / 8).fill(1) };
    const before = process.memoryUsage().arrayBuffers;
    assert.ok(before >= GC_THRESHOLD_BYTES);
    delete keep.garbage;
    assert.equal(released(GC_THRESHOLD_BYTES), true);
    const after = process.memoryUsage().arrayBuffers;
    assert.ok(before - after >= GC_THRESHOLD_BYTES * 0.9, `array buffers ${before} -> ${after}`);
    assert.equal(released(GC_THRESHOLD_BYTES - 1), false, 'the count starts again after a collection');
    assert.equal(released(1), true);
  });
});
