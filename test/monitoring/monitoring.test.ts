import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import {
  AutoscaledModel, AutoscalingEngine, CanaryRollout, DEFAULT_PROMETHEUS_URL, TrafficRouting, errorStatusMatcher, resolveMonitoring, userTrafficMatchers,
} from '../../src';
import { PropsValidator } from '../../src/core/errors';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';
import { promqlErrors, renderedQueries } from '../support/promql';

describe('one resolved monitoring config', () => {
  it('defaults to prometheus-fastapi-instrumentator names, probe paths excluded, 15 days retention', () => {
    const m = resolveMonitoring();
    assert.deepEqual(m.metrics, {
      requestsTotal: 'http_requests_total', statusLabel: 'status', durationBucket: 'http_request_duration_seconds_bucket', pathLabel: 'handler',
    });
    assert.deepEqual(m.excludedPaths, ['/health', '/ready', '/metrics']);
    assert.equal(m.prometheusUrl, DEFAULT_PROMETHEUS_URL);
    assert.equal(m.retention.toSeconds(), Duration.days(15).toSeconds());
    assert.deepEqual(userTrafficMatchers(m), ['handler!~"/health|/ready|/metrics"']);
    assert.equal(errorStatusMatcher(m), 'status=~"5.."');
  });

  it('follows custom names and paths, escaping regex metacharacters, and excludes nothing when asked', () => {
    const m = resolveMonitoring({ metricNames: { pathLabel: 'route', statusLabel: 'code' }, excludedPaths: ['/healthz', '/v1/models/x.json'] });
    assert.deepEqual(userTrafficMatchers(m), ['route!~"/healthz|/v1/models/x\\\\.json"']);
    assert.deepEqual(promqlErrors(`sum(rate(x{${userTrafficMatchers(m).join(',')}}[5m]))`), []);
    assert.equal(errorStatusMatcher(m), 'code=~"5.."');
    assert.deepEqual(userTrafficMatchers(resolveMonitoring({ excludedPaths: [] })), []);
  });

  it('validates names, paths, URL and retention when given a validator', () => {
    const { chart } = testChart();
    const v = new PropsValidator(chart);
    assertValidationError(() => resolveMonitoring({ metricNames: { pathLabel: 'bad-label' } }, v), undefined, "'monitoring.metricNames.pathLabel'");
    assertValidationError(() => resolveMonitoring({ excludedPaths: ['health'] }, v), undefined, "'monitoring.excludedPaths[0]'");
    assertValidationError(() => resolveMonitoring({ excludedPaths: ['/a"b'] }, v), undefined, "'monitoring.excludedPaths[0]'");
    assertValidationError(() => resolveMonitoring({ prometheusUrl: 'prometheus:9090' }, v), undefined, "'monitoring.prometheusUrl'");
    assertValidationError(() => resolveMonitoring({ retention: Duration.minutes(5) }, v), undefined, "'monitoring.retention'");
  });

  it('carries renamed metrics, labels, paths and the Prometheus URL into every query of a model (alerts, KEDA, canary gates)', async () => {
    const { chart } = testChart('ml-churn');
    const model = new AutoscaledModel(chart, 'churn-model', {
      image: IMAGE, version: VERSION, modelCard: CARD, engine: AutoscalingEngine.KEDA,
      monitoring: {
        metricNames: { requestsTotal: 'model_requests', statusLabel: 'code', durationBucket: 'model_latency_seconds_bucket', pathLabel: 'route' },
        excludedPaths: ['/livez', '/metrics'], prometheusUrl: 'http://thanos-query.observability.svc:9090',
      },
    });
    new CanaryRollout(chart, 'churn-canary', { model, trafficRouting: TrafficRouting.REPLICAS });
    const objects = await synthValid(chart);
    const queries = renderedQueries(objects);
    const kinds = new Set(queries.map((q) => q.where.split('/')[0]));
    for (const kind of ['PrometheusRule', 'ScaledObject', 'AnalysisTemplate']) assert.ok(kinds.has(kind), `${kind} queries`);
    for (const q of queries) {
      assert.ok(!/http_requests_total|http_request_duration_seconds|status=|handler|\/health|\/ready"/.test(q.rendered), `${q.where}: ${q.rendered}`);
      if (/model_requests|model_latency/.test(q.rendered)) {
        assert.ok(q.rendered.includes('route!~"/livez|/metrics"'), `${q.where} excludes probe paths: ${q.rendered}`);
      }
    }
    assert.ok(queries.filter((q) => /model_requests/.test(q.rendered)).length >= 5);
    const addresses = JSON.stringify(objects).match(/http:\/\/[a-z.-]+:9090/g) ?? [];
    assert.ok(addresses.length >= 3 && addresses.every((a) => a === 'http://thanos-query.observability.svc:9090'), addresses.join(', '));
  });
});
