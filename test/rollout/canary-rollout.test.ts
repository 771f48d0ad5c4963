import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiObject, App, Chart, Duration, JsonPatch } from 'cdk8s';
import { EnvValue, Node, NodeTaintQuery } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Rollout } from '../../imports/rollout-argoproj.io';
import {
  AutoscaledModel, AutoscalingEngine, CanaryRollout, CanaryRolloutProps, ModelService, RolloutStep, TrafficRouting,
} from '../../src';
import { requiredSampleSize } from '../../src/stats';
import { CARD, IMAGE, TEST_GATEWAY, VERSION } from '../support/fixtures';
import { findObject, inventory, objectsOfKind, synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';

function canary(props: Partial<CanaryRolloutProps> = {}, engine?: AutoscalingEngine) {
  const { chart } = testChart('ml-churn');
  const model = new AutoscaledModel(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, engine });
  const rollout = new CanaryRollout(chart, 'churn-canary', { model, ...(props.trafficRouting === TrafficRouting.REPLICAS ? {} : { gateway: TEST_GATEWAY }), ...props });
  return { chart, model, rollout };
}

function assertInvalid(props: Partial<CanaryRolloutProps>, ...fragments: string[]): void {
  assertValidationError(() => canary(props), 'test/churn-canary', ...fragments);
}

