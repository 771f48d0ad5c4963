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
    assert.deepEqual(Object.keys(JSON.parse(json)), ['version', 'model', 'generatedAt', 'status', 'driftDetected', 'passed', 'driftedFeatures', 'reference', 'current', 'features']);
    assert.ok(json.endsWith('}\n'));
  });

  it('escapes label values in the exposition format', () => {
    const text = renderDriftMetrics(result, 1717200000);
    assert.ok(text.includes('ml_drift_psi{model="m1",feature="x \\"quoted\\""} '));
    assert.ok(text.includes('ml_drift_chi2_pvalue{model="m1",feature="<b>cat</b>"} '));
    assert.ok(!text.includes('ml_model_accuracy'), 'no accuracy without labels');
  });

  it('formats numbers compactly and deterministically', () => {
    assert.equal(fmtNum(52000), '52000');
    assert.equal(fmtNum(0.123456), '0.1235');
    assert.equal(fmtNum(1234567), '1.23e6');
    assert.equal(fmtNum(0.0000123), '1.23e-5');
    assert.equal(escapeHtml('<a href="x">\'&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
