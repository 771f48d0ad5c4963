import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Duration, Size } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AbTest, AutoscaledModel, CanaryRollout, CanaryRolloutProps, CostPreset, ModelGateway, ModelGatewayProps, ModelService } from '../../src';
import { buildExamples } from '../../examples/apps';
import { buildLayeredExamples } from '../../examples/gitops/layered';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, objectsOfKind, synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';
import { ManifestObject } from '../support/schema';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f6c3a7e-52d1-4b8e-9a1c-2d7e5f3b9c10';
const WAF = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/models/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d';

function gatewayChart(gatewayProps: Partial<ModelGatewayProps> = {}, canaryProps: Partial<CanaryRolloutProps> = {}, withGateway = true) {
  const { chart } = testChart('ml-churn');
  const gateway = withGateway
    ? new ModelGateway(chart, 'gateway', { domain: 'models.example.com', loadBalancer: { certificateArns: [CERT], wafAclArn: WAF }, ...gatewayProps })
    : undefined;
  const model = new AutoscaledModel(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING });
  const canary = new CanaryRollout(chart, 'canary', { model, gateway, ...canaryProps });
  return { chart, gateway, model, canary };
}

/** Every VirtualService is applied by a proxy present in `objects`: each gateway it lists is rendered; `mesh` only when expected. */
function assertRoutesApplied(objects: readonly ManifestObject[], meshAllowed = false): number {
  const gateways = new Set(objectsOfKind(objects, 'Gateway').map((g) => `${g.metadata.namespace}/${g.metadata.name}`));
  const routes = objectsOfKind(objects, 'VirtualService');
  for (const vs of routes) {
    const bound: string[] = vs.spec.gateways ?? [];
    assert.ok(bound.length > 0, `VirtualService ${vs.metadata.name} lists no gateway: only sidecars (none here) would apply it`);
    for (const g of bound) {
      assert.ok(g === 'mesh' ? meshAllowed : gateways.has(g), `VirtualService ${vs.metadata.name} is bound to ${g}, which is not rendered (gateways: ${[...gateways].join(', ')})`);
    }
  }
  return routes.length;
}

