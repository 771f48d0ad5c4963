import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App } from 'cdk8s';
import { KubernetesObject, collectRunbooks, synthObjects, writeDocuments } from '../../src';
import { buildExamples } from '../../examples/apps';

function withExamples(check: (dir: string, app: App, objects: KubernetesObject[]) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'docs-'));
  try {
    const app = buildExamples(dir);
    const objects = synthObjects(app);
    writeDocuments(app, dir);
    check(dir, app, objects);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('runbooks and model cards', () => {
  it('writes a runbook for every alert of every PrometheusRule, at the runbook_url of the alert', () => withExamples((dir, _app, objects) => {
    const urls = objects.filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => (o.spec as { groups: Array<{ rules: Array<{ alert?: string; annotations?: { runbook_url?: string } }> }> }).groups)
      .flatMap((g) => g.rules).filter((r) => r.alert).map((r) => r.annotations?.runbook_url ?? '');
    assert.ok(urls.length >= 9);
    for (const url of urls) {
      // Absolute under the examples' links (PRODUCTION requires them) or relative (other presets): the same file next to the manifests.
      const file = url.replace(/^https:\/\/github\.com\/example-org\/ml-gitops\/blob\/main\/dist\//, '');
      assert.match(file, /^runbooks\/[a-z0-9-]+\.md$/);
      assert.ok(existsSync(join(dir, file)), `${url} exists`);
    }
    const restore = readdirSync(join(dir, 'runbooks')).filter((f) => f.endsWith('-restore.md'));
    assert.deepEqual(restore, ['ml-churn-backups-restore.md'], 'the restore runbook of the platform backups');
    assert.equal(readdirSync(join(dir, 'runbooks')).length, urls.length + restore.length, 'one runbook per alert, none extra');
  }));

  it('has the incident sections and commands that name objects that exist in the manifests', () => withExamples((dir, app, objects) => {
    const names = new Set(objects.map((o) => `${o.kind.toLowerCase()}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`));
    const has = (kind: string, ns: string, name: string) => names.has(`${kind}/${ns}/${name}`);
    for (const rb of collectRunbooks(app)) {
      const file = readFileSync(join(dir, 'runbooks', rb.alert.runbookUrl.split('/').pop()!), 'utf8');
      for (const heading of ['## Alert trigger', '## Severity', '## Investigation', '## Mitigation', '## Communication', '## Post-incident']) {
        assert.ok(file.includes(heading), `${rb.alert.name}: ${heading}`);
      }
      for (const m of file.matchAll(/kubectl -n ([a-z0-9-]+) (?:get|rollout history|rollout undo|rollout status|scale|describe) (deployment|rollout|hpa|scaledobject|networkpolicy|pdb)[/ ]([a-z0-9-]+)/g)) {
        const kind = { deployment: 'deployment', rollout: 'rollout', hpa: 'horizontalpodautoscaler', scaledobject: 'scaledobject', networkpolicy: 'networkpolicy', pdb: 'poddisruptionbudget' }[m[2]]!;
        assert.ok(has(kind, m[1], m[3]), `${rb.alert.name}: ${m[0]} names an object in the manifests`);
      }
      for (const m of file.matchAll(/kubectl argo rollouts (?:get rollout|abort|undo) ([a-z0-9-]+) -n ([a-z0-9-]+)/g)) {
        assert.ok(has('rollout', m[2], m[1]), `${m[0]} names a Rollout`);
      }
    }
  }));

  it('uses Argo Rollouts commands for a model under a canary and kubectl rollout for a Deployment', () => withExamples((dir) => {
    const canary = readFileSync(join(dir, 'runbooks', 'ml-churn-churn-model-model-high-error-rate.md'), 'utf8');
    assert.match(canary, /kubectl argo rollouts abort churn-model -n ml-churn/);
    const plain = readFileSync(join(dir, 'runbooks', 'ml-ranking-reranker-a-model-high-error-rate.md'), 'utf8');
    assert.match(plain, /kubectl -n ml-ranking rollout undo deployment\/reranker-a/);
  }));

  it('writes every model card as Markdown', () => withExamples((dir) => {
    const cards = readdirSync(join(dir, 'model-cards')).sort();
    assert.deepEqual(cards, ['ml-churn-churn-model.md', 'ml-ranking-ranking-model.md', 'ml-ranking-reranker-a.md', 'ml-ranking-reranker-b.md']);
    assert.match(readFileSync(join(dir, 'model-cards', 'ml-churn-churn-model.md'), 'utf8'), /^# Model card: churn-model 1\.2\.0/);
  }));
});
