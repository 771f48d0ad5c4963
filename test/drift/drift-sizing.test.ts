import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { AwsIdentity, CostPreset, DriftCronJob, DriftCronJobProps, ModelService, driftMemoryMebibytes } from '../../src';
import { assertValidationError } from '../support/assert';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, synthValid, testChart } from '../support/synth';

const TEN_NUMERIC: DriftCronJobProps['features'] = Array.from({ length: 10 }, (_, j) => ({ name: `f${j}`, type: 'numeric' as const }));

function drift(props: Partial<DriftCronJobProps>) {
  const { chart } = testChart('ml-churn');
  const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING });
  const job = new DriftCronJob(chart, 'drift', {
    model,
    reference: { uri: 's3://ml-data/churn/reference.parquet' },
    current: { uri: 's3://ml-data/churn/current.parquet' },
    features: TEN_NUMERIC,
    awsIdentity: AwsIdentity.irsa('arn:aws:iam::123456789012:role/churn-drift'),
    ...props,
  });
  return { chart, job };
}

async function resources(props: Partial<DriftCronJobProps>): Promise<{ requests: Record<string, string>; limits: Record<string, string> }> {
  const objects = await synthValid(drift(props).chart);
  return findObject(objects, 'CronJob', 'churn-model-drift').spec.jobTemplate.spec.template.spec.containers[0].resources;
}

describe('DriftCronJob memory sizing from expectedRows', () => {
  it('driftMemoryMebibytes: per feature in flight both windows\' column + radix scratch of 1/8 column (Parquet), or every column of both windows + scratch (CSV/JSONL)', () => {
    // Parquet, 2 workers: 5M x 2 x (16 + 1) B = 162 MiB (scratch: 1/8 of a column), base 160 + 2 x 40 -> x1.2 = 482.5 -> 512
    assert.equal(driftMemoryMebibytes(5_000_000, 10, 0, { columnar: true, workers: 2 }), 512);
    // one feature at a time: the number of features does not matter for Parquet
    assert.equal(driftMemoryMebibytes(5_000_000, 40, 0, { columnar: true, workers: 2 }), 512);
    // CSV, 2 workers: 5M x (1.5 x 2 x 80 + 8 + 2 x 1) B = 1192 MiB, base 240 -> x1.2 = 1718 -> 1728
    assert.equal(driftMemoryMebibytes(5_000_000, 10, 0, { workers: 2 }), 1728);
    // one worker: 5M x (240 + 8 + 1) B = 1187 MiB + 160 -> 1617 -> 1664 (measured peak of bundles/ml-drift.js: 1212 MiB)
    assert.equal(driftMemoryMebibytes(5_000_000, 10, 0), 1664);
    // the scratch is at least 1 MiB: 100k rows x 16 B + 1 MiB = 2.5 MiB + 160 -> 195 -> 256
    assert.equal(driftMemoryMebibytes(100_000, 1, 0, { columnar: true }), 256);
    assert.ok(driftMemoryMebibytes(5_000_000, 10, 0, { workers: 2 }) <= 2048, '5M rows x 10 features fit the default 2 GiB limit, also as CSV');
    assert.ok(driftMemoryMebibytes(1_000_000, 0, 3) < driftMemoryMebibytes(1_000_000, 3, 0), 'a categorical column costs less than a numeric one');
    assert.equal(driftMemoryMebibytes(1_000_000, 1, 0, { workers: 8 }), driftMemoryMebibytes(1_000_000, 1, 0, { workers: 1 }), 'no more workers than numeric columns');
    assert.equal(driftMemoryMebibytes(1, 1, 0) % 64, 0);
  });

  it('requests the estimate for the windows\' format and the one worker of the default 1 CPU, and keeps at least the 2 GiB limit', async () => {
    // Parquet, one feature at a time: 5M x (16 + 1) B = 81 MiB + 160 -> x1.2 = 289 -> 320
    assert.deepEqual(await resources({ expectedRows: 5_000_000 }), { requests: { cpu: '1000m', memory: '320Mi' }, limits: { cpu: '2000m', memory: '2048Mi' } });
    const csv = await resources({ expectedRows: 5_000_000, current: { uri: 's3://ml-data/churn/current.csv' } });
    assert.equal(csv.requests.memory, '1664Mi', 'one CSV window: read in one pass');
    const twoCpus = { cpu: { request: Cpu.millis(2000), limit: Cpu.millis(2000) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(2) } };
    const objects = await synthValid(drift({ resources: twoCpus, expectedRows: 5_000_000 }).chart);
    assert.deepEqual(findObject(objects, 'CronJob', 'churn-model-drift').spec.jobTemplate.spec.template.spec.containers[0].env, [{ name: 'DRIFT_WORKERS', value: '2' }]);
    const big = await resources({ expectedRows: 50_000_000, current: { uri: 's3://ml-data/churn/current.csv' } });
    assert.equal(big.requests.memory, `${driftMemoryMebibytes(50_000_000, 10, 0)}Mi`);
    assert.equal(big.limits.memory, big.requests.memory, 'above 2 GiB the limit is the estimate');
  });

  it('counts attribution columns as numeric columns', async () => {
    const r = await resources({ expectedRows: 1_000_000, attribution: {}, current: { uri: 's3://ml-data/churn/current.jsonl' } });
    assert.equal(r.requests.memory, `${driftMemoryMebibytes(1_000_000, 20, 0)}Mi`);
  });

  it('sizes the workers from the given CPU request and rejects declared rows that cannot fit the given memory limit', async () => {
    const oneCpu = { cpu: { request: Cpu.millis(1000), limit: Cpu.millis(2000) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } };
    const objects = await synthValid(drift({ resources: oneCpu }).chart);
    assert.deepEqual(findObject(objects, 'CronJob', 'churn-model-drift').spec.jobTemplate.spec.template.spec.containers[0].env, [{ name: 'DRIFT_WORKERS', value: '1' }]);
    const csv = { uri: 's3://ml-data/churn/current.csv' };
    assertValidationError(() => drift({ expectedRows: 10_000_000, resources: oneCpu, current: csv }), undefined, "invalid 'expectedRows' (10000000)",
      `need about ${driftMemoryMebibytes(10_000_000, 10, 0, { workers: 1 })} MiB`, 'resources.memory.limit (2048 MiB)', 'use Parquet');
    assert.doesNotThrow(() => drift({ expectedRows: 10_000_000, resources: oneCpu }), 'Parquet: one column at a time');
    assert.doesNotThrow(() => drift({ expectedRows: 5_000_000, resources: oneCpu, current: csv }));
    assertValidationError(() => drift({ expectedRows: 0 }), undefined, "invalid 'expectedRows'", 'positive integer');
    assertValidationError(() => drift({ expectedRows: 1.5 }), undefined, "invalid 'expectedRows'", 'positive integer');
  });
});