describe('ModelGateway', () => {
  it('renders the Istio Gateway, the ALB Ingress (ACM, health checks, WAF) and the gateway-wide Envoy filters', async () => {
    const { chart } = gatewayChart();
    const objects = await synthValid(chart);
    const gw = findObject(objects, 'Gateway', 'models');
    assert.equal(gw.apiVersion, 'networking.istio.io/v1');
    assert.equal(gw.metadata.namespace, 'istio-ingress');
    assert.deepEqual(gw.spec.selector, { istio: 'ingressgateway' });
    assert.deepEqual(gw.spec.servers, [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/*.models.example.com'] }]);

    const ingress = findObject(objects, 'Ingress', 'models');
    const a = ingress.metadata.annotations;
    assert.equal(ingress.spec.ingressClassName, 'alb');
    assert.deepEqual(ingress.spec.defaultBackend, { service: { name: 'istio-ingressgateway', port: { number: 80 } } });
    assert.equal(a['alb.ingress.kubernetes.io/scheme'], 'internet-facing');
    assert.equal(a['alb.ingress.kubernetes.io/certificate-arn'], CERT);
    assert.equal(a['alb.ingress.kubernetes.io/listen-ports'], '[{"HTTPS":443}]');
    assert.equal(a['alb.ingress.kubernetes.io/healthcheck-port'], '15021');
    assert.equal(a['alb.ingress.kubernetes.io/healthcheck-path'], '/healthz/ready');
    assert.equal(a['alb.ingress.kubernetes.io/wafv2-acl-arn'], WAF);

    const edge = findObject(objects, 'EnvoyFilter', 'models-edge');
    const filters = edge.spec.configPatches.map((p: any) => [p.match.context, p.patch.operation, p.patch.value.name]);
    assert.deepEqual(filters, [['GATEWAY', 'INSERT_BEFORE', 'envoy.filters.http.local_ratelimit'], ['GATEWAY', 'INSERT_BEFORE', 'envoy.filters.http.buffer']]);
    // No token bucket at the listener: Envoy rate-limits only where a route or virtual host configures one.
    assert.equal(edge.spec.configPatches[0].patch.value.typed_config.token_bucket, undefined);
    assert.equal(edge.spec.configPatches[1].patch.value.typed_config.max_request_bytes, 10 * 1024 * 1024);
  });

  it('re-encrypts to the gateway when it has its own certificate', async () => {
    const { chart } = gatewayChart({ credentialName: 'models-tls' });
    const objects = await synthValid(chart);
    const server = findObject(objects, 'Gateway', 'models').spec.servers[0];
    assert.deepEqual(server.port, { number: 443, name: 'https', protocol: 'HTTPS' });
    assert.deepEqual(server.tls, { mode: 'SIMPLE', credentialName: 'models-tls' });
    assert.equal(findObject(objects, 'Ingress', 'models').metadata.annotations['alb.ingress.kubernetes.io/backend-protocol'], 'HTTPS');
    assert.equal(findObject(objects, 'VirtualService', 'churn-model').spec.gateways[0], 'istio-ingress/models');
    assert.equal(findObject(objects, 'EnvoyFilter', 'churn-model-edge-limits').spec.configPatches[0].match.routeConfiguration.vhost.name, 'churn-model.models.example.com:443');
  });

  it('traces the routes with an Istio Telemetry sampling per preset', async () => {
    for (const [preset, percent] of [[CostPreset.DEV, 100], [CostPreset.STAGING, 10], [CostPreset.PRODUCTION, 1]] as const) {
      const { chart } = gatewayChart({ preset, tracing: { provider: 'otel-tracing' } });
      const telemetry = findObject(await synthValid(chart), 'Telemetry', 'models-tracing');
      assert.equal(telemetry.apiVersion, 'telemetry.istio.io/v1');
      assert.deepEqual(telemetry.spec, { selector: { matchLabels: { istio: 'ingressgateway' } }, tracing: [{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: percent }] });
    }
  });

  it('refuses bad input naming the property', () => {
    assertValidationError(() => gatewayChart({ domain: 'Models' }), undefined, "'domain'");
    assertValidationError(() => gatewayChart({ loadBalancer: { certificateArns: [] } }), undefined, 'loadBalancer.certificateArns');
    assertValidationError(() => gatewayChart({ loadBalancer: { certificateArns: ['cert'] } }), undefined, 'loadBalancer.certificateArns[0]');
    assertValidationError(() => gatewayChart({ tracing: { provider: 'otel', samplingPercent: 150 } }), undefined, 'tracing.samplingPercent');
  });
});

describe('model routes at the edge', () => {
  it('bind the canary VirtualService to the gateway only, with the per-host limits of the preset in Envoy config', async () => {
    const { chart, model } = gatewayChart();
    const objects = await synthValid(chart);
    const vs = findObject(objects, 'VirtualService', 'churn-model');
    assert.deepEqual(vs.spec.gateways, ['istio-ingress/models']);
    assert.deepEqual(vs.spec.hosts, ['churn-model.models.example.com']);
    assert.equal(assertRoutesApplied(objects), 1);

    const limits = findObject(objects, 'EnvoyFilter', 'churn-model-edge-limits');
    assert.equal(limits.metadata.namespace, 'istio-ingress');
    const [patch] = limits.spec.configPatches;
    assert.equal(patch.applyTo, 'VIRTUAL_HOST');
    assert.deepEqual(patch.match, { context: 'GATEWAY', routeConfiguration: { vhost: { name: 'churn-model.models.example.com:80' } } });
    const perFilter = patch.patch.value.typed_per_filter_config;
    // STAGING: 100 requests/s, burst 200; 10 MiB bodies.
    assert.deepEqual(perFilter['envoy.filters.http.local_ratelimit'].token_bucket, { max_tokens: 200, tokens_per_fill: 100, fill_interval: '1s' });
    assert.equal(perFilter['envoy.filters.http.local_ratelimit'].filter_enforced.default_value.numerator, 100);
    assert.deepEqual(perFilter['envoy.filters.http.buffer'].buffer, { max_request_bytes: 10 * 1024 * 1024 });

    // The gateway's pods reach the model through its NetworkPolicy.
    const np = findObject(objects, 'NetworkPolicy', model.name);
    assert.ok(np.spec.ingress.some((r: any) => r.from.some((p: any) => p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'istio-ingress'
      && p.podSelector?.matchLabels.istio === 'ingressgateway') && r.ports.some((p: any) => p.port === model.port)));
  });

  it('take typed limit overrides: a custom bucket and body size, or no rate limit', async () => {
    const custom = gatewayChart({}, { limits: { rateLimit: { requestsPerSecond: 5, burst: 10 }, maxRequestBody: Size.mebibytes(1) } });
    const perFilter = findObject(await synthValid(custom.chart), 'EnvoyFilter', 'churn-model-edge-limits').spec.configPatches[0].patch.value.typed_per_filter_config;
    assert.deepEqual(perFilter['envoy.filters.http.local_ratelimit'].token_bucket, { max_tokens: 10, tokens_per_fill: 5, fill_interval: '1s' });
    assert.equal(perFilter['envoy.filters.http.buffer'].buffer.max_request_bytes, 1024 * 1024);
    const none = gatewayChart({}, { limits: { rateLimit: false } });
    const noLimit = findObject(await synthValid(none.chart), 'EnvoyFilter', 'churn-model-edge-limits').spec.configPatches[0].patch.value.typed_per_filter_config;
    assert.deepEqual(Object.keys(noLimit), ['envoy.filters.http.buffer']);
    assertValidationError(() => gatewayChart({}, { limits: { rateLimit: { requestsPerSecond: 10, burst: 5 } } }), undefined, 'limits.rateLimit.burst');
  });

  it('add mesh and the cluster-local host only for declared in-mesh callers, and admit them', async () => {
    const { chart, model } = gatewayChart({}, { meshCallers: ['ml-apps'] });
    const objects = await synthValid(chart);
    const vs = findObject(objects, 'VirtualService', 'churn-model');
    assert.deepEqual(vs.spec.gateways, ['istio-ingress/models', 'mesh']);
    assert.deepEqual(vs.spec.hosts, ['churn-model.models.example.com', 'churn-model.ml-churn.svc.cluster.local']);
    assertRoutesApplied(objects, true);
    const np = findObject(objects, 'NetworkPolicy', model.name);
    assert.ok(np.spec.ingress.some((r: any) => r.from.some((p: any) => p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'ml-apps')));
  });

  it('refuse a route no proxy would apply', () => {
    assertValidationError(() => gatewayChart({}, {}, false), undefined, "'gateway'", 'no proxy would apply the route');
    assertValidationError(() => gatewayChart({}, { hostname: 'churn.other.example.com' }), undefined, "'hostname'", 'below the gateway');
  });

  it('bind the A/B VirtualService to the gateway with the sticky filter', async () => {
    const { chart } = testChart('ml-churn');
    const gateway = new ModelGateway(chart, 'gateway', { domain: 'models.example.com', loadBalancer: false });
    const [a, b] = ['churn-v1', 'churn-v2'].map((name) => new ModelService(chart, name, { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING }));
    new AbTest(chart, 'ab', {
      experimentId: 'exp', gateway, variants: [{ name: 'control', model: a, weight: 50 }, { name: 't', model: b, weight: 50 }],
      design: { dailyUsers: 20000, baselineRate: 0.75, minDetectableEffect: 0.02, plannedDuration: Duration.days(14) },
    });
    const objects = await synthValid(chart);
    assert.equal(assertRoutesApplied(objects), 1);
    assert.deepEqual(findObject(objects, 'VirtualService', 'exp').spec.hosts, ['churn-v1.models.example.com']);
    assert.ok(objectsOfKind(objects, 'EnvoyFilter').some((f) => f.metadata.name === 'exp-sticky-bucket'));
  });
});

describe('tracing of the model server', () => {
  it('sets the OTEL_* environment from the model and admits egress to the collector', async () => {
    const { chart } = testChart('ml-churn');
    const model = new ModelService(chart, 'churn-model', {
      image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING,
      tracing: { otlpEndpoint: 'http://otel-collector.observability.svc:4318', samplingPercent: 10 },
    });
    const objects = await synthValid(chart);
    const env = Object.fromEntries(findObject(objects, 'Deployment', model.name).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.OTEL_SERVICE_NAME, 'churn-model');
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector.observability.svc:4318');
    assert.equal(env.OTEL_RESOURCE_ATTRIBUTES,
      'service.version=1.2.0,service.namespace=ml-churn,ml.model.version=1.2.0,ml.model.training_commit=9f1c2ab,ml.model.data_version=churn-2026-11-01');
    assert.equal(env.OTEL_TRACES_SAMPLER, 'parentbased_traceidratio');
    assert.equal(env.OTEL_TRACES_SAMPLER_ARG, '0.1');
    const np = findObject(objects, 'NetworkPolicy', model.name);
    assert.ok(np.spec.egress.some((r: any) => r.to.some((p: any) => p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'observability')
      && r.ports.some((p: any) => p.port === 4318)));
  });
});

function yamlObjects(dir: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      out.push(...yamlObjects(path));
    } else if (entry.endsWith('.yaml')) {
      out.push(...parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as ManifestObject).filter((o) => o !== null));
    }
  }
  return out;
}

describe('examples', () => {
  it('every VirtualService of every example is applied by a Gateway the examples render', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'edge-examples-'));
    try {
      buildExamples(join(outdir, 'single')).synth();
      buildLayeredExamples(join(outdir, 'layered'));
      const single = yamlObjects(join(outdir, 'single'));
      assert.ok(assertRoutesApplied(single) >= 3, 'the churn canary, the ranking canary and the reranker experiment');
      // The layered repository: the platform folder renders the gateway, the team folder binds its routes to it.
      const layered = yamlObjects(join(outdir, 'layered'));
      assert.ok(assertRoutesApplied(layered) >= 2, 'the team\'s churn canary and its experiment');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
