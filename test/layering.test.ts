import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { LAYERS, importCycles, importEdges, layeringViolations, planeViolations, readSources, sourceFiles } from './support/layering';

const ROOT = join(__dirname, '..');

/** Edges of a planted file set (paths relative to the package root; targets need not exist). */
function planted(files: Record<string, string>) {
  return importEdges(ROOT, new Map(Object.entries(files)));
}

describe('layering of src/', () => {
  const edges = importEdges(ROOT, readSources(ROOT));

  it('every folder of src/ has a place in the layers', () => {
    const folders = new Set(sourceFiles(ROOT).map((f) => f.split('/')).filter((p) => p.length > 2).map((p) => p[1]));
    assert.deepEqual([...folders].filter((f) => !(f in LAYERS)), []);
  });

  it('no import runs up the layers, across sibling concepts or into cli/', () => {
    assert.ok(edges.length > 100, `sanity: found ${edges.length} imports`);
    assert.deepEqual(layeringViolations(edges), []);
  });

  it('the Kubernetes plane never imports the AWS plane', () => {
    assert.deepEqual(planeViolations(edges), []);
  });

  it('has no import cycles', () => {
    assert.deepEqual(importCycles(edges), []);
  });

  it('catches planted violations: a foundation importing a concept, a concept importing cli/, siblings, cycles', () => {
    const bad = planted({
      'src/core/planted.ts': "import { ModelService } from '../serving/model-service';",
      'src/drift/planted.ts': "import { main } from '../cli/drift';\nexport * from '../features/stores';",
      'src/serving/planted.ts': "import { x } from './model-service-aws';",
      'src/stats/a.ts': "import { b } from './b';",
      'src/stats/b.ts': "import { a } from './a';",
    });
    assert.deepEqual(layeringViolations(bad).map((l) => l.split(' ')[0]), ['src/core/planted.ts', 'src/drift/planted.ts', 'src/drift/planted.ts']);
    assert.match(layeringViolations(bad)[1], /imports src\/cli\/drift\.ts \(cli\)/);
    assert.deepEqual(planeViolations(bad), ['src/serving/planted.ts (Kubernetes plane) imports src/serving/model-service-aws.ts (AWS plane)']);
    assert.deepEqual(importCycles(bad), [['src/stats/a.ts', 'src/stats/b.ts', 'src/stats/a.ts']]);
  });
});

describe('lint rule for the layers (eslint.config.mjs)', () => {
  // Type-aware rules need the file in the TypeScript project; the layering rule does not.
  const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });
  const ruleIds = async (filePath: string, code: string) =>
    (await eslint.lintText(code, { filePath: join(ROOT, filePath) }))[0].messages.map((m) => `${m.ruleId}: ${m.message.split(':')[0]}`);

  it('refuses @pulumi/* in a Kubernetes-plane file', async () => {
    const ids = await ruleIds('src/serving/planted.ts', "import * as pulumi from '@pulumi/pulumi';\nexport const x = pulumi;\n");
    assert.deepEqual(ids, ["no-restricted-imports: '@pulumi/pulumi' import is restricted from being used by a pattern. Pulumi belongs to the AWS plane (src/aws, src/bridge, *-aws.ts, *-stack.ts, src/pulumi.ts)"]);
  });

  it('allows @pulumi/* in an AWS-plane file', async () => {
    assert.deepEqual(await ruleIds('src/serving/planted-aws.ts', "import * as pulumi from '@pulumi/pulumi';\nexport const x = pulumi;\n"), []);
  });

  it('refuses an import from the library into cli/, in either plane', async () => {
    for (const file of ['src/drift/planted.ts', 'src/drift/planted-aws.ts']) {
      const ids = await ruleIds(file, "import { main } from '../cli/drift';\nexport const x = main;\n");
      assert.equal(ids.length, 1, file);
      assert.match(ids[0], /^no-restricted-imports: '\.\.\/cli\/drift' import is restricted/);
    }
  });
});
