import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AutoscaledModel, CapacityPolicy, CostPreset, CostPresetSettings, ModelService, TopologySpreadMode, cpuMillis } from '../../src';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, objectsOfKind, synthValid, testChart } from '../support/synth';

const ALL: Record<string, CostPresetSettings> = {
  DEV: CostPreset.DEV, STAGING: CostPreset.STAGING, PRODUCTION: CostPreset.PRODUCTION, PRODUCTION_SPOT: CostPreset.PRODUCTION_SPOT,
};

describe('CostPreset', () => {
  it('uses the guide production sizing for PRODUCTION', () => {
    const p = CostPreset.PRODUCTION;
    assert.deepEqual([cpuMillis(p.resources.cpu.request), cpuMillis(p.resources.cpu.limit)], [1000, 2000]);
    assert.deepEqual([p.resources.memory.request.toGibibytes(), p.resources.memory.limit.toGibibytes()], [2, 4]);
    assert.deepEqual(p.autoscaling, { minReplicas: 3, maxReplicas: 20 });
    assert.equal(p.podDisruptionBudget, true);
    assert.equal(p.topologySpread, TopologySpreadMode.STRICT);
    assert.equal(p.capacity, CapacityPolicy.ON_DEMAND);
    assert.equal(p.requireModelCard, true);
  });

  it('differs where the presets promise: replicas, size, HA, capacity and off-hours', () => {
    assert.equal(CostPreset.DEV.replicas, 1);
    assert.ok(CostPreset.DEV.workHours, 'DEV scales to zero off-hours');
    assert.equal(CostPreset.DEV.capacity, CapacityPolicy.SPOT_PREFERRED);
    assert.equal(CostPreset.STAGING.capacity, CapacityPolicy.SPOT_ALLOWED);
    assert.equal(CostPreset.PRODUCTION_SPOT.capacity, CapacityPolicy.SPOT_ALLOWED);
    assert.equal(CostPreset.PRODUCTION_SPOT.requireModelCard, true);
    const cpu = (p: CostPresetSettings) => cpuMillis(p.resources.cpu.request);
    assert.ok(cpu(CostPreset.DEV) < cpu(CostPreset.STAGING) && cpu(CostPreset.STAGING) < cpu(CostPreset.PRODUCTION));
    for (const [name, p] of Object.entries(ALL)) {
      assert.ok(p.autoscaling.minReplicas <= p.autoscaling.maxReplicas, `${name} bounds`);
      assert.ok(cpuMillis(p.resources.cpu.request) <= cpuMillis(p.resources.cpu.limit), `${name} cpu`);
      assert.ok(p.resources.memory.request.toMebibytes() <= p.resources.memory.limit.toMebibytes(), `${name} memory`);
      assert.ok(Object.isFrozen(p), `${name} is frozen so nobody mutates the shared default`);
    }
  });

  it('is plain data a user can copy and adjust', async () => {
    const custom: CostPresetSettings = { ...CostPreset.PRODUCTION, name: 'production-eu', replicas: 4, requireModelCard: false };
    const { chart } = testChart();
    new ModelService(chart, 'm', { image: IMAGE, version: VERSION, preset: custom });
    const dep = findObject(await synthValid(chart), 'Deployment', 'm');
    assert.equal(dep.spec.replicas, 4);
    assert.equal(dep.metadata.annotations['ml-platform-constructs.dev/cost-preset'], 'production-eu');
  });

  for (const [name, preset] of Object.entries(ALL)) {
    it(`renders schema-valid objects for ${name} with both constructs`, async () => {
      const { chart } = testChart();
      new ModelService(chart, 'plain', { image: IMAGE, version: VERSION, modelCard: CARD, preset });
      new AutoscaledModel(chart, 'scaled', { image: IMAGE, version: VERSION, modelCard: CARD, preset });
      const objects = await synthValid(chart);
      // A budget wherever more than one replica can run: DEV's plain model runs one, its autoscaled model up to 3.
      const multi = [preset.replicas, preset.autoscaling.maxReplicas].filter((n) => n > 1).length;
      assert.equal(objectsOfKind(objects, 'PodDisruptionBudget').length, preset.podDisruptionBudget ? multi : 0);
      assert.equal(objectsOfKind(objects, preset.workHours ? 'ScaledObject' : 'HorizontalPodAutoscaler').length, 1);
    });
  }
});

describe('CostPreset disaster recovery', () => {
  it('gives short retention in DEV, longer in PRODUCTION, and platforms inherit it unless they set their own or opt out', async () => {
    const { App } = await import('cdk8s');
    const { ModelPlatformChart } = await import('../../src');
    assert.ok(CostPreset.DEV.disasterRecovery.retention.toDays() < CostPreset.STAGING.disasterRecovery.retention.toDays());
    assert.ok(CostPreset.STAGING.disasterRecovery.retention.toDays() < CostPreset.PRODUCTION.disasterRecovery.retention.toDays());
    assert.equal(CostPreset.PRODUCTION.disasterRecovery.rto.toMinutes(), 60, 'the guide: RTO under 1 hour');
    const model = { id: 'm', image: IMAGE, version: VERSION, modelCard: CARD, canary: false as const };
    const inherited = new ModelPlatformChart(new App(), 'a', { namespace: 'ml', preset: CostPreset.STAGING, models: [model] });
    assert.equal(inherited.backups?.policy.retention.toDays(), 14);
    assert.equal(inherited.backups?.cadence.cron, '0 3 * * *', 'a daily RPO gives daily backups');
    const none = new ModelPlatformChart(new App(), 'b', { namespace: 'ml', preset: CostPreset.STAGING, models: [model], disasterRecovery: false });
    assert.equal(none.backups, undefined);
  });
});
