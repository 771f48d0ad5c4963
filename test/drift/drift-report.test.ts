import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDrift } from '../../src/drift/check';
import { parseDriftConfig } from '../../src/drift/config';
import { renderDriftMetrics } from '../../src/drift/metrics';
import type { DataColumn, DataWindow } from '../../src/drift/readers';
import { escapeHtml, fmtNum, renderHtmlReport, renderJsonReport } from '../../src/drift/report';
import { mulberry32, normal } from '../fixtures/drift/data';

function window(role: 'reference' | 'current', n: number, shift: number, cats: readonly string[]): DataWindow {
  const rng = mulberry32(role === 'reference' ? 11 : 12);
  const x = Float64Array.from({ length: n }, () => shift + normal(rng));
  const codes = Uint32Array.from({ length: n }, () => Math.floor(rng() * cats.length));
  const columns = new Map<string, DataColumn>([
    ['x "quoted"', { name: 'x "quoted"', type: 'numeric', values: x }],
    ['<b>cat</b>', { name: '<b>cat</b>', type: 'categorical', categories: cats, codes }],
  ]);
  return { role, uri: `${role}.csv`, format: 'csv', rows: n, columns };
}

describe('drift reports', () => {
  const config = parseDriftConfig({
    model: 'm1',
    reference: { uri: 'reference.csv' },
    current: { uri: 'current.csv' },
    features: [{ name: 'x "quoted"', type: 'numeric' }, { name: '<b>cat</b>', type: 'categorical' }],
    outputs: {},
  });
  const now = new Date('2024-06-01T00:00:00Z');
  const result = computeDrift(config, window('reference', 500, 0, ['a', '<i>b</i>']), window('current', 400, 1, ['a', '<i>b</i>', 'new & shiny']), now);

  it('renders a self-contained HTML page with escaped user text and one plot per feature', () => {
    const html = renderHtmlReport(result);
    assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
    assert.equal(html.match(/<svg class="plot"/g)?.length, 2);
    assert.ok(!html.includes('<b>cat</b>') && !html.includes('<i>b</i>'), 'user text is escaped');
    assert.ok(html.includes('&lt;b&gt;cat&lt;/b&gt;'));
    assert.ok(html.includes('x &quot;quoted&quot;'));
    assert.ok(html.includes('new &amp; shiny (new)'));
    assert.doesNotMatch(html, /<script|<link|<img|url\(/i);
    assert.equal(renderHtmlReport(result), html, 'deterministic');
  });

  it('writes JSON with a fixed key order', () => {
    const json = renderJsonReport(result);
    assert.deepEqual(Object.keys(JSON.parse(json)), [
      'version', 'model', 'generatedAt', 'status', 'driftDetected', 'passed', 'driftedFeatures', 'insufficientFeatures', 'verdict', 'reference', 'current', 'features',
    ]);
    assert.deepEqual(Object.keys(JSON.parse(json).features[0].verdict), [
      'status', 'test', 'pvalue', 'adjustedPvalue', 'correction', 'familySize', 'alpha', 'significant', 'effect', 'sampleSize',
    ]);
    assert.ok(json.endsWith('}\n'));
  });

  it('escapes label values in the exposition format', () => {
    const text = renderDriftMetrics(result, 1717200000);
    assert.ok(text.includes('ml_drift_psi{model="m1",feature="x \\"quoted\\""} '));
    assert.ok(text.includes('ml_drift_chi2_pvalue{model="m1",feature="<b>cat</b>"} '));
    assert.ok(!text.includes('ml_model_accuracy'), 'no accuracy without labels');
  });

  it('marks features without enough rows and shows adjusted p-values and effect sizes', () => {
    const small = computeDrift(config, window('reference', 40, 0, ['a', 'b']), window('current', 40, 0, ['a', 'b']), now);
    assert.equal(small.status, 'insufficient_data');
    const html = renderHtmlReport(small);
    assert.ok(html.includes('>TOO FEW ROWS</span>'));
    assert.ok(html.includes('<th>adjusted p</th>') && html.includes('<th>effect / floor</th>'));
    assert.ok(html.includes('too few rows for a verdict on x &quot;quoted&quot;, &lt;b&gt;cat&lt;/b&gt;'));
    assert.ok(html.includes('<title>Drift report: m1 (insufficient_data)</title>'));
  });

  it('charts the attribution ranking of both windows', () => {
    const n = 300;
    const rng = mulberry32(4);
    const cols = (scales: readonly number[]): DataWindow => {
      const w = window('reference', n, 0, ['a', 'b']);
      const columns = new Map(w.columns);
      ['x "quoted"', '<b>cat</b>'].forEach((f, i) => columns.set(`shap_${f}`, { name: `shap_${f}`, type: 'numeric', values: Float64Array.from({ length: n }, () => scales[i] * normal(rng)) }));
      return { ...w, columns };
    };
    const withAttr = parseDriftConfig({
      model: 'm1', reference: { uri: 'r.csv' }, current: { uri: 'c.csv' }, outputs: {}, features: config.features.map((f) => ({ name: f.name, type: f.type })), attribution: {},
    });
    const r = computeDrift(withAttr, cols([1, 3]), cols([3, 1]), now);
    assert.equal(r.attribution?.status, 'drift');
    const html = renderHtmlReport(r);
    assert.ok(html.includes('<h2>Feature attribution drift <span class="badge drift">DRIFT</span></h2>'));
    assert.ok(html.includes('aria-label="Feature ranking by mean absolute attribution: reference vs current"'));
    assert.ok(html.includes('#1 → #2 &lt;b&gt;cat&lt;/b&gt;'));
    assert.equal(html.match(/<svg class="plot"/g)?.length, 3, 'one plot per feature plus the ranking');
  });

  it('formats numbers compactly and deterministically', () => {
    assert.equal(fmtNum(52000), '52000');
    assert.equal(fmtNum(0.123456), '0.1235');
    assert.equal(fmtNum(1234567), '1.23e6');
    assert.equal(fmtNum(0.0000123), '1.23e-5');
    assert.equal(escapeHtml('<a href="x">\'&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
