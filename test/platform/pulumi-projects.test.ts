// The example Pulumi projects start fast under `pulumi up`: Pulumi's Node.js
// language host (@pulumi/pulumi cmd/run/run.js) reads `tsconfig.json` from the
// project's folder and runs ts-node in transpile-only mode when its
// `compilerOptions.noCheck` is true; otherwise ts-node type-checks the whole
// program on every run (`npm run bench:pulumi-load` measures both).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

// Pulumi's own reader of the compiler options, the one run.js calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsutils: { loadTypeScriptCompilerOptions(path: string): Record<string, unknown> } = require('@pulumi/pulumi/tsutils');

const ROOT = join(__dirname, '..', '..');

describe('example Pulumi projects', () => {
  for (const dir of ['examples/pulumi', 'examples/platform', 'examples/teams/churn']) {
    it(`${dir}: a nodejs TypeScript project whose tsconfig makes Pulumi load it transpile-only`, () => {
      const project = parse(readFileSync(join(ROOT, dir, 'Pulumi.yaml'), 'utf8')) as { runtime: { name: string; options?: { typescript?: boolean } }; main: string };
      assert.equal(project.runtime.name, 'nodejs');
      assert.ok(existsSync(join(ROOT, dir, project.main)), `${dir}/${project.main} exists`);
      const options = tsutils.loadTypeScriptCompilerOptions(join(ROOT, dir, 'tsconfig.json'));
      assert.equal(options.noCheck, true, 'run.js passes transpileOnly = compilerOptions.noCheck to ts-node');
    });
  }

  it('there is no Pulumi project at the repository root (each example is its own project folder)', () => {
    assert.equal(existsSync(join(ROOT, 'Pulumi.yaml')), false);
  });
});
