import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

function loadedModules(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', cwd: `${__dirname}/..` });
  return JSON.parse(out) as string[];
}

describe('entry points', () => {
  it('the cdk8s API does not load Pulumi (GitOps users only synthesize)', () => {
    const modules = loadedModules('./src/index.ts');
    assert.ok(modules.some((m) => m.includes('/cdk8s-plus-28/')), 'sanity: cdk8s-plus is loaded');
    assert.deepEqual(modules.filter((m) => m.includes('/@pulumi/')), []);
  });

  it('the pulumi subpath loads only the AWS submodules it uses, not the @pulumi/aws root', () => {
    const modules = loadedModules('./src/pulumi.ts');
    assert.ok(modules.some((m) => m.includes('/@pulumi/aws/s3/')));
    assert.ok(!modules.some((m) => /\/@pulumi\/aws\/index\.js$/.test(m)), 'the @pulumi/aws root index is not loaded');
  });
});
