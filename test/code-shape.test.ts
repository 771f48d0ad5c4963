import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codeShape } from './support/code-shape';
import { readSources } from './support/layering';

const ROOT = join(__dirname, '..');
/** Targets of issue 13, as ceilings: cdk8s-plus's longest function is 89 lines, and it has 5 `as` and 7 `!`. */
const MAX_FUNCTION_LINES = 100;
const MAX_TYPE_ASSERTIONS = 15;
const MAX_NON_NULL_ASSERTIONS = 10;

describe('shape of src/ (generated imports/ and bundles/ excluded)', () => {
  const shapes = [...readSources(ROOT)].map(([file, text]) => codeShape(file, text, MAX_FUNCTION_LINES));

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    assert.deepEqual(shapes.flatMap((s) => s.longFunctions.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`)), []);
  });

  it(`has fewer than ${MAX_TYPE_ASSERTIONS} type assertions and ${MAX_NON_NULL_ASSERTIONS} non-null assertions`, () => {
    const as = shapes.flatMap((s) => s.typeAssertions);
    const bang = shapes.flatMap((s) => s.nonNullAssertions);
    assert.ok(as.length < MAX_TYPE_ASSERTIONS, `${as.length} type assertions: ${as.join(', ')}`);
    assert.ok(bang.length < MAX_NON_NULL_ASSERTIONS, `${bang.length} non-null assertions: ${bang.join(', ')}`);
  });

  it('the measure finds what it counts (planted code)', () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  const x${i} = ${i};`).join('\n');
    const planted = codeShape('src/planted.ts', `export function long(y?: string) {\n${body}\n  return (y as string)!.length + (<number>1);\n}\nconst c = [1] as const;\n`, MAX_FUNCTION_LINES);
    assert.deepEqual(planted.longFunctions.map((f) => [f.name, f.lines]), [['long', MAX_FUNCTION_LINES + 3]]);
    assert.deepEqual(planted.typeAssertions, [`src/planted.ts:${MAX_FUNCTION_LINES + 2}`, `src/planted.ts:${MAX_FUNCTION_LINES + 2}`]);
    assert.deepEqual(planted.nonNullAssertions, [`src/planted.ts:${MAX_FUNCTION_LINES + 2}`]);
  });
});
