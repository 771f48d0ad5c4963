import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import {
  CapacityPolicy, CostPreset, EnvSource, ModelService, ModelServiceProps, TopologySpreadMode,
} from '../../src';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, inventory, objectsOfKind, synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';

function model(props: Partial<ModelServiceProps> = {}, id = 'churn-model') {
  const { chart } = testChart('ml-churn');
  const service = new ModelService(chart, id, { image: IMAGE, version: VERSION, modelCard: CARD, ...props });
  return { chart, service };
}

/** Asserts that building the service throws a ValidationError whose message contains every fragment. */
function assertInvalid(props: Partial<ModelServiceProps>, ...fragments: string[]): void {
  assertValidationError(() => model(props), 'test/churn-model', ...fragments);
}

describe('ModelService', () => {
  it('renders the production object set, every object schema-valid', async () => {
    const { chart } = model();
    const objects = await synthValid(chart);
    assert.deepEqual(inventory(objects), [
      'ConfigMap/churn-model-dashboard',
      'ConfigMap/churn-model-model-card',
      'Deployment/churn-model',
      'NetworkPolicy/churn-model',
      'PodDisruptionBudget/churn-model',
      'PrometheusRule/churn-model',
      'PrometheusRule/churn-model-slo',
      'Service/churn-model',
      'ServiceAccount/churn-model',
      'ServiceMonitor/churn-model',
    ]);
    for (const o of objects) {
      assert.equal(o.metadata?.namespace, 'ml-churn', `${o.kind} is in the chart namespace`);
    }
  });

  it('uses the guide probes: /health liveness, /ready readiness and a startup probe', async () => {
    const objects = await synthValid(model().chart);
    const c = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0];
    assert.deepEqual(c.livenessProbe, {
      httpGet: { path: '/health', port: 8000, scheme: 'HTTP' }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3,
    });
    assert.deepEqual(c.readinessProbe, {
      httpGet: { path: '/ready', port: 8000, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3,
    });
    assert.equal(c.startupProbe.httpGet.path, '/health');
    assert.equal(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds, 300, 'five minutes to load the model');
  });

  it('lets probes, port and timings be overridden', async () => {
    const objects = await synthValid(model({
      port: 9000,
      probes: { liveness: { path: '/livez', period: Duration.seconds(20) }, readiness: { path: '/readyz', initialDelay: Duration.seconds(2) } },
    }).chart);
    const c = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0];
    assert.equal(c.livenessProbe.httpGet.path, '/livez');
    assert.equal(c.livenessProbe.httpGet.port, 9000);
    assert.equal(c.livenessProbe.periodSeconds, 20);
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.readinessProbe.initialDelaySeconds, 2);
    assert.deepEqual(c.ports, [{ containerPort: 9000, name: 'http' }]);
  });

  it('sets the guide production requests and limits from the PRODUCTION preset', async () => {
    const objects = await synthValid(model().chart);
    const c = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0];
    assert.deepEqual(c.resources, { requests: { cpu: '1000m', memory: '2048Mi' }, limits: { cpu: '2000m', memory: '4096Mi' } });
  });

  it('lets explicit resources win over the preset', async () => {
    const objects = await synthValid(model({
      resources: { cpu: { request: Cpu.millis(300), limit: Cpu.millis(600) }, memory: { request: Size.mebibytes(700), limit: Size.gibibytes(1) } },
    }).chart);
    const c = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0];
    assert.deepEqual(c.resources, { requests: { cpu: '300m', memory: '700Mi' }, limits: { cpu: '600m', memory: '1024Mi' } });
  });

  it('meets Pod Security "restricted" with a writable /tmp', async () => {
    const objects = await synthValid(model().chart);
    const pod = findObject(objects, 'Deployment', 'churn-model').spec.template.spec;
    const c = pod.containers[0];
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(c.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.privileged, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
    assert.deepEqual(c.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.deepEqual(c.volumeMounts, [{ mountPath: '/tmp', name: 'tmp' }]);
    assert.deepEqual(pod.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '1024Mi' } }]);
    assert.equal(pod.hostNetwork, false);
  });

  it('runs under a dedicated ServiceAccount without a mounted token', async () => {
    const objects = await synthValid(model({ serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/churn' } }).chart);
    const sa = findObject(objects, 'ServiceAccount', 'churn-model');
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/churn');
    const pod = findObject(objects, 'Deployment', 'churn-model').spec.template.spec;
    assert.equal(pod.serviceAccountName, 'churn-model');
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it('exposes a ClusterIP Service with a named port selecting the pods by stable labels', async () => {
    const objects = await synthValid(model().chart);
    const svc = findObject(objects, 'Service', 'churn-model');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80, targetPort: 8000 }]);
    assert.deepEqual(svc.spec.selector, { 'app.kubernetes.io/instance': 'churn-model', 'app.kubernetes.io/name': 'churn-model' });
    const podLabels = findObject(objects, 'Deployment', 'churn-model').spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector)) {
      assert.equal(podLabels[k], v);
    }
  });

  it('adds a metrics port to container and Service when it differs from the model port', async () => {
    const objects = await synthValid(model({ metricsPort: 9090 }).chart);
    const svc = findObject(objects, 'Service', 'churn-model');
    assert.deepEqual(svc.spec.ports.map((p: any) => p.name), ['http', 'metrics']);
    assert.equal(findObject(objects, 'ServiceMonitor', 'churn-model').spec.endpoints[0].port, 'metrics');
    const np = findObject(objects, 'NetworkPolicy', 'churn-model');
    assert.equal(np.spec.ingress[1].ports[0].port, 9090);
  });

  describe('high availability', () => {
    it('renders a PodDisruptionBudget, zone and node spread and graceful shutdown with more than one replica', async () => {
      const objects = await synthValid(model().chart);
      const pdb = findObject(objects, 'PodDisruptionBudget', 'churn-model');
      assert.equal(pdb.apiVersion, 'policy/v1');
      assert.equal(pdb.spec.maxUnavailable, 1);
      assert.deepEqual(pdb.spec.selector.matchLabels, { 'app.kubernetes.io/instance': 'churn-model', 'app.kubernetes.io/name': 'churn-model' });
      const dep = findObject(objects, 'Deployment', 'churn-model');
      assert.equal(dep.spec.replicas, 3);
      const spread = dep.spec.template.spec.topologySpreadConstraints;
      assert.deepEqual(spread.map((s: any) => [s.topologyKey, s.whenUnsatisfiable, s.maxSkew]), [
        ['topology.kubernetes.io/zone', 'DoNotSchedule', 1],
        ['kubernetes.io/hostname', 'ScheduleAnyway', 1],
      ]);
      const pod = dep.spec.template.spec;
      assert.deepEqual(pod.containers[0].lifecycle.preStop.exec.command, ['sleep', '10']);
      assert.equal(pod.terminationGracePeriodSeconds, 45);
      assert.deepEqual(dep.spec.strategy.rollingUpdate, { maxSurge: '25%', maxUnavailable: 0 });
    });

    it('renders no PDB and no spread for a single replica', async () => {
      const objects = await synthValid(model({ preset: CostPreset.DEV }).chart);
      assert.equal(objectsOfKind(objects, 'PodDisruptionBudget').length, 0);
      const dep = findObject(objects, 'Deployment', 'churn-model');
      assert.equal(dep.spec.replicas, 1);
      assert.equal(dep.spec.template.spec.topologySpreadConstraints, undefined);
    });

    it('uses best-effort zone spread with TopologySpreadMode.PREFERRED', async () => {
      const objects = await synthValid(model({ topologySpread: TopologySpreadMode.PREFERRED }).chart);
      const spread = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.topologySpreadConstraints;
      assert.equal(spread[0].whenUnsatisfiable, 'ScheduleAnyway');
    });

    it('honours an explicit PDB budget and an explicit opt-out', async () => {
      const withBudget = await synthValid(model({ replicas: 5, podDisruptionBudget: { maxUnavailable: 2 } }).chart);
      assert.equal(findObject(withBudget, 'PodDisruptionBudget', 'churn-model').spec.maxUnavailable, 2);
      const without = await synthValid(model({ podDisruptionBudget: false }).chart);
      assert.equal(objectsOfKind(without, 'PodDisruptionBudget').length, 0);
    });
  });

  describe('capacity and GPUs', () => {
    it('keeps production pods off spot nodes of Karpenter and EKS node groups', async () => {
      const objects = await synthValid(model().chart);
      const affinity = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.affinity;
      const exprs = affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
      assert.deepEqual(exprs, [
        { key: 'karpenter.sh/capacity-type', operator: 'NotIn', values: ['spot'] },
        { key: 'eks.amazonaws.com/capacityType', operator: 'NotIn', values: ['SPOT'] },
      ]);
    });

    it('prefers spot and tolerates the spot taint in DEV', async () => {
      const objects = await synthValid(model({ preset: CostPreset.DEV }).chart);
      const pod = findObject(objects, 'Deployment', 'churn-model').spec.template.spec;
      assert.equal(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution, undefined);
      assert.deepEqual(pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0],
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] });
      assert.deepEqual(pod.tolerations, [{ key: 'karpenter.sh/capacity-type', operator: 'Equal', value: 'spot', effect: 'NoSchedule' }]);
    });

    it('prefers on-demand with spot allowed for PRODUCTION_SPOT', async () => {
      const objects = await synthValid(model({ preset: CostPreset.PRODUCTION_SPOT }).chart);
      const na = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.affinity.nodeAffinity;
      assert.equal(na.requiredDuringSchedulingIgnoredDuringExecution, undefined);
      assert.deepEqual(na.preferredDuringSchedulingIgnoredDuringExecution.map((p: any) => p.preference.matchExpressions[0].values[0]), ['on-demand', 'ON_DEMAND']);
    });

    it('requests GPUs with a matching toleration and node selector', async () => {
      const objects = await synthValid(model({ gpu: { count: 2 }, capacity: CapacityPolicy.ON_DEMAND }).chart);
      const pod = findObject(objects, 'Deployment', 'churn-model').spec.template.spec;
      assert.equal(pod.containers[0].resources.limits['nvidia.com/gpu'], 2);
      assert.equal(pod.containers[0].resources.requests['nvidia.com/gpu'], 2);
      assert.deepEqual(pod.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
      assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    });
  });

  describe('network policy', () => {
    it('admits the model port from the own namespace and metrics from monitoring; egress DNS only', async () => {
      const objects = await synthValid(model().chart);
      const np = findObject(objects, 'NetworkPolicy', 'churn-model');
      assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
      assert.deepEqual(np.spec.podSelector.matchLabels, { 'app.kubernetes.io/instance': 'churn-model', 'app.kubernetes.io/name': 'churn-model' });
      assert.deepEqual(np.spec.ingress[0], { from: [{ podSelector: { matchLabels: {} } }], ports: [{ protocol: 'TCP', port: 8000 }] });
      assert.deepEqual(np.spec.ingress[1].from[0].namespaceSelector.matchLabels, { 'kubernetes.io/metadata.name': 'monitoring' });
      assert.equal(np.spec.egress.length, 1);
      assert.deepEqual(np.spec.egress[0].ports.map((p: any) => `${p.protocol}/${p.port}`), ['UDP/53', 'TCP/53']);
    });

    it('renders configured sources and destinations', async () => {
      const objects = await synthValid(model({
        networkPolicy: {
          allowFrom: [{ namespace: 'istio-ingress', podLabels: { istio: 'ingressgateway' } }],
          allowTo: [{ cidr: '10.0.0.0/16', ports: [443] }, { namespace: 'feast', ports: [6566] }],
        },
      }).chart);
      const np = findObject(objects, 'NetworkPolicy', 'churn-model');
      assert.deepEqual(np.spec.ingress[0].from, [{
        podSelector: { matchLabels: { istio: 'ingressgateway' } },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-ingress' } },
      }]);
      assert.deepEqual(np.spec.egress[1], { to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] });
      assert.equal(np.spec.egress[2].to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'], 'feast');
    });
  });

  describe('model metadata', () => {
    it('labels objects and annotates the pod template with version, commit, data version and hyperparameters', async () => {
      const objects = await synthValid(model().chart);
      const dep = findObject(objects, 'Deployment', 'churn-model');
      assert.deepEqual(dep.metadata.labels, {
        'app.kubernetes.io/component': 'model-server',
        'app.kubernetes.io/instance': 'churn-model',
        'app.kubernetes.io/managed-by': 'ml-platform-constructs',
        'app.kubernetes.io/name': 'churn-model',
        'app.kubernetes.io/part-of': 'churn-model',
        'app.kubernetes.io/version': '1.2.0',
      });
      const ann = dep.spec.template.metadata.annotations;
      assert.equal(ann['ml-platform-constructs.dev/model-version'], '1.2.0');
      assert.equal(ann['ml-platform-constructs.dev/training-commit'], '9f1c2ab');
      assert.equal(ann['ml-platform-constructs.dev/data-version'], 'churn-2026-11-01');
      assert.deepEqual(JSON.parse(ann['ml-platform-constructs.dev/hyperparameters']), { learning_rate: 0.1, max_depth: 6 });
      assert.equal(ann['ml-platform-constructs.dev/hyperparameters'], '{"learning_rate":0.1,"max_depth":6}', 'keys sorted for stable output');
    });

    it('renders the model card as Markdown and JSON in a ConfigMap', async () => {
      const objects = await synthValid(model().chart);
      const cm = findObject(objects, 'ConfigMap', 'churn-model-model-card');
      const json = JSON.parse(cm.data['model-card.json']);
      assert.deepEqual(json.card, CARD);
      assert.equal(json.version.trainingCommit, '9f1c2ab');
      const md: string = cm.data['model-card.md'];
      assert.match(md, /^# Model card: churn-model 1\.2\.0/);
      for (const heading of ['## Purpose', '## Intended use', '## Not intended for', '## Training data', '## Performance metrics', '## Limitations', '## Hyperparameters']) {
        assert.ok(md.includes(heading), `card has ${heading}`);
      }
      assert.match(md, /\| auc \| 0\.91 \|/);
    });

    it('synthesizes without a model card outside production presets', async () => {
      const { chart } = testChart();
      new ModelService(chart, 'm', { image: IMAGE, version: VERSION, preset: CostPreset.STAGING });
      const objects = await synthValid(chart);
      assert.equal(objectsOfKind(objects, 'ConfigMap').filter((c) => c.metadata.name === 'm-model-card').length, 0);
    });
  });

  describe('secrets', () => {
    it('takes secrets by reference only: Secret key refs and an ExternalSecret from AWS Secrets Manager', async () => {
      const objects = await synthValid(model({
        env: {
          LOG_LEVEL: 'info',
          FEATURE_STORE_TOKEN: EnvSource.fromSecret('feast-token', 'token'),
          DB_PASSWORD: EnvSource.fromAwsSecretsManager('prod/churn/db', 'password'),
        },
        secretStore: { name: 'aws', kind: 'SecretStore' },
      }).chart);
      const env = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0].env;
      assert.deepEqual(env, [
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'churn-model-env', key: 'DB_PASSWORD' } } },
        { name: 'FEATURE_STORE_TOKEN', valueFrom: { secretKeyRef: { name: 'feast-token', key: 'token' } } },
        { name: 'LOG_LEVEL', value: 'info' },
      ]);
      const es = findObject(objects, 'ExternalSecret', 'churn-model-env');
      assert.equal(es.apiVersion, 'external-secrets.io/v1');
      assert.deepEqual(es.spec.secretStoreRef, { kind: 'SecretStore', name: 'aws' });
      assert.deepEqual(es.spec.data, [{ secretKey: 'DB_PASSWORD', remoteRef: { key: 'prod/churn/db', property: 'password' } }]);
      assert.equal(es.spec.target.name, 'churn-model-env');
      assert.equal(objectsOfKind(objects, 'Secret').length, 0, 'no Secret with a value is rendered');
    });

    it('refuses a plain-text secret', () => {
      assertInvalid({ env: { DB_PASSWORD: 'hunter2' } }, "'env.DB_PASSWORD'", '<redacted>', 'EnvSource.fromSecret');
      assertInvalid({ env: { AWS_CONFIG: 'AKIAABCDEFGHIJKLMNOP' } }, "'env.AWS_CONFIG'", 'access key');
      assert.throws(() => model({ env: { DB_PASSWORD: 'hunter2' } }), (e: Error) => !e.message.includes('hunter2'));
    });
  });

  describe('monitoring', () => {
    it('renders a ServiceMonitor with Prometheus selector labels', async () => {
      const objects = await synthValid(model({ monitoring: { selectorLabels: { release: 'prom' } } }).chart);
      const sm = findObject(objects, 'ServiceMonitor', 'churn-model');
      assert.equal(sm.metadata.labels.release, 'prom');
      assert.deepEqual(sm.spec.selector.matchLabels, { 'app.kubernetes.io/instance': 'churn-model', 'app.kubernetes.io/name': 'churn-model' });
      assert.deepEqual(sm.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '30s' }]);
      const svc = findObject(objects, 'Service', 'churn-model');
      for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) {
        assert.equal(svc.metadata.labels[k], v, 'the ServiceMonitor selects the Service');
      }
    });

    it('labels for kube-prometheus-stack by default', async () => {
      const objects = await synthValid(model().chart);
      assert.equal(findObject(objects, 'ServiceMonitor', 'churn-model').metadata.labels.release, 'kube-prometheus-stack');
      assert.equal(findObject(objects, 'PrometheusRule', 'churn-model').metadata.labels.release, 'kube-prometheus-stack');
    });

    it('defines the guide alerts with severities, durations and runbook links', async () => {
      const objects = await synthValid(model({ slo: { latencyP99: Duration.millis(250) } }).chart);
      const rules = findObject(objects, 'PrometheusRule', 'churn-model').spec.groups[0].rules;
      const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r]));
      assert.deepEqual(Object.keys(byName), ['ModelHighErrorRate', 'ModelHighLatencyP99', 'ModelReplicasUnavailable']);
      const err = byName.ModelHighErrorRate;
      assert.equal(err.for, '5m');
      assert.equal(err.labels.severity, 'critical');
      assert.equal(err.expr,
        '(sum(rate(http_requests_total{namespace="ml-churn",service="churn-model",status=~"5..",handler!~"/health|/ready|/metrics"}[5m])) / '
        + 'sum(rate(http_requests_total{namespace="ml-churn",service="churn-model",handler!~"/health|/ready|/metrics"}[5m]))) > 0.01');
      assert.ok(byName.ModelHighLatencyP99.expr.endsWith(
        'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="ml-churn",service="churn-model",handler!~"/health|/ready|/metrics"}[5m]))) > 0.25'),
      byName.ModelHighLatencyP99.expr);
      assert.equal(byName.ModelReplicasUnavailable.expr, 'sum(kube_pod_status_ready{condition="false",namespace="ml-churn",pod=~"churn-model-[a-z0-9]+-[a-z0-9]+"}) > 0');
      for (const r of rules) {
        // The test app's links (test/support/synth.ts TEST_LINKS): PRODUCTION requires absolute ones.
        assert.match(r.annotations.runbook_url, /^https:\/\/git\.example\.com\/ml-gitops\/blob\/main\/dist\/runbooks\/ml-churn-churn-model-model-[a-z0-9-]+\.md$/);
        assert.ok(r.annotations.summary.length > 0);
      }
    });

    it('honours a runbook base URL, custom metric names and disabling', async () => {
      const objects = await synthValid(model({
        monitoring: { runbookBaseUrl: 'https://git.example/ops/runbooks/', metricNames: { requestsTotal: 'model_requests_total', statusLabel: 'code', pathLabel: 'route' } },
      }).chart);
      const rules = findObject(objects, 'PrometheusRule', 'churn-model').spec.groups[0].rules;
      assert.equal(rules[0].annotations.runbook_url, 'https://git.example/ops/runbooks/ml-churn-churn-model-model-high-error-rate.md');
      assert.match(rules[0].expr, /model_requests_total\{namespace="ml-churn",service="churn-model",code=~"5\.\.",route!~"\/health\|\/ready\|\/metrics"\}/);
      const off = await synthValid(model({ monitoring: { enabled: false } }).chart);
      assert.equal(objectsOfKind(off, 'ServiceMonitor').length + objectsOfKind(off, 'PrometheusRule').length, 0);
      assert.equal(findObject(off, 'NetworkPolicy', 'churn-model').spec.ingress.length, 1, 'no scrape rule without monitoring');
    });
  });

  describe('escape hatches', () => {
    it('exposes the cdk8s-plus objects and keeps JSON patches working', async () => {
      const { chart, service } = model();
      service.deployment.metadata.addAnnotation('team', 'churn');
      ApiObject.of(service.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'model-serving'));
      service.container.env.addVariable('EXTRA', (await import('cdk8s-plus-28')).EnvValue.fromValue('1'));
      const dep = findObject(await synthValid(chart), 'Deployment', 'churn-model');
      assert.equal(dep.metadata.annotations.team, 'churn');
      assert.equal(dep.spec.template.spec.priorityClassName, 'model-serving');
      assert.ok(dep.spec.template.spec.containers[0].env.some((e: any) => e.name === 'EXTRA'));
      assert.equal(service.url, 'http://churn-model.ml-churn.svc.cluster.local:80');
    });

    it('makes the Deployment its default child', () => {
      const { service } = model();
      assert.equal(service.node.defaultChild, service.deployment);
      assert.equal(ApiObject.of(service), ApiObject.of(service.deployment));
    });

    it('scrapes extra pod labels added after construction', async () => {
      const { chart, service } = model();
      service.scrapePodLabel('team');
      service.scrapePodLabel('team');
      assert.deepEqual(findObject(await synthValid(chart), 'ServiceMonitor', 'churn-model').spec.podTargetLabels, ['team']);
      assert.equal('podTargetLabels' in findObject(await synthValid(model().chart), 'ServiceMonitor', 'churn-model').spec, false);
    });
  });

  describe('validation', () => {
    it('requires a model card under the PRODUCTION preset', () => {
      assertInvalid({ modelCard: undefined }, "'modelCard' (unset)", "required by the 'production' preset");
    });
    it('rejects an incomplete model card', () => {
      assertInvalid({ modelCard: { ...CARD, limitations: ' ' } }, "'modelCard.limitations'", 'non-empty');
      assertInvalid({ modelCard: { ...CARD, metrics: {} } }, "'modelCard.metrics'", 'at least one');
      assertInvalid({ modelCard: { ...CARD, metrics: { auc: Number.NaN } } }, "'modelCard.metrics.auc'", 'finite');
    });
    it('requires a semantic model version', () => {
      assertInvalid({ version: { ...VERSION, model: 'v1.2' } }, "'version.model' (\"v1.2\")", 'semantic version');
      assertInvalid({ version: { ...VERSION, model: '1.2.0+build.5' } }, "'version.model'", 'label value');
    });
    it('requires a git commit and a data version', () => {
      assertInvalid({ version: { ...VERSION, trainingCommit: 'main' } }, "'version.trainingCommit' (\"main\")", 'hex digits');
      assertInvalid({ version: { ...VERSION, dataVersion: '' } }, "'version.dataVersion'", 'non-empty');
      assertInvalid({ version: { ...VERSION, hyperparameters: { lr: Number.POSITIVE_INFINITY } } }, "'version.hyperparameters.lr'", 'finite');
    });
    it('requires a pinned image', () => {
      assertInvalid({ image: 'myregistry.io/churn-model:latest' }, "'image'", 'pinned');
      assertInvalid({ image: 'myregistry.io/churn-model' }, "'image'", 'pinned');
      assertInvalid({ image: '' }, "'image'", 'non-empty');
    });
    it('checks ports, replicas and the name', () => {
      assertInvalid({ port: 70000 }, "'port' (70000)", 'from 1 to 65535');
      assertInvalid({ replicas: 0 }, "'replicas' (0)", 'from 1 to 1000');
      assertInvalid({ name: 'Churn_Model' }, "'name' (\"Churn_Model\")", 'DNS-1035');
    });
    it('requires requests <= limits', () => {
      assertInvalid({ resources: { cpu: { request: Cpu.millis(2000), limit: Cpu.millis(1000) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) } } },
        "'resources.cpu.limit' (\"1000m\")", "must be >= 'resources.cpu.request' (2000m)");
      assertInvalid({ resources: { cpu: { request: Cpu.millis(100), limit: Cpu.millis(100) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } },
        "'resources.memory.limit' (\"1024Mi\")", 'request');
    });
    it('checks probe timings', () => {
      assertInvalid({ probes: { readiness: { timeout: Duration.seconds(10) } } }, "'probes.readiness.timeout'", 'at most the period');
      assertInvalid({ probes: { liveness: { path: 'health' } } }, "'probes.liveness.path'", "start with '/'");
      assertInvalid({ probes: { startup: { failureThreshold: 0 } } }, "'probes.startup.failureThreshold' (0)", 'integer');
    });
    it('rejects a PodDisruptionBudget over a single replica and a budget >= replicas', () => {
      assertInvalid({ replicas: 1, podDisruptionBudget: true }, "'podDisruptionBudget' (true)", 'more than one replica');
      assertInvalid({ replicas: 3, podDisruptionBudget: { maxUnavailable: 3 } }, "'podDisruptionBudget.maxUnavailable' (3)", 'less than replicas (3)');
    });
    it('rejects a grace period shorter than the preStop delay', () => {
      assertInvalid({ shutdown: { preStopDelay: Duration.seconds(30), terminationGracePeriod: Duration.seconds(20) } },
        "'shutdown.terminationGracePeriod' (20 seconds)", 'longer than');
    });
    it('rejects bad network peers and GPU counts', () => {
      assertInvalid({ networkPolicy: { allowTo: [{ cidr: '10.0.0.0', ports: [443] }] } }, "'networkPolicy.allowTo[0].cidr'", 'CIDR');
      assertInvalid({ networkPolicy: { allowTo: [{ namespace: 'x', ports: [] }] } }, "'networkPolicy.allowTo[0].ports'", 'at least one port');
      assertInvalid({ networkPolicy: { allowFrom: [{ cidr: '10.0.0.0/8', namespace: 'x' }] } }, "'networkPolicy.allowFrom[0]'", 'cannot be combined');
      assertInvalid({ gpu: { count: 0 } }, "'gpu.count' (0)", 'integer');
    });
    it('rejects bad SLOs and monitoring names', () => {
      assertInvalid({ slo: { errorRate: 2 } }, "'slo.errorRate' (2)", 'from 0.0001 to 0.5');
      assertInvalid({ monitoring: { metricNames: { durationBucket: 'latency_seconds' } } }, "'monitoring.metricNames.durationBucket'", '_bucket');
    });
  });

  it('renders the same names and objects regardless of unrelated constructs', async () => {
    const alone = model();
    const withOthers = testChart('ml-churn');
    new ModelService(withOthers.chart, 'other-model', { image: IMAGE, version: VERSION, preset: CostPreset.DEV });
    new ModelService(withOthers.chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD });
    new ModelService(withOthers.chart, 'third-model', { image: IMAGE, version: VERSION, preset: CostPreset.DEV });
    const a = await synthValid(alone.chart);
    const b = (await synthValid(withOthers.chart)).filter((o) => o.metadata?.labels && (o.metadata.labels as Record<string, string>)['app.kubernetes.io/name'] === 'churn-model');
    assert.deepEqual(b, a);
  });
});
