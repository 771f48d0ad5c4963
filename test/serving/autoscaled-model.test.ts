import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import {
  AutoscaledModel, AutoscaledModelProps, AutoscalingEngine, CostPreset, ModelService,
} from '../../src';
import { ScaledObject } from '../../imports/scaledobject-keda.sh';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, inventory, objectsOfKind, synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';

function autoscaled(props: Partial<AutoscaledModelProps> = {}) {
  const { chart } = testChart('ml-churn');
  const model = new AutoscaledModel(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, ...props });
  return { chart, model };
}

function assertInvalid(props: Partial<AutoscaledModelProps>, ...fragments: string[]): void {
  assertValidationError(() => autoscaled(props), 'test/churn-model', ...fragments);
}

describe('AutoscaledModel', () => {
  it('renders the issue example: HPA autoscaling/v2 on CPU, memory and requests per second', async () => {
    const { chart } = autoscaled({
      port: 8000,
      preset: CostPreset.PRODUCTION,
      autoscaling: { minReplicas: 3, maxReplicas: 20, cpuUtilization: 70, memoryUtilization: 80, requestsPerSecond: 100 },
    });
    const objects = await synthValid(chart);
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'churn-model');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'churn-model' });
    assert.equal(hpa.spec.minReplicas, 3);
    assert.equal(hpa.spec.maxReplicas, 20);
    assert.deepEqual(hpa.spec.metrics, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      { type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: 100 } } },
    ]);
    assert.deepEqual(hpa.spec.behavior.scaleDown, {
      stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }],
    });
    assert.deepEqual(hpa.spec.behavior.scaleUp, {
      stabilizationWindowSeconds: 0, selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }, { type: 'Pods', value: 4, periodSeconds: 60 }],
    });
  });

  it('leaves Deployment replicas unset so GitOps does not fight the autoscaler', async () => {
    const objects = await synthValid(autoscaled().chart);
    const dep = findObject(objects, 'Deployment', 'churn-model');
    assert.equal('replicas' in dep.spec, false);
  });

  it('keeps the PDB and zone spread of the minimum replica count', async () => {
    const objects = await synthValid(autoscaled().chart);
    assert.equal(objectsOfKind(objects, 'PodDisruptionBudget').length, 1);
    assert.equal(findObject(objects, 'Deployment', 'churn-model').spec.template.spec.topologySpreadConstraints.length, 2);
  });

  it('renders a PDB wherever more than one replica can run: DEV scales 0-3, so it gets a budget that never blocks a drain', async () => {
    const objects = await synthValid(autoscaled({ preset: CostPreset.DEV }).chart);
    assert.equal(findObject(objects, 'ScaledObject', 'churn-model').spec.minReplicaCount, 0, 'scale to zero off-hours');
    const pdb = findObject(objects, 'PodDisruptionBudget', 'churn-model');
    // maxUnavailable (never minAvailable): 1 eviction allowed at 1 replica, nothing to evict at 0.
    assert.deepEqual(pdb.spec, {
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'churn-model', 'app.kubernetes.io/name': 'churn-model' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    assert.equal(findObject(objects, 'Deployment', 'churn-model').spec.template.spec.topologySpreadConstraints, undefined,
      'spread follows the running minimum (DEV: none)');
    const single = await synthValid(autoscaled({ preset: CostPreset.DEV, autoscaling: { maxReplicas: 1 } }).chart);
    assert.equal(objectsOfKind(single, 'PodDisruptionBudget').length, 0, 'at most one replica: no budget');
    const optOut = await synthValid(autoscaled({ preset: CostPreset.DEV, podDisruptionBudget: false }).chart);
    assert.equal(objectsOfKind(optOut, 'PodDisruptionBudget').length, 0);
  });

  it('checks an explicit budget against the most replicas that can run', async () => {
    const wide = await synthValid(autoscaled({ autoscaling: { minReplicas: 2, maxReplicas: 10 }, podDisruptionBudget: { maxUnavailable: 3 } }).chart);
    assert.equal(findObject(wide, 'PodDisruptionBudget', 'churn-model').spec.maxUnavailable, 3);
    assertInvalid({ preset: CostPreset.DEV, autoscaling: { maxReplicas: 1 }, podDisruptionBudget: true }, "'podDisruptionBudget' (true)", 'at most 1 can run');
    assertInvalid({ autoscaling: { minReplicas: 2, maxReplicas: 4 }, podDisruptionBudget: { maxUnavailable: 4 } },
      "'podDisruptionBudget.maxUnavailable' (4)", 'less than replicas (4)');
  });

  it('takes its bounds from the preset unless given', async () => {
    const staging = await synthValid(autoscaled({ preset: CostPreset.STAGING }).chart);
    const hpa = findObject(staging, 'HorizontalPodAutoscaler', 'churn-model');
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 5]);
    const explicit = await synthValid(autoscaled({ preset: CostPreset.STAGING, autoscaling: { maxReplicas: 8 } }).chart);
    assert.equal(findObject(explicit, 'HorizontalPodAutoscaler', 'churn-model').spec.maxReplicas, 8);
  });

  it('drops metrics set to false and custom scale-down behaviour', async () => {
    const objects = await synthValid(autoscaled({
      autoscaling: { memoryUtilization: false, requestsPerSecond: false, scaleDown: { stabilizationWindow: Duration.minutes(10), maxPercent: 20, period: Duration.minutes(2) } },
    }).chart);
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'churn-model');
    assert.deepEqual(hpa.spec.metrics.map((m: any) => m.resource?.name ?? m.type), ['cpu']);
    assert.deepEqual(hpa.spec.behavior.scaleDown, {
      stabilizationWindowSeconds: 600, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 20, periodSeconds: 120 }],
    });
  });

  describe('KEDA', () => {
    it('scales on a Prometheus query with the same targets and behaviour', async () => {
      const objects = await synthValid(autoscaled({ engine: AutoscalingEngine.KEDA }).chart);
      assert.equal(objectsOfKind(objects, 'HorizontalPodAutoscaler').length, 0, 'KEDA owns the HPA it creates');
      const so = findObject(objects, 'ScaledObject', 'churn-model');
      assert.equal(so.apiVersion, 'keda.sh/v1alpha1');
      assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'churn-model' });
      assert.equal(so.spec.minReplicaCount, 3);
      assert.equal(so.spec.maxReplicaCount, 20);
      const prom = so.spec.triggers.find((t: any) => t.type === 'prometheus');
      assert.deepEqual(prom.metadata, {
        serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
        // User traffic only: probes and scrapes would keep a model awake at zero users.
        query: 'sum(rate(http_requests_total{namespace="ml-churn",service="churn-model",handler!~"/health|/ready|/metrics"}[2m]))',
        threshold: '100',
      });
      assert.equal(prom.metricType, 'AverageValue');
      assert.deepEqual(so.spec.triggers.map((t: any) => t.type), ['cpu', 'memory', 'prometheus']);
      assert.equal(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds, 300);
      assert.equal('replicas' in findObject(objects, 'Deployment', 'churn-model').spec, false);
    });

    it('scales to zero outside working hours with a cron trigger in the given time zone', async () => {
      const objects = await synthValid(autoscaled({
        workHours: { timezone: 'Europe/Berlin', days: '1-5', startHour: 7, endHour: 19 },
        autoscaling: { minReplicas: 2, maxReplicas: 6 },
      }).chart);
      const so = findObject(objects, 'ScaledObject', 'churn-model');
      assert.equal(so.spec.minReplicaCount, 0);
      const cron = so.spec.triggers.find((t: any) => t.type === 'cron');
      assert.deepEqual(cron.metadata, { timezone: 'Europe/Berlin', start: '0 7 * * 1-5', end: '0 19 * * 1-5', desiredReplicas: '2' });
    });

    it('is chosen by the DEV preset, which scales to zero off-hours', async () => {
      const { chart, model } = autoscaled({ preset: CostPreset.DEV });
      assert.equal(model.engine, AutoscalingEngine.KEDA);
      const so = findObject(await synthValid(chart), 'ScaledObject', 'churn-model');
      assert.equal(so.spec.minReplicaCount, 0);
      assert.equal(so.spec.triggers.find((t: any) => t.type === 'cron').metadata.timezone, 'UTC');
    });

    it('lets an explicit HPA engine or workHours: false override the DEV preset', async () => {
      const hpa = await synthValid(autoscaled({ preset: CostPreset.DEV, engine: AutoscalingEngine.HPA }).chart);
      assert.deepEqual(inventory(hpa).filter((n) => /Autoscaler|ScaledObject/.test(n)), ['HorizontalPodAutoscaler/churn-model']);
      const allDay = await synthValid(autoscaled({ preset: CostPreset.DEV, workHours: false }).chart);
      assert.equal(objectsOfKind(allDay, 'HorizontalPodAutoscaler').length, 1);
    });
  });

  describe('validation', () => {
    it('requires minReplicas <= maxReplicas', () => {
      assertInvalid({ autoscaling: { minReplicas: 5, maxReplicas: 3 } }, "'autoscaling.minReplicas' (5)", "must be <= 'autoscaling.maxReplicas' (3)");
    });
    it('requires minReplicas >= 1', () => {
      assertInvalid({ autoscaling: { minReplicas: 0, maxReplicas: 3 } }, "'autoscaling.minReplicas' (0)", 'integer from 1');
    });
    it('requires utilization targets in 1..100', () => {
      assertInvalid({ autoscaling: { cpuUtilization: 0 } }, "'autoscaling.cpuUtilization' (0)", 'from 1 to 100');
      assertInvalid({ autoscaling: { memoryUtilization: 120 } }, "'autoscaling.memoryUtilization' (120)", 'from 1 to 100');
      assertInvalid({ autoscaling: { requestsPerSecond: -1 } }, "'autoscaling.requestsPerSecond' (-1)", '> 0');
    });
    it('requires at least one metric', () => {
      assertInvalid({ autoscaling: { cpuUtilization: false, memoryUtilization: false, requestsPerSecond: false } }, "'autoscaling'", 'at least one');
    });
    it('keeps stabilization windows and periods within Kubernetes limits', () => {
      assertInvalid({ autoscaling: { scaleDown: { stabilizationWindow: Duration.hours(2) } } }, "'autoscaling.scaleDown.stabilizationWindow' (7200)", 'from 0 to 3600');
      assertInvalid({ autoscaling: { scaleDown: { period: Duration.hours(1) } } }, "'autoscaling.scaleDown.period' (3600)", 'from 1 to 1800');
      assertInvalid({ autoscaling: { scaleDown: { maxPercent: 0 } } }, "'autoscaling.scaleDown.maxPercent' (0)", 'from 1 to 100');
    });
    it('rejects replicas, which an autoscaler owns', () => {
      assertInvalid({ replicas: 4 }, "'replicas' (4)", 'no effect');
    });
    it('rejects working hours with the HPA engine and KEDA options without KEDA', () => {
      assertInvalid({ engine: AutoscalingEngine.HPA, workHours: { timezone: 'UTC', days: '1-5', startHour: 8, endHour: 18 } }, "'workHours'", 'KEDA');
      assertInvalid({ keda: { pollingInterval: Duration.seconds(10) } }, "'keda'", 'no effect');
    });
    it('validates working hours', () => {
      const hours = { timezone: 'UTC', days: '1-5', startHour: 8, endHour: 18 };
      assertInvalid({ workHours: { ...hours, timezone: 'Mars/Olympus' } }, "'workHours.timezone' (\"Mars/Olympus\")", 'IANA');
      assertInvalid({ workHours: { ...hours, days: 'mon-fri' } }, "'workHours.days'", 'day-of-week');
      assertInvalid({ workHours: { ...hours, endHour: 8 } }, "'workHours.endHour' (8)", "after 'workHours.startHour' (8)");
    });
    it('refuses a second autoscaler on the same target', () => {
      const { model } = autoscaled();
      assert.throws(() => model.registerAutoscaler('ScaledObject'), /test\/churn-model: invalid 'autoscaling' \("ScaledObject"\): the Deployment is already scaled by a HorizontalPodAutoscaler/);
      const { chart } = testChart();
      const plain = new ModelService(chart, 'plain', { image: IMAGE, version: VERSION, modelCard: CARD });
      plain.registerAutoscaler('ScaledObject');
      new ScaledObject(chart, 'So', { spec: { scaleTargetRef: { name: 'plain' }, triggers: [] } });
      assert.throws(() => plain.registerAutoscaler('HorizontalPodAutoscaler'), /already scaled by a ScaledObject/);
    });
  });
});
