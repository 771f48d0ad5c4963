/**
 * The README's quick starts are code that works as written: the cdk8s one is
 * run (through tsx, with the repository's path mapping of the package name,
 * as a user's project resolves the installed package), the Pulumi one is the
 * consumer template that `test/package/consumers.test.ts` type-checks and runs
 * from the packed tarball.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { lintDocuments, markdownFiles } from './support/markdown';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first ```ts block after the heading `heading`. */
function codeAfter(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  assert.ok(block, `a ts block follows "${heading}"`);
  return block[1];
}

describe('README quick starts', () => {
  it('the cdk8s quick start synthesizes the canary at the gateway, and writes linked runbooks and the model card next to it', () => {
    // Inside the repository (scratch/ is git-ignored) so that cdk8s resolves from its node_modules as in a user's project.
    mkdirSync(join(ROOT, 'scratch'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, 'scratch', 'readme-'));
    try {
      writeFileSync(join(dir, 'main.ts'), codeAfter('## Quick start: GitOps with cdk8s'));
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--tsconfig', join(ROOT, 'tsconfig.json'), 'main.ts'],
        { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const objects = parseAllDocuments(readFileSync(join(dir, 'dist', 'churn.k8s.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec?: Record<string, unknown> });
      const vs = objects.find((o) => o.kind === 'VirtualService');
      assert.deepEqual(vs?.spec?.gateways, ['istio-ingress/models'], 'the route is applied by the ingress gateway');
      assert.ok(objects.some((o) => o.kind === 'Rollout') && objects.some((o) => o.kind === 'Ingress'));
      assert.ok(existsSync(join(dir, 'dist', 'model-cards', 'ml-churn-churn-model.md')));
      assert.ok(existsSync(join(dir, 'dist', 'cost-report.md')));
      const runbooks = markdownFiles(join(dir, 'dist'));
      assert.ok(runbooks.some((f) => f.includes('high-error-rate')));
      assert.deepEqual(lintDocuments(join(dir, 'dist')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Pulumi quick start is the consumer template the packed package is tested with', () => {
    const template = readFileSync(join(ROOT, 'test', 'consumers', 'pulumi-app', 'index.ts'), 'utf8');
    assert.equal(codeAfter('## Quick start: AWS and Kubernetes with Pulumi'), template);
  });
});
