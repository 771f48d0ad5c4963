// Every PromQL expression the library renders, parsed with the Prometheus project's own grammar
// (@prometheus-io/lezer-promql) and checked by Prometheus itself (`promtool check rules`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { allExampleObjects, fillTemplates, promqlErrors, renderedQueries } from '../support/promql';
import { promtoolSkip, rulesFileOf, runPromtoolCheck } from '../support/promtool';

const examples = allExampleObjects();
const objects = examples.flatMap((e) => e.objects);
const queries = renderedQueries(objects);

describe('PromQL of every example, by the Prometheus grammar', () => {
  it('finds the queries of every kind of consumer', () => {
    const kinds = new Set(queries.map((q) => q.where.split('/')[0]));
    for (const kind of ['PrometheusRule', 'AnalysisTemplate', 'ScaledObject', 'ConfigMap']) {
      assert.ok(kinds.has(kind), `queries of ${kind} found (kinds: ${[...kinds].join(', ')})`);
    }
    assert.ok(queries.some((q) => /successQuery|totalQuery/.test(q.where)), 'the A/B analysis config');
    assert.ok(queries.length >= 30, `${queries.length} queries`);
  });

  it('parses every rendered expression without an error node', () => {
    const bad = queries.map((q) => ({ q, errors: promqlErrors(q.expr) })).filter((x) => x.errors.length > 0);
    assert.deepEqual(bad.map((b) => `${b.q.where}: ${b.q.expr} -> ${b.errors.join('; ')}`), []);
  });

  it('tells a broken expression from a valid one (the check can fail)', () => {
    assert.deepEqual(promqlErrors('sum(rate(http_requests_total{handler!~"/health"}[5m]))'), []);
    assert.ok(promqlErrors('sum(rate(http_requests_total{handler!~"/health"}[5m])').length > 0);
    assert.ok(promqlErrors('(sum(x) or vector(0)) / and on() y').length > 0);
    assert.equal(fillTemplates('x{h="{{args.canary-hash}}"}[{{args.window}}]'), 'x{h="x"}[1h]');
  });

  it('passes `promtool check rules` for every PrometheusRule of every example', { skip: promtoolSkip }, () => {
    const rules = objects.filter((o) => o.kind === 'PrometheusRule');
    assert.ok(rules.length >= 5, `${rules.length} PrometheusRules`);
    for (const rule of rules) {
      const r = runPromtoolCheck(rulesFileOf(rule));
      assert.ok(r.ok, `${JSON.stringify((rule.metadata as { name?: string }).name)}: ${r.output}`);
    }
  });

  it('passes Prometheus\' own parser and type checks for every other query (as recording rules)', { skip: promtoolSkip }, () => {
    const others = queries.filter((q) => !q.where.startsWith('PrometheusRule/') && !q.where.includes('seriesQuery'));
    const file = stringify({ groups: [{ name: 'rendered-queries', rules: others.map((q, i) => ({ record: `rendered:query_${i}`, expr: q.expr })) }] });
    const r = runPromtoolCheck(file);
    assert.ok(r.ok, r.output);
  });
});
