/**
 * The package as its users get it: `npm pack` (which builds through
 * `prepack`), then the tarball installed into throwaway projects made from
 * test/consumers/: a `cdk8s init typescript-app` project (CommonJS, node10
 * resolution), an ES module project (nodenext) and a `pulumi new
 * aws-typescript` project. Each type-checks with skipLibCheck off and runs.
 * Installs use the versions of this repo's lockfile, so npm serves them from
 * its cache.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runNode } from '../support/process';

const ROOT = join(__dirname, '..', '..');
const TEMPLATES = join(ROOT, 'test', 'consumers');
const work = mkdtempSync(join(tmpdir(), 'consumers-'));
let tarball = '';

/** The version of a package in this repo's install, so the consumer installs come from npm's cache. */
function versionOf(name: string): string {
  const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  if (typeof pkg !== 'object' || pkg === null || !('version' in pkg) || typeof pkg.version !== 'string') {
    throw new Error(`no version in ${name}/package.json`);
  }
  return pkg.version;
}

function npm(args: readonly string[], cwd: string): string {
  return execFileSync('npm', [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
}

/** A folder with the tarball and `deps` installed; the templates are copied into it. */
function install(name: string, deps: readonly string[], templates: readonly string[]): string {
  const dir = join(work, name);
  cpSync(join(TEMPLATES, templates[0]), dir, { recursive: true });
  for (const t of templates.slice(1)) {
    cpSync(join(TEMPLATES, t), join(dir, t), { recursive: true });
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true }, null, 2)}\n`);
  npm(['install', '--prefer-offline', '--no-save', tarball, ...deps.map((d) => `${d}@${versionOf(d)}`)], dir);
  return dir;
}

/** Runs the consumer's own TypeScript (installed in `installDir`) on the project in `project`. */
function tsc(project: string, installDir = project): void {
  try {
    execFileSync(process.execPath, [join(installDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const out = err instanceof Error && 'stdout' in err ? String(err.stdout) : '';
    throw new Error(`tsc -p ${project} failed:\n${out}`, { cause: err });
  }
}

describe('the packed package in consumer projects', { timeout: 900_000 }, () => {
  before(() => {
    const name = npm(['pack', '--pack-destination', work, '--silent'], ROOT).trim().split('\n').pop() ?? '';
    tarball = join(work, name);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('ships lib/ with declarations and maps, the bundles, the bins, README, LICENSE and CHANGELOG', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of ['lib/src/index.js', 'lib/src/index.d.ts', 'lib/src/index.d.ts.map', 'lib/src/pulumi.d.ts', 'bundles/ml-drift.js', 'bin/ml-drift.js', 'bin/ml-cost.js', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
      assert.ok(files.includes(`package/${f}`), `${f} is in the tarball`);
    }
    assert.ok(!files.some((f) => f.startsWith('package/test/') || f.startsWith('package/node_modules/')));
  });

  it('a cdk8s outside the peer range is refused by npm, naming the range, instead of failing at run time', () => {
    const dir = join(work, 'mismatch');
    cpSync(join(TEMPLATES, 'cdk8s-app'), dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'mismatch', private: true }, null, 2)}\n`);
    // cdk8s 2.30 predates the APIs the library uses; npm's resolver (ERESOLVE) stops the install.
    assert.throws(() => npm(['install', '--prefer-offline', '--no-save', tarball, 'cdk8s@2.30.0', `constructs@${versionOf('constructs')}`], dir),
      (err: unknown) => err instanceof Error && 'stderr' in err && /peer cdk8s@"\^2\.68\.11" from ml-platform-constructs/.test(String(err.stderr)));
  });

  describe('cdk8s only (typescript-app and ESM)', () => {
    let dir = '';
    before(() => {
      dir = install('gitops', ['cdk8s', 'cdk8s-plus-28', 'constructs', 'typescript', '@types/node'], ['cdk8s-app', 'esm-app']);
      // The exact tsconfig `cdk8s init typescript-app` writes.
      cpSync(join(ROOT, 'node_modules', 'cdk8s-cli', 'templates', 'typescript-app', 'tsconfig.json'), join(dir, 'tsconfig.json'));
      writeFileSync(join(dir, 'tsconfig.json'), readFileSync(join(dir, 'tsconfig.json'), 'utf8').replace('"**/*.ts"', '"main.ts"'));
    });

    it('installs no @pulumi/* package (they are optional peers)', () => {
      assert.equal(existsSync(join(dir, 'node_modules', '@pulumi')), false, readdirSync(join(dir, 'node_modules')).join(' '));
    });

    it('type-checks under the cdk8s template (node10 resolution, skipLibCheck off) and synthesizes without loading Pulumi', async () => {
      tsc(dir);
      const run = await runNode(['main.js'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop() ?? ''), { synthesized: true, pulumiModulesLoaded: 0 });
      assert.match(readFileSync(join(dir, 'dist', 'churn.k8s.yaml'), 'utf8'), /kind: ScaledObject/, 'DEV scales to zero off-hours with KEDA');
    });

    it('type-checks and runs as an ES module (nodenext), errors are ValidationErrors', async () => {
      const esm = join(dir, 'esm-app');
      tsc(esm, dir);
      const run = await runNode(['main.js'], { cwd: esm });
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout);
      assert.ok(out.kinds.includes('Deployment'));
      assert.match(out.error, /^churn\/bad: invalid 'image'/);
    });

    it('the /pulumi entry fails naming what to install when Pulumi is missing', async () => {
      const run = await runNode(['-e', "require('ml-platform-constructs/pulumi')"], { cwd: dir });
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /ml-platform-constructs\/pulumi needs @pulumi\/pulumi, @pulumi\/aws, @pulumi\/kubernetes: run `npm install @pulumi\/pulumi @pulumi\/aws @pulumi\/kubernetes`/);
    });

    it('ml-drift and ml-cost run from the install with --help', async () => {
      for (const bin of ['ml-drift', 'ml-cost']) {
        const run = await runNode([join(dir, 'node_modules', '.bin', bin), '--help'], { cwd: dir });
        assert.equal(run.code, 0, `${bin}: ${run.stderr}`);
        assert.match(run.stdout + run.stderr, new RegExp(`usage: ${bin}`, 'i'));
      }
      const cost = await runNode([join(dir, 'node_modules', '.bin', 'ml-cost'), 'dist'], { cwd: dir });
      assert.equal(cost.code, 0, cost.stderr);
      assert.match(cost.stdout, /churn-model/);
    });
  });

  describe('pulumi new aws-typescript layout', () => {
    let dir = '';
    before(() => {
      dir = install('pulumi', ['cdk8s', 'cdk8s-plus-28', 'constructs', '@pulumi/pulumi', '@pulumi/aws', '@pulumi/kubernetes', 'typescript', '@types/node'], ['pulumi-app']);
    });

    it('type-checks with the template tsconfig (moduleResolution node) and runs under mocks', async () => {
      tsc(dir);
      const run = await runNode([join('bin', 'mocks.js')], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '');
      assert.deepEqual(out.bindings, ['churn-model']);
      assert.ok(out.resources.includes('aws:iam/role:Role'));
      assert.ok(out.resources.includes('kubernetes:yaml/v2:ConfigGroup'));
    });
  });
});
