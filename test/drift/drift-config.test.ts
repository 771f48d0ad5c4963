import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftCheckConfig, DriftConfigError, inferDriftDataFormat, isDriftCheckConfig, parseDriftConfig, resolveDriftConfig, validateDriftConfig } from '../../src/drift/config';

const VALID: DriftCheckConfig = {
  model: 'churn',
  reference: { uri: 's3://ml-data/churn/train.parquet' },
  current: { uri: 'https://data.example.com/churn/2024-06-01.jsonl.gz' },
  features: [
    { name: 'age', type: 'numeric' },
    { name: 'plan', type: 'categorical', chi2Alpha: 0.01 },
  ],
  labels: { prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9 },
  outputs: { json: 'out/drift.json', html: 's3://ml-reports/churn/drift.html', pushgateway: { url: 'http://pushgateway.monitoring:9091' } },
};

function withChanges(patch: Record<string, unknown>): unknown {
  return { ...JSON.parse(JSON.stringify(VALID)), ...patch };
}

describe('drift config', () => {
  it('accepts a valid config and applies the defaults', () => {
    assert.deepEqual(validateDriftConfig(VALID), []);
    const resolved = parseDriftConfig(VALID);
    assert.equal(resolved.reference.format, 'parquet');
    assert.equal(resolved.current.format, 'jsonl');
    assert.deepEqual(resolved.features[0], {
      name: 'age', type: 'numeric', psiBuckets: 10, psiThresholds: { small: 0.1, significant: 0.2 }, ksAlpha: 0.05, minEffect: 0.08, discreteMaxValues: 20,
    });
    assert.deepEqual(resolved.features[1], { name: 'plan', type: 'categorical', psiThresholds: { small: 0.1, significant: 0.2 }, chi2Alpha: 0.01, minEffect: 0.08 });
    assert.deepEqual(resolved.labels, {
      prediction: 'predicted', actual: 'churned', baselineAccuracy: 0.9, window: 1000, minSamples: 100, maxDrop: 0.05, metric: 'accuracy',
    });
    assert.deepEqual(resolved.outputs.pushgateway, { url: 'http://pushgateway.monitoring:9091', job: 'ml-drift' });
    // issue 17: the new settings are optional, with defaults (an issue-16-era config stays valid)
    assert.equal(resolved.outputs.mandatory, false);
    assert.deepEqual(resolved.verdict, { correction: 'holm', power: 0.8 });
    assert.equal(resolved.attribution, undefined);
    assert.deepEqual(resolved.timeouts, { connectSeconds: 5, readSeconds: 20, deadlineSeconds: 900 });
  });

  it('resolves the verdict, attribution, timeout and output settings', () => {
    const resolved = parseDriftConfig(withChanges({
      verdict: { correction: 'benjamini-hochberg', minDriftedShare: 0.3, power: 0.9 },
      attribution: { columnPrefix: 'attr_' },
      timeouts: { readSeconds: 2 },
      outputs: { mandatory: true },
    }));
    assert.deepEqual(resolved.verdict, { correction: 'benjamini-hochberg', minDriftedShare: 0.3, power: 0.9 });
    assert.deepEqual(resolved.attribution, { columnPrefix: 'attr_', threshold: 0.9 });
    assert.deepEqual(resolved.timeouts, { connectSeconds: 5, readSeconds: 2, deadlineSeconds: 900 });
    assert.equal(resolved.outputs.mandatory, true);
  });

  it('names the field and the rule for every new setting of issue 17', () => {
    const problems = validateDriftConfig(withChanges({
      features: [
        { name: 'age', type: 'numeric', minEffect: 0, discreteMaxValues: 2.5 },
        { name: 'plan', type: 'categorical', minEffect: 1.5, discreteMaxValues: 5 },
      ],
      verdict: { correction: 'bonferroni', minDriftedShare: 0, power: 1, extra: 1 },
      attribution: { columnPrefix: '', threshold: 1 },
      timeouts: { connectSeconds: 10, readSeconds: 30, deadlineSeconds: 20 },
      outputs: { mandatory: 'yes' },
    }));
    assert.deepEqual(problems, [
      'features[0].minEffect: must be a number > 0 and <= 1, got 0',
      'features[0].discreteMaxValues: must be an integer >= 0 and <= 1000, got 2.5',
      'features[1].discreteMaxValues: only applies to numeric features (a categorical feature is always compared as categories)',
      'features[1].minEffect: must be a number > 0 and <= 1, got 1.5',
      'outputs.mandatory: must be true or false, got "yes"',
      'verdict.extra: unknown field; allowed fields: correction, minDriftedShare, power',
      "verdict.correction: must be one of 'holm', 'benjamini-hochberg', got \"bonferroni\"",
      'verdict.minDriftedShare: must be a number > 0 and <= 1, got 0',
      'verdict.power: must be a number >= 0.5 and < 1, got 1',
      'attribution.threshold: must be a number > 0 and < 1, got 1',
      'attribution.columnPrefix: must not be empty: the attribution column of a feature would be the feature itself',
      "timeouts: 'deadlineSeconds' (20) must be >= 'connectSeconds' + 'readSeconds' (40), otherwise no read can complete",
    ]);
    assert.deepEqual(validateDriftConfig(withChanges({ features: [{ name: 'a', type: 'numeric' }, { name: 'shap_a', type: 'numeric' }], attribution: {} })),
      ["attribution.columnPrefix: attribution column 'shap_a' of feature 'a' is itself a configured feature"]);
    assert.deepEqual(validateDriftConfig(withChanges({ features: [{ name: 'a', type: 'numeric' }], attribution: {} })),
      ['attribution: needs at least 2 features to rank, got 1']);
  });

  it('infers formats from extensions, ignoring .gz and query strings', () => {
    assert.equal(inferDriftDataFormat('a/b.CSV'), 'csv');
    assert.equal(inferDriftDataFormat('x.ndjson.gz'), 'jsonl');
    assert.equal(inferDriftDataFormat('https://h/x.pq?sig=1'), 'parquet');
    assert.equal(inferDriftDataFormat('x.txt'), undefined);
  });

  it('names the field and the rule for every problem', () => {
    const problems = validateDriftConfig({
      model: 'churn model',
      reference: { uri: 'ref.txt' },
      current: { uri: 'ftp://x/y.csv', format: 'xlsx' },
      features: [
        { name: 'age', type: 'numeric', psiBuckets: 1, ksAlpha: 1.5 },
        { name: 'plan', type: 'categorical', ksAlpha: 0.05, psiThresholds: { small: 0.3, significant: 0.2 } },
        { name: 'age', type: 'number' },
      ],
      labels: { prediction: 'p', actual: 'a', baselineAccuracy: 1.2, window: 50 },
      outputs: { json: 'https://example.com/r.json', pushgateway: { url: 'pushgateway:9091' } },
      extra: true,
    });
    const expected = [
      'extra: unknown field; allowed fields: model, reference, current, features, labels, outputs, verdict, attribution, timeouts, engine, athena',
      "model: must be at most 253 characters, start with a letter or digit and contain only letters, digits, '.', '_' and '-', got \"churn model\"",
      "reference.format: is required because the format cannot be inferred from \"ref.txt\"; set one of 'csv', 'jsonl', 'parquet' (or use a .csv, .jsonl, .ndjson, .parquet extension)",
      "current.format: must be one of 'csv', 'jsonl', 'parquet', got \"xlsx\"",
      "current.uri: unsupported scheme 'ftp://'; use a local path, file://, https://, http:// or s3://bucket/key",
      'features[0].psiBuckets: must be an integer >= 2 and <= 100, got 1',
      'features[0].ksAlpha: must be a number > 0 and < 1, got 1.5',
      "features[1].ksAlpha: only applies to numeric features (categorical features use 'chi2Alpha')",
      "features[1].psiThresholds: 'small' (0.3) must be < 'significant' (0.2)",
      "features[2].type: must be one of 'numeric', 'categorical', got \"number\"",
      'features[2].name: duplicate feature "age" (also features[0])',
      'labels.baselineAccuracy: must be a number >= 0 and <= 1, got 1.2',
      "labels: 'minSamples' (100) must be <= 'window' (50), otherwise the check can never run",
      'outputs.json: must be a local path or s3://bucket/key, got "https://example.com/r.json"',
      'outputs.pushgateway.url: must be an absolute http:// or https:// URL, got "pushgateway:9091"',
    ];
    assert.deepEqual(problems, expected);
  });

  it('suggests the intended name of a misspelt field', () => {
    const problems = validateDriftConfig(withChanges({ features: [{ name: 'age', type: 'numeric', psiBucket: 20 }] }));
    assert.deepEqual(problems, ["features[0].psiBucket: unknown field (did you mean 'psiBuckets'?); allowed fields: name, type, psiBuckets, psiThresholds, ksAlpha, minEffect, discreteMaxValues"]);
  });

  it('rejects settings that would have no effect on categorical features', () => {
    const problems = validateDriftConfig(withChanges({ features: [{ name: 'plan', type: 'categorical', psiBuckets: 5 }] }));
    assert.deepEqual(problems, ['features[0].psiBuckets: only applies to numeric features (categorical PSI uses one bucket per category)']);
  });

  it('reports missing required fields', () => {
    assert.deepEqual(validateDriftConfig({}), [
      'model: is required (a non-empty string)',
      'reference: is required (an object with a uri)',
      'current: is required (an object with a uri)',
      'features: is required (a non-empty array of features)',
      'outputs: is required (an object; use {} to only print the summary to stdout)',
    ]);
    assert.deepEqual(validateDriftConfig([]), ['(root): must be a JSON object, got []']);
    assert.deepEqual(validateDriftConfig(withChanges({ features: [] })), ['features: must be a non-empty array of features, got []']);
  });

  it('validates S3 URIs and label columns', () => {
    const problems = validateDriftConfig(withChanges({
      reference: { uri: 's3://Bad_Bucket/x.csv' },
      current: { uri: 's3://bucket-only' , format: 'csv' },
      labels: { prediction: 'y', actual: 'y', baselineAccuracy: 0.9, metric: 'f1' },
    }));
    assert.deepEqual(problems, [
      "reference.uri: 'Bad_Bucket' is not a valid S3 bucket name",
      'current.uri: must look like s3://bucket/key, got "s3://bucket-only"',
      "labels: 'prediction' and 'actual' must be different columns, both are \"y\"",
      "labels.metric: must be one of 'accuracy', got \"f1\"",
    ]);
  });

  it('throws DriftConfigError with every problem from parseDriftConfig', () => {
    assert.throws(() => parseDriftConfig({ ...VALID, model: '' }), (err: unknown) => {
      assert.ok(err instanceof DriftConfigError);
      assert.deepEqual(err.problems, ['model: must be a non-empty string, got ""']);
      assert.equal(err.message, 'invalid drift config: model: must be a non-empty string, got ""');
      return true;
    });
  });

  it('narrows an unknown value with isDriftCheckConfig exactly when it validates', () => {
    const raw: unknown = JSON.parse(JSON.stringify(VALID));
    assert.equal(isDriftCheckConfig(raw), true);
    assert.equal(isDriftCheckConfig(withChanges({ features: [] })), false);
    assert.equal(isDriftCheckConfig('churn'), false);
  });

  it('refuses to resolve a source whose format can neither be read nor inferred', () => {
    assert.throws(() => resolveDriftConfig({ ...VALID, current: { uri: 'data/current.txt' } }), (err: unknown) => {
      assert.ok(err instanceof DriftConfigError);
      assert.match(err.problems[0], /^current\.format: is required because the format cannot be inferred from "data\/current\.txt"/);
      return true;
    });
  });
});
