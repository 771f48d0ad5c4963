/**
 * How long `pulumi up` spends loading each example Pulumi program, measured
 * the way Pulumi's Node.js language host loads it (@pulumi/pulumi
 * cmd/run/run.js): from the project's folder, read `tsconfig.json` with
 * Pulumi's own `loadTypeScriptCompilerOptions`, register the ts-node Pulumi
 * picks (`typeScriptRequireStrings`) with `transpileOnly` taken from the
 * tsconfig's `noCheck`, then `require` the program's `main`. The program runs
 * under Pulumi's mocks (no engine, no cloud) with the config its tests use.
 *
 * Side by side: the same load with type checking on (ts-node's default, what
 * Pulumi does when the tsconfig has no `noCheck`).
 *
 * The programs import `ml-platform-constructs` as a user's program does; in
 * this repo Node resolves that to the package itself (self-reference through
 * `exports`), that is to the compiled `lib/`, so the bench builds it first
 * (not timed), as `npm pack` does for users.
 *
 * Run: `npm run bench:pulumi-load`. Prints a Markdown table with the machine and date.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const MOCK_OIDC = 'oidc.eks.us-east-1.amazonaws.com/id/C0FFEE';
const CONFIG = {
  clusterName: 'prod-eks',
  oidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/${MOCK_OIDC}`,
  oidcProviderUrl: `https://${MOCK_OIDC}`,
  platformStack: 'organization/platform/prod',
  grafanaUrl: 'https://grafana.example.com',
  runbookBaseUrl: 'https://git.example.com/ml-gitops/blob/main/dist/runbooks',
};

/** The child: what run.js does before it requires the program, then the require, timed. */
const CHILD = `
const t0 = process.hrtime.bigint();
const fs = require('fs');
const yaml = require('yaml');
const tsutils = require('@pulumi/pulumi/tsutils');
const pulumi = require('@pulumi/pulumi');
const [mode, configJson] = process.argv.slice(1);
const project = yaml.parse(fs.readFileSync('Pulumi.yaml', 'utf8'));
const config = Object.fromEntries(Object.entries(JSON.parse(configJson)).map(([k, v]) => [project.name + ':' + k, v]));
pulumi.runtime.setAllConfig(config);
pulumi.runtime.setMocks({
  newResource: (a) => ({ id: a.name + '-id', state: { ...a.inputs, arn: 'arn:aws:mock:::' + a.name, name: a.inputs.name ?? a.name + '-mock', bucket: a.name + '-mock', url: 'https://sqs.mock/' + a.name } }),
  call: (a) => (a.token === 'aws:index/getCallerIdentity:getCallerIdentity' ? { accountId: '123456789012', arn: 'arn:aws:iam::123456789012:root', userId: 'mock' }
    : a.token === 'aws:index/getRegion:getRegion' ? { name: 'us-east-1', region: 'us-east-1', id: 'us-east-1' }
    : a.token === 'aws:index/getPartition:getPartition' ? { partition: 'aws', dnsSuffix: 'amazonaws.com' } : {}),
}, project.name, 'prod', false);
const compilerOptions = tsutils.loadTypeScriptCompilerOptions('tsconfig.json');
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  transpileOnly: mode === 'typecheck' ? undefined : compilerOptions.noCheck,
  project: 'tsconfig.json', skipProject: false,
  compilerOptions: { target: 'ES2020', module: 'nodenext', moduleResolution: 'nodenext', sourceMap: 'true', ...compilerOptions },
});
const t1 = process.hrtime.bigint();
require(require('path').resolve(project.main));
const t2 = process.hrtime.bigint();
console.log(JSON.stringify({ setupMs: Number(t1 - t0) / 1e6, loadMs: Number(t2 - t1) / 1e6 }));
`;

interface Load { readonly setupMs: number; readonly loadMs: number }

function load(dir: string, mode: 'as-configured' | 'typecheck'): Load | string {
  const r = spawnSync(process.execPath, ['-e', CHILD, mode, JSON.stringify(CONFIG)], {
    cwd: join(ROOT, dir), encoding: 'utf8', timeout: 300_000, env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null && 'loadMs' in parsed && 'setupMs' in parsed
      && typeof parsed.loadMs === 'number' && typeof parsed.setupMs === 'number') {
      return { setupMs: parsed.setupMs, loadMs: parsed.loadMs };
    }
  } catch {
    // fall through: report what the child printed
  }
  return `failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' | ')}`;
}

const seconds = (l: Load | string): string => (typeof l === 'string' ? l : `${((l.setupMs + l.loadMs) / 1000).toFixed(1)} s`);

function main(): void {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) {
    console.error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    process.exit(1);
  }
  const projects = ['examples/pulumi', 'examples/platform', 'examples/teams/churn'];
  console.log(`Pulumi program load, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
  console.log('| project | as configured (transpile-only) | with type checking (Pulumi default without noCheck) |');
  console.log('|---|---|---|');
  for (const dir of projects) {
    console.log(`| ${dir} | ${seconds(load(dir, 'as-configured'))} | ${seconds(load(dir, 'typecheck'))} |`);
  }
}

main();
