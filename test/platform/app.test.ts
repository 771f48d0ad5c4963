import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Chart } from 'cdk8s';
import { CostPreset, MlApp, ModelService } from '../../src';
import { CARD, IMAGE, VERSION } from '../support/fixtures';

function withDir(check: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'mlapp-'));
  try {
    check(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function app(dir: string, documents?: boolean): MlApp {
  const a = new MlApp({ outdir: dir, documents });
  const chart = new Chart(a, 'churn', { namespace: 'ml-churn' });
  new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
  return a;
}

describe('MlApp: synth() writes the documents next to the manifests', () => {
  it('writes the manifests, a runbook at every alert\'s runbook_url, the model card and the cost estimate', () => withDir((dir) => {
    const a = app(dir);
    a.synth();
    assert.ok(existsSync(join(dir, 'churn.k8s.yaml')));
    const manifest = readFileSync(join(dir, 'churn.k8s.yaml'), 'utf8');
    const urls = [...manifest.matchAll(/runbook_url: (\S+)/g)].map((m) => m[1]);
    assert.ok(urls.length >= 3, 'the model\'s alerts');
    for (const url of urls) {
      const file = /^https?:\/\//.test(url) ? join('runbooks', url.split('/').pop() ?? '') : url;
      assert.ok(existsSync(join(dir, file)), `${file} written`);
    }
    assert.ok(readdirSync(join(dir, 'model-cards')).includes('ml-churn-churn-model.md'));
    assert.match(readFileSync(join(dir, 'cost-report.md'), 'utf8'), /\| ml-churn\/churn-model \| compute \|/);
    assert.ok(JSON.parse(readFileSync(join(dir, 'cost-report.json'), 'utf8')).total.expected > 0);
    assert.ok(a.writtenDocuments.includes('model-cards/ml-churn-churn-model.md'));
    assert.deepEqual([...a.writtenDocuments], [...a.writtenDocuments].sort());
  }));

  it('writes only the manifests with documents: false', () => withDir((dir) => {
    app(dir, false).synth();
    assert.deepEqual(readdirSync(dir), ['churn.k8s.yaml']);
  }));
});
