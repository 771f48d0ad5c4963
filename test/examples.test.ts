import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { buildExamples } from '../examples/apps';
import { lintDocuments, markdownFiles } from './support/markdown';
import { ManifestObject, validateManifests } from './support/schema';

/** Every .ts file under `dir`, recursively. */
function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? typeScriptFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('examples', () => {
  it('import the library by its package name only, so they copy into a user\'s project as they are', () => {
    const root = join(__dirname, '..', 'examples');
    const files = typeScriptFiles(root);
    assert.ok(files.length > 10);
    for (const file of files) {
      const specifiers = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      const intoRepo = specifiers.filter((s) => /^(\.\.\/)+(src|lib|imports)(\/|$)/.test(s));
      assert.deepEqual(intoRepo, [], `${file.slice(root.length + 1)} imports the library by path`);
    }
  });

  it('synthesize one schema-valid manifest file per chart', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'examples-'));
    try {
      buildExamples(outdir).synth();
      const files = readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml')).sort();
      assert.deepEqual(files, ['churn-features.k8s.yaml', 'churn.k8s.yaml', 'minimal.k8s.yaml', 'rollout.k8s.yaml']);
      for (const file of files) {
        const objects = parseAllDocuments(readFileSync(join(outdir, file), 'utf8')).map((d) => d.toJS() as ManifestObject);
        assert.ok(objects.some((o) => o.kind === 'Deployment') && objects.some((o) => o.kind === 'NetworkPolicy'), `${file} has the model service objects`);
        await validateManifests(objects);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('run through the cdk8s CLI offline as the README says', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk8s-synth-'));
    try {
      const out = execFileSync('npx', ['--no-install', 'cdk8s', 'synth', '--no-check-upgrade', '--output', outdir], {
        encoding: 'utf8', env: { ...process.env, NO_UPDATE_NOTIFIER: '1' }, timeout: 120_000,
      });
      assert.match(out, /churn\.k8s\.yaml/);
      const churn = readFileSync(join(outdir, 'churn.k8s.yaml'), 'utf8');
      assert.match(churn, /kind: HorizontalPodAutoscaler/);
      assert.match(churn, /name: churn-model/);
      const cost = readFileSync(join(outdir, 'cost-report.md'), 'utf8');
      assert.match(cost, /\| ml-churn\/churn-model \| compute \|/);
      assert.match(readFileSync(join(outdir, 'cost-presets.md'), 'utf8'), /\| PRODUCTION_SPOT \|/);
      assert.ok(JSON.parse(readFileSync(join(outdir, 'cost-report.json'), 'utf8')).total.expected > 0);
      // The documents a person follows during an incident: links resolve, nothing is left to fill in
      // (no `<placeholder>`, no Alertmanager template), every shell block parses with `bash -n`.
      assert.ok(markdownFiles(outdir).length >= 30, 'runbooks, model cards and reports are written');
      assert.deepEqual(lintDocuments(outdir), []);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