describe('CanaryRollout', () => {
  it('replaces the Deployment with a Rollout that carries the same pod template', async () => {
    const plain = testChart('ml-churn');
    new AutoscaledModel(plain.chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD });
    const deployment = findObject(await synthValid(plain.chart), 'Deployment', 'churn-model');

    const objects = await synthValid(canary().chart);
    assert.equal(objectsOfKind(objects, 'Deployment').length, 0, 'no Deployment for a controller to scale down');
    const rollout = findObject(objects, 'Rollout', 'churn-model');
    assert.equal(rollout.apiVersion, 'argoproj.io/v1alpha1');
    // The same pod template, but topology spread keys on the Rollout's own hash label.
    const expected = structuredClone(deployment.spec.template);
    for (const c of expected.spec.topologySpreadConstraints) c.matchLabelKeys = ['rollouts-pod-template-hash'];
    assert.deepEqual(rollout.spec.template, expected);
    assert.deepEqual(rollout.spec.selector, deployment.spec.selector);
    assert.equal('replicas' in rollout.spec, false, 'the autoscaler owns replicas');
    assert.deepEqual(inventory(objects), [
      'AnalysisTemplate/churn-model-canary-gate', 'AnalysisTemplate/churn-model-canary-watch', 'ConfigMap/churn-model-dashboard', 'ConfigMap/churn-model-model-card',
      'DestinationRule/churn-model', 'EnvoyFilter/churn-model-edge-limits', 'HorizontalPodAutoscaler/churn-model', 'NetworkPolicy/churn-model', 'PodDisruptionBudget/churn-model',
      'PrometheusRule/churn-model', 'PrometheusRule/churn-model-slo', 'Rollout/churn-model', 'Service/churn-model', 'ServiceAccount/churn-model', 'ServiceMonitor/churn-model',
      'VirtualService/churn-model',
    ]);
  });

  it('points the HPA, or the KEDA ScaledObject, at the Rollout', async () => {
    const hpa = findObject(await synthValid(canary().chart), 'HorizontalPodAutoscaler', 'churn-model');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'churn-model' });
    const so = findObject(await synthValid(canary({}, AutoscalingEngine.KEDA).chart), 'ScaledObject', 'churn-model');
    assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'churn-model' });
  });

  it('keeps fixed replicas on the Rollout for a model without autoscaler', async () => {
    const { chart } = testChart('ml-churn');
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, replicas: 4 });
    new CanaryRollout(chart, 'c', { model, gateway: TEST_GATEWAY });
    assert.equal(findObject(await synthValid(chart), 'Rollout', 'churn-model').spec.replicas, 4);
  });

  it('follows the guide schedule with a gate analysis after every pause', async () => {
    const steps = findObject(await synthValid(canary().chart), 'Rollout', 'churn-model').spec.strategy.canary.steps;
    const summary = steps.map((s: any) => s.setWeight ?? (s.pause ? `pause ${s.pause.duration}` : `gate ${s.analysis.args[1].value}`));
    assert.deepEqual(summary, [5, 'pause 1h', 'gate 1h', 25, 'pause 4h', 'gate 4h', 50, 'pause 12h', 'gate 12h', 100]);
    const gate = steps[2].analysis;
    assert.deepEqual(gate.templates, [{ templateName: 'churn-model-canary-gate' }]);
    assert.deepEqual(gate.args[0], { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } });
  });

  it('takes any increasing steps ending at 100', async () => {
    const { chart } = canary({ steps: [RolloutStep.setWeight(10, Duration.minutes(30)), RolloutStep.setWeight(100)] });
    const steps = findObject(await synthValid(chart), 'Rollout', 'churn-model').spec.strategy.canary.steps;
    assert.deepEqual(steps.map((s: any) => Object.keys(s)[0]), ['setWeight', 'pause', 'analysis', 'setWeight']);
    assert.equal(steps[1].pause.duration, '30m');
  });

  it('routes through Istio: VirtualService route weights, retries, and DestinationRule subsets with circuit breaking', async () => {
    const objects = await synthValid(canary().chart);
    const rollout = findObject(objects, 'Rollout', 'churn-model').spec.strategy.canary;
    assert.deepEqual(rollout.trafficRouting.istio, {
      virtualService: { name: 'churn-model', routes: ['primary'] },
      destinationRule: { name: 'churn-model', canarySubsetName: 'canary', stableSubsetName: 'stable' },
    });
    const vs = findObject(objects, 'VirtualService', 'churn-model');
    assert.equal(vs.apiVersion, 'networking.istio.io/v1');
    // Bound to the gateway (no sidecars in the platform namespaces); the destinations stay the cluster-local Service.
    assert.deepEqual(vs.spec.hosts, ['churn-model.models.example.com']);
    assert.deepEqual(vs.spec.gateways, ['istio-ingress/models']);
    assert.ok(vs.spec.http[0].route.every((r: any) => r.destination.host === 'churn-model.ml-churn.svc.cluster.local'));
    const http = vs.spec.http[0];
    assert.equal(http.name, 'primary');
    assert.deepEqual(http.route.map((r: any) => [r.destination.subset, r.weight]), [['stable', 100], ['canary', 0]]);
    assert.deepEqual(http.retries, { attempts: 3, perTryTimeout: '2000ms', retryOn: 'connect-failure,refused-stream,unavailable,cancelled,5xx' });
    const dr = findObject(objects, 'DestinationRule', 'churn-model');
    assert.deepEqual(dr.spec.subsets.map((s: any) => s.name), ['stable', 'canary']);
    assert.deepEqual(dr.spec.trafficPolicy.outlierDetection, { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '1m', maxEjectionPercent: 50 });
    assert.deepEqual(dr.spec.trafficPolicy.connectionPool, { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 100 } });
  });

  it('lets retries and circuit breaking be overridden', async () => {
    const objects = await synthValid(canary({
      retries: { attempts: 0 }, circuitBreaker: { consecutive5xxErrors: 3, baseEjectionTime: Duration.seconds(30) },
    }).chart);
    assert.deepEqual(findObject(objects, 'VirtualService', 'churn-model').spec.http[0].retries, { attempts: 0 });
    const od = findObject(objects, 'DestinationRule', 'churn-model').spec.trafficPolicy.outlierDetection;
    assert.deepEqual([od.consecutive5xxErrors, od.baseEjectionTime], [3, '30s']);
  });

  describe('analysis', () => {
    it('gates each step on error rate, p99 latency and a minimum sample from the SLO', async () => {
      const { chart, rollout } = canary();
      const expected = requiredSampleSize({ baselineRate: 0.001, minDetectableEffect: 0.009, alpha: 0.05, power: 0.8 }).treatment;
      assert.equal(rollout.minimumSample, expected);
      assert.ok(expected > 100 && expected < 2000, `a plausible sample (${expected})`);
      const gate = findObject(await synthValid(chart), 'AnalysisTemplate', 'churn-model-canary-gate');
      const byName = Object.fromEntries(gate.spec.metrics.map((m: any) => [m.name, m]));
      // Argo Rollouts (utils/evaluate/evaluate.go EvaluateResult): a metric with only a successCondition
      // fails when it is false; with both conditions, a result matching neither is Inconclusive (pause).
      assert.deepEqual(Object.keys(byName), ['error-rate', 'latency-p99']);
      const user = 'namespace="ml-churn",service="churn-model",rollouts_pod_template_hash="{{args.canary-hash}}",handler!~"/health|/ready|/metrics"';
      const enough = `and on() (sum(increase(http_requests_total{${user}}[{{args.window}}])) >= ${expected})`;
      assert.equal(byName['error-rate'].provider.prometheus.query,
        `((sum(rate(http_requests_total{namespace="ml-churn",service="churn-model",rollouts_pod_template_hash="{{args.canary-hash}}",status=~"5..",handler!~"/health|/ready|/metrics"}[{{args.window}}])) or vector(0)) / sum(rate(http_requests_total{${user}}[{{args.window}}]))) ${enough}`,
        'no 5xx at all gives a ratio of 0; fewer user requests than the minimum sample give an empty (inconclusive) result');
      assert.ok(byName['latency-p99'].provider.prometheus.query.endsWith(` ${enough}`));
      for (const m of gate.spec.metrics) {
        assert.ok(m.successCondition && m.failureCondition, `${m.name} states both conditions`);
      }
      assert.equal(byName['error-rate'].failureCondition, 'len(result) > 0 && !isNaN(result[0]) && result[0] > 0.01');
      assert.match(byName['error-rate'].successCondition, /!isNaN\(result\[0\]\) && result\[0\] <= 0\.01$/);
      assert.match(byName['latency-p99'].provider.prometheus.query, /^histogram_quantile\(0\.99, /);
      assert.match(byName['latency-p99'].failureCondition, /result\[0\] > 0\.5$/);
      for (const m of gate.spec.metrics) {
        assert.equal(m.count, 1);
        assert.equal(m.provider.prometheus.address, 'http://prometheus-operated.monitoring.svc:9090');
      }
    });

    it('watches the whole rollout in the background and aborts on a breach', async () => {
      const objects = await synthValid(canary({ analysis: { maxErrorRate: 0.02, maxLatencyP99: Duration.millis(300) } }).chart);
      const canaryStrategy = findObject(objects, 'Rollout', 'churn-model').spec.strategy.canary;
      assert.deepEqual(canaryStrategy.analysis.templates, [{ templateName: 'churn-model-canary-watch' }]);
      assert.equal(canaryStrategy.analysis.startingStep, 1);
      const watch = findObject(objects, 'AnalysisTemplate', 'churn-model-canary-watch');
      const err = watch.spec.metrics.find((m: any) => m.name === 'error-rate');
      assert.equal(err.interval, '5m');
      assert.equal(err.failureLimit, 0);
      assert.equal(err.failureCondition, 'len(result) > 0 && !isNaN(result[0]) && result[0] > 0.02');
      assert.match(watch.spec.metrics[1].failureCondition, /> 0\.3$/);
    });

    it('scrapes the pod-template-hash label so queries tell canary from stable', async () => {
      const sm = findObject(await synthValid(canary().chart), 'ServiceMonitor', 'churn-model');
      assert.deepEqual(sm.spec.podTargetLabels, ['rollouts-pod-template-hash']);
    });
  });

  it('falls back to replica-weighted canaries without Istio', async () => {
    const objects = await synthValid(canary({ trafficRouting: TrafficRouting.REPLICAS }).chart);
    assert.equal(objectsOfKind(objects, 'VirtualService').length + objectsOfKind(objects, 'DestinationRule').length, 0);
    const strategy = findObject(objects, 'Rollout', 'churn-model').spec.strategy.canary;
    assert.equal(strategy.trafficRouting, undefined);
    assert.equal(strategy.steps[0].setWeight, 5);
    assert.equal(objectsOfKind(objects, 'AnalysisTemplate').length, 2, 'analysis still gates every step');
  });

  it('tells Argo CD which fields Argo Rollouts edits', () => {
    assert.deepEqual(canary().rollout.argoCdIgnoreDifferences().map((d) => d.kind), ['VirtualService', 'DestinationRule']);
    assert.deepEqual(canary({ trafficRouting: TrafficRouting.REPLICAS }).rollout.argoCdIgnoreDifferences(), []);
  });

  it('renders through the generated Rollout class, its node.defaultChild', () => {
    const { rollout } = canary();
    assert.ok(rollout.rollout instanceof Rollout);
    assert.equal(rollout.node.defaultChild, rollout.rollout);
    assert.equal(ApiObject.of(rollout), rollout.rollout);
  });

  describe('the adopted Deployment', () => {
    it('carries later pod template changes of the model into the Rollout', async () => {
      const { chart, model } = canary();
      model.container.env.addVariable('LATE', EnvValue.fromValue('1'));
      model.deployment.scheduling.tolerate(Node.tainted(NodeTaintQuery.exists('dedicated')));
      ApiObject.of(model.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'model-serving'));
      const template = findObject(await synthValid(chart), 'Rollout', 'churn-model').spec.template;
      assert.ok(template.spec.containers[0].env.some((e: any) => e.name === 'LATE'));
      assert.ok(template.spec.tolerations.some((t: any) => t.key === 'dedicated'));
      assert.equal(template.spec.priorityClassName, 'model-serving');
    });

    it('fails synth on later changes outside the pod template instead of dropping them', () => {
      const annotated = canary();
      annotated.model.deployment.metadata.addAnnotation('team', 'churn');
      assert.throws(() => synthValidSync(annotated.chart),
        /test\/churn-model.*the Deployment is not synthesized since Rollout churn-model runs its pods.*\(metadata\).*make the others on the Rollout/s);

      const patched = canary();
      ApiObject.of(patched.model.deployment).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 30));
      assert.throws(() => synthValidSync(patched.chart), /changed outside its pod template after that \(spec\.minReadySeconds\)/);

      const child = canary();
      new Construct(child.model.deployment, 'Extra');
      assert.throws(() => synthValidSync(child.chart), /\(child construct 'Extra'\)/);
    });

    it('accepts changes made before the canary adopted the pods', () => {
      const { chart } = testChart('ml-churn');
      const model = new AutoscaledModel(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD });
      ApiObject.of(model.deployment).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 30));
      new CanaryRollout(chart, 'churn-canary', { model, gateway: TEST_GATEWAY });
      assert.doesNotThrow(() => synthValidSync(chart));
    });
  });

  describe('validation', () => {
    it('requires strictly increasing weights ending at 100', () => {
      assertInvalid({ steps: [RolloutStep.setWeight(50, Duration.hours(1)), RolloutStep.setWeight(25, Duration.hours(1)), RolloutStep.setWeight(100)] },
        "'steps[1].weight' (25)", 'greater than the previous');
      assertInvalid({ steps: [RolloutStep.setWeight(5, Duration.hours(1)), RolloutStep.setWeight(50, Duration.hours(1))] }, "'steps[1].weight' (50)", '100%');
      assertInvalid({ steps: [RolloutStep.setWeight(0, Duration.hours(1)), RolloutStep.setWeight(100)] }, "'steps[0].weight' (0)", 'from 1 to 100');
      assertInvalid({ steps: [] }, "'steps'", 'at least one');
    });
    it('requires a valid pause on every step before 100% and none on the last', () => {
      assertInvalid({ steps: [RolloutStep.setWeight(5), RolloutStep.setWeight(100)] }, "'steps[0].pause' (unset)", 'needs a pause');
      assertInvalid({ steps: [RolloutStep.setWeight(5, Duration.days(8)), RolloutStep.setWeight(100)] }, "'steps[0].pause'", '7 days');
      assertInvalid({ steps: [RolloutStep.setWeight(5, Duration.millis(1500)), RolloutStep.setWeight(100)] }, "'steps[0].pause'", 'whole number of seconds');
      assertInvalid({ steps: [RolloutStep.setWeight(100, Duration.hours(1))] }, "'steps[0].pause'", 'leave its pause unset');
    });
    it('refuses mesh settings without the mesh', () => {
      assertInvalid({ trafficRouting: TrafficRouting.REPLICAS, retries: { attempts: 2 } }, "'retries'", 'ISTIO');
      assertInvalid({ trafficRouting: TrafficRouting.REPLICAS, circuitBreaker: {} }, "'circuitBreaker'", 'ISTIO');
    });
    it('checks analysis thresholds', () => {
      assertInvalid({ analysis: { baselineErrorRate: 0.02 } }, "'analysis.baselineErrorRate' (0.02)", "below 'analysis.maxErrorRate' (0.01)");
      assertInvalid({ analysis: { power: 0.3 } }, "'analysis.power' (0.3)", 'from 0.5');
      assertInvalid({ analysis: { interval: Duration.seconds(10) } }, "'analysis.interval' (10)", 'from 30');
    });
    it('refuses a second rollout of the same model', () => {
      const { chart, model } = canary();
      assert.throws(() => new CanaryRollout(chart, 'again', { model, gateway: TEST_GATEWAY }), /invalid 'workload' \("Rollout"\): the pods are already run by Rollout churn-model/);
    });
    it('checks across objects at synth: routes, subsets and analysis labels', () => {
      const { chart, rollout } = canary();
      ApiObject.of(rollout.virtualService!).addJsonPatch(JsonPatch.replace('/spec/http/0/name', 'main'));
      ApiObject.of(rollout.destinationRule!).addJsonPatch(JsonPatch.replace('/spec/subsets/1/name', 'preview'));
      ApiObject.of(rollout.gateTemplate!).addJsonPatch(JsonPatch.replace('/spec/metrics/0/provider/prometheus/query', 'sum(up{service="other"})'));
      assert.throws(() => synthValidSync(chart), (e: Error) =>
        e.message.includes("VirtualService route 'primary'") && e.message.includes("DestinationRule subset 'canary'") && e.message.includes("analysis metric 'error-rate'"));
    });
  });
});

function synthValidSync(chart: Chart): void {
  (chart.node.root as App).synthYaml();
}
