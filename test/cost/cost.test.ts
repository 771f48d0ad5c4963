import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import {
  AutoscaledModel, CostLine, CostPreset, ModelService, US_EAST_1, estimateMonthlyCost, renderCostComparison, renderCostMarkdown, runsPerMonth, synthObjects,
} from '../../src';
import { readManifests } from '../../src/cli/cost';
import { buildExamples } from '../../examples/apps';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { linkedApp } from '../support/synth';

const HOURS = 730;

function objectsOf(build: (chart: Chart) => void) {
  const app = linkedApp();
  build(new Chart(app, 'c', { namespace: 'ml' }));
  return synthObjects(app);
}

describe('estimateMonthlyCost', () => {
  it('prices a fixed-size service as requests x replicas, its dominant share of the instance', () => {
    const objects = objectsOf((chart) => new ModelService(chart, 'm', { image: IMAGE, version: VERSION, modelCard: CARD, replicas: 3 }));
    const report = estimateMonthlyCost(objects);
    assert.equal(report.lines.length, 1);
    // PRODUCTION: 1 vCPU / 2 GiB per replica = half an m6i.large (2 vCPU / 8 GiB, $0.096/h) by CPU.
    const expected = Math.round(3 * 0.5 * 0.096 * HOURS * 100) / 100;
    assert.deepEqual(report.lines[0].monthly, { min: expected, expected, max: expected });
    assert.equal(report.total.expected, expected);
    assert.equal(report.lines[0].component, 'ml/m');
  });

  it('prices the dominant resource: a memory-heavy pod pays for memory', () => {
    const objects = objectsOf((chart) => new ModelService(chart, 'm', {
      image: IMAGE, version: VERSION, modelCard: CARD, replicas: 2,
      resources: { cpu: { request: Cpu.millis(250), limit: Cpu.millis(500) }, memory: { request: Size.gibibytes(6), limit: Size.gibibytes(6) } },
    }));
    const line = estimateMonthlyCost(objects).lines[0];
    assert.equal(line.monthly.expected, Math.round(2 * (6 / 8) * 0.096 * HOURS * 100) / 100);
  });

  it('spans min, expected and max replicas of an HPA', () => {
    const objects = objectsOf((chart) => new AutoscaledModel(chart, 'm', { image: IMAGE, version: VERSION, modelCard: CARD, autoscaling: { minReplicas: 2, maxReplicas: 10 } }));
    const perReplica = 0.5 * 0.096 * HOURS;
    const { monthly } = estimateMonthlyCost(objects, { expectedLoad: 0.5 }).lines[0];
    assert.deepEqual(monthly, { min: round(2 * perReplica), expected: round(6 * perReplica), max: round(10 * perReplica) });
  });

  it('applies the spot discount and scale-to-zero hours of the DEV preset', () => {
    const objects = objectsOf((chart) => new AutoscaledModel(chart, 'm', { image: IMAGE, version: VERSION, preset: CostPreset.DEV }));
    const line = estimateMonthlyCost(objects).lines[0];
    // 250m / 512Mi = 0.125 of an m6i.large by CPU, 60% spot discount, 12 h x 5 days of 168 h.
    const perReplica = 0.125 * 0.096 * 0.4 * HOURS;
    assert.equal(line.monthly.min, round(perReplica * (60 / 168)));
    assert.equal(line.monthly.max, round(3 * perReplica));
    assert.match(line.description, /spot/);
  });

  it('runs the minimum on-demand and bursts on spot for PRODUCTION_SPOT', () => {
    const objects = objectsOf((chart) => new AutoscaledModel(chart, 'm', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.PRODUCTION_SPOT }));
    const od = 0.5 * 0.096 * HOURS;
    const { monthly } = estimateMonthlyCost(objects).lines[0];
    assert.equal(monthly.min, round(3 * od));
    assert.equal(monthly.max, round(3 * od + 17 * od * 0.4));
  });

  it('prices GPU pods on the GPU instance type', () => {
    const objects = objectsOf((chart) => new ModelService(chart, 'g', { image: IMAGE, version: VERSION, modelCard: CARD, replicas: 2, gpu: { count: 1 } }));
    const line = estimateMonthlyCost(objects).lines[0];
    assert.equal(line.category, 'gpu');
    assert.equal(line.monthly.expected, round(2 * 1.006 * HOURS));
  });

  it('counts CronJob runs from the schedule', () => {
    assert.equal(runsPerMonth('0 6 * * *'), 30.4);
    assert.equal(runsPerMonth('*/15 * * * *'), 4 * 24 * 30.4);
    assert.equal(runsPerMonth('0 3 * * 1'), 30.4 / 7);
  });

  it('reproduces the guide example with real prices: 5 x c5.2xlarge vs 2-10 x c5.large and spot training', () => {
    const before = estimateMonthlyCost(objectsOf((chart) => new ModelService(chart, 'api', {
      image: IMAGE, version: VERSION, modelCard: CARD, replicas: 5,
      resources: { cpu: { request: Cpu.units(8), limit: Cpu.units(8) }, memory: { request: Size.gibibytes(16), limit: Size.gibibytes(16) } },
    })), { servingInstanceType: 'c5.2xlarge' });
    assert.equal(before.total.expected, 1241);

    const training: CostLine = {
      component: 'training', category: 'training', description: 'c5.2xlarge spot, 8 h a day',
      monthly: { min: round(0.34 * 0.4 * 8 * 30.4), expected: round(0.34 * 0.4 * 8 * 30.4), max: round(0.34 * 0.4 * 8 * 30.4) },
    };
    const after = estimateMonthlyCost(objectsOf((chart) => new AutoscaledModel(chart, 'api', {
      image: IMAGE, version: VERSION, modelCard: CARD, autoscaling: { minReplicas: 2, maxReplicas: 10 },
      resources: { cpu: { request: Cpu.units(2), limit: Cpu.units(2) }, memory: { request: Size.gibibytes(4), limit: Size.gibibytes(4) } },
    })), { servingInstanceType: 'c5.large', extraLines: [training] });
    assert.equal(after.total.min, round(2 * 0.085 * HOURS + training.monthly.min));
    assert.equal(after.total.expected, round(4.4 * 0.085 * HOURS + training.monthly.expected));
    const saving = 1 - after.total.expected / before.total.expected;
    // The guide claims ~$1,500 vs ~$400 (73%); list prices give $1,241 vs $306.10 (75%).
    assert.equal(after.total.expected, 306.1);
    assert.ok(saving > 0.74 && saving < 0.76, `saving ${saving}`);
  });

  it('renders Markdown with totals and assumptions, and compares presets', () => {
    const report = estimateMonthlyCost(objectsOf((chart) => new ModelService(chart, 'm', { image: IMAGE, version: VERSION, modelCard: CARD })));
    const md = renderCostMarkdown(report);
    assert.match(md, /\| ml\/m \| compute \| \$105\.12 \| \$105\.12 \| \$105\.12 \|/);
    assert.match(md, /\| \*\*total\*\* \|/);
    assert.match(md, /## Assumptions/);
    const cmp = renderCostComparison({ production: report, dev: estimateMonthlyCost(objectsOf((c) => new ModelService(c, 'm', { image: IMAGE, version: VERSION, preset: CostPreset.DEV }))) });
    assert.match(cmp, /\| production \| \$105\.12 \|/);
    assert.match(cmp, /\| dev \| /);
  });

  it('refuses an instance type missing from the table, naming the known ones', () => {
    assert.throws(() => estimateMonthlyCost([], { servingInstanceType: 'x9.huge' }), /cost estimate: invalid 'instance type' \("x9\.huge"\): is not in the us-east-1 price table/);
    assert.equal(US_EAST_1.instances['c5.2xlarge'].hourly, 0.34);
  });

  it('reads synthesized manifests from a folder as the cost command does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-'));
    try {
      buildExamples(dir).synth();
      const objects = readManifests(dir);
      const fromDisk = estimateMonthlyCost(objects);
      const app = buildExamples(join(dir, 'unused'));
      assert.deepEqual(fromDisk, estimateMonthlyCost(synthObjects(app)));
      assert.ok(fromDisk.lines.some((l) => l.component === 'ml-churn/churn-model'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

describe('trainingPoolCostLine', () => {
  it('prices a CPU spot pool from its limits at the family spot discount, zero at rest', async () => {
    const { trainingPoolCostLine } = await import('../../src');
    const line = trainingPoolCostLine({
      pool: 'train', provisioner: 'karpenter', capacityType: 'spot',
      instances: { categories: [], families: ['c5'], architectures: ['amd64'], gpu: false },
      limits: { cpu: 32 },
    }, { busyHoursPerMonth: 100 });
    // c5: $0.0425 per vCPU-hour on-demand (every size), 60% spot discount.
    assert.deepEqual(line.monthly, { min: 0, expected: round(32 * 0.0425 * 0.4 * 100), max: round(32 * 0.0425 * 0.4 * HOURS) });
    assert.match(line.description, /on-demand would be \$136/);
  });

  it('prices a GPU pool per GPU', async () => {
    const { trainingPoolCostLine } = await import('../../src');
    const line = trainingPoolCostLine({
      pool: 'gpu', provisioner: 'karpenter', capacityType: 'spot',
      instances: { categories: ['g'], families: ['g5'], architectures: ['amd64'], gpu: true },
      limits: { gpus: 4 },
    });
    const perGpu = (1.006 + 1.212 + 5.672 / 4) / 3;
    assert.equal(line.monthly.expected, round(4 * perGpu * 0.4 * 160));
  });
});

describe('platformCostLines', () => {
  it('adds the managed online store, S3 with its DR copy, backups and the training pool of a platform', async () => {
    const { ChurnChart } = await import('../../examples/churn');
    const { platformCostLines } = await import('../../src');
    const chart = new ChurnChart(linkedApp());
    const lines = platformCostLines(chart, { featureReadsPerSecond: 10, featureWritesPerMonth: 2_000_000, onlineStoreGb: 4, s3Gb: 100, backupGb: 200 });
    const by = Object.fromEntries(lines.map((l) => [`${l.component}:${l.category}`, l]));
    const reads = 10 * 3600 * HOURS / 1e6;
    assert.equal(by['ml-churn/churn-features:managed'].monthly.expected, round(reads * 0.125 + 2 * 0.625 + 4 * 0.25));
    assert.equal(by['ml-churn/storage:storage'].monthly.expected, round(100 * 0.023 * 2));
    assert.equal(by['ml-churn/backups:backup'].monthly.expected, round(200 * 0.05 * 2));
    assert.equal(by['training/churn-training:training'].monthly.min, 0);
    assert.ok(by['training/churn-training:training'].monthly.max > by['training/churn-training:training'].monthly.expected);
    const total = estimateMonthlyCost(synthObjects(chart.node.root as App), { extraLines: lines });
    for (const category of ['compute', 'jobs', 'managed', 'storage', 'backup', 'training']) {
      assert.ok(total.lines.some((l) => l.category === category), `the platform contributes ${category} lines`);
    }
  });
});
