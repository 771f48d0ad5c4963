import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiObject, App, Chart, Cron, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AbTest, CanaryRollout, CostPreset, DriftCronJob, ModelService, NodeScriptCronJob, NodeScriptCronJobProps, PlatformBackups, PlatformContract,
  TrainingJob, ValidationError, ValidationErrors, contractDisasterRecovery, estimateMonthlyCost, formatValue, runsPerMonth, synthObjects,
  validationErrors,
} from '../../src';
import { PlatformBackupsAws } from '../../src/pulumi';
import { parseS3Uri } from '../../src/core/url';
import { parseImageReference } from '../../src/kube/image';
import { CARD, IMAGE, TEST_GATEWAY, VERSION } from '../support/fixtures';
import { testChart } from '../support/synth';
import { JOB, cpuPool } from '../training/fixtures';

/** Expected fields of a ValidationError. */
interface Expected {
  readonly path: string;
  readonly property: string;
  /** The value as the message prints it. */
  readonly value: string;
  /** A fragment of what is allowed. */
  readonly rule: string;
}

function assertFields(e: ValidationError, x: Expected): void {
  assert.equal(e.constructPath, x.path);
  assert.equal(e.property, x.property);
  assert.equal(formatValue(e.value), x.value);
  assert.ok(e.rule.includes(x.rule), `rule ${JSON.stringify(e.rule)} lacks ${JSON.stringify(x.rule)}`);
  assert.equal(e.message, `${x.path}: invalid '${x.property}' (${x.value}): ${e.rule}`);
}

/** Asserts that `fn` throws exactly one ValidationError with these fields. */
function assertRejects(fn: () => unknown, x: Expected): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValidationError && !(e instanceof ValidationErrors), `expected one ValidationError, got ${String(e)}`);
    assertFields(e, x);
    return true;
  });
}

/** Asserts that synthesizing `app` fails with exactly these problems (in construct-tree order). */
function assertSynthRejects(app: App, ...expected: Expected[]): void {
  const errors = validationErrors(app);
  assert.equal(errors.length, expected.length, errors.map((e) => e.message).join('\n'));
  errors.forEach((e, i) => assertFields(e, expected[i]));
  // The library's synth and cdk8s's own report them all in one error.
  assert.throws(() => synthObjects(app), (e: unknown) => e instanceof ValidationError && expected.every((x) => e.message.includes(`${x.path}: invalid '${x.property}'`)));
  assert.throws(() => app.synthYaml(), (e: unknown) => e instanceof Error && expected.every((x) => e.message.includes(`invalid '${x.property}' (${x.value})`)));
}

function model(chart: Chart, name = 'churn-model', props: Partial<ConstructorParameters<typeof ModelService>[2]> = {}): ModelService {
  return new ModelService(chart, name, { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING, ...props });
}

function job(chart: Chart, id: string, props: Partial<NodeScriptCronJobProps> = {}): NodeScriptCronJob {
  return new NodeScriptCronJob(chart, id, {
    name: 'nightly', scriptName: 'job.js', script: 'exports.main = () => 0;', config: {}, args: [], schedule: Cron.daily(), ...props,
  });
}

/** The problem a parser returned (a parsed value instead fails the match). */
function problemOf(parsed: unknown): string {
  return typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
}

const DESIGN = { dailyUsers: 20000, baselineRate: 0.75, minDetectableEffect: 0.02, plannedDuration: Duration.days(14) };

describe('bad input: schedules go through the one cron parser, with their time zone', () => {
  it('refuses a Cron-shaped object of 3 fields and a Cron of 6 fields, naming the field count', () => {
    const { chart } = testChart('ml-churn');
    assertRejects(() => job(chart, 'three', { schedule: { expressionString: '0 3 *' } }),
      { path: 'test/three', property: 'schedule', value: '"0 3 *"', rule: 'must have 5 fields (minute hour day-of-month month day-of-week), got 3' });
    const m = model(chart);
    assertRejects(() => new DriftCronJob(chart, 'drift', {
      model: m, reference: { uri: 's3://ml-data/ref.csv' }, current: { uri: 's3://ml-data/cur.csv' }, features: [{ name: 'age', type: 'numeric' }],
      outputs: { pushgatewayUrl: false }, schedule: Cron.schedule({ minute: '0 3' }),
    }), { path: 'test/drift', property: 'schedule', value: '"0 3 * * * *"', rule: 'got 6' });
  });

  it('names the field out of range, the bad step and the schedule that never fires', () => {
    const { chart } = testChart('ml-churn');
    assertRejects(() => job(chart, 'hour', { schedule: Cron.schedule({ minute: '0', hour: '24' }) }),
      { path: 'test/hour', property: 'schedule', value: '"0 24 * * *"', rule: "hour field '24': '24' is not a value, range or step: values must be from 0 to 23" });
    assertRejects(() => job(chart, 'step', { schedule: Cron.schedule({ minute: '*/0' }) }),
      { path: 'test/step', property: 'schedule', value: '"*/0 * * * *"', rule: "the step of '*/0' must be a whole number >= 1" });
    assertRejects(() => job(chart, 'feb', { schedule: Cron.schedule({ minute: '0', hour: '0', day: '31', month: '2' }) }),
      { path: 'test/feb', property: 'schedule', value: '"0 0 31 2 *"', rule: 'never fires' });
  });

  it('validates the time zone as Kubernetes loads it: an IANA name in its own case, not Local', () => {
    const { chart } = testChart('ml-churn');
    for (const timeZone of ['Mars/Base', 'europe/berlin', 'Local', '+01:00']) {
      assertRejects(() => job(chart, `tz-${timeZone.length}`, { timeZone }),
        { path: `test/tz-${timeZone.length}`, property: 'timeZone', value: JSON.stringify(timeZone), rule: 'must be an IANA time zone' });
    }
    const [a, b] = [model(chart, 'a'), model(chart, 'b')];
    assertRejects(() => new AbTest(chart, 'ab', {
      experimentId: 'exp', design: DESIGN, gateway: TEST_GATEWAY, analysis: { timeZone: 'Mars/Base' },
      variants: [{ name: 'control', model: a, weight: 50 }, { name: 'treatment', model: b, weight: 50 }],
    }), { path: 'test/ab', property: 'analysis.timeZone', value: '"Mars/Base"', rule: 'IANA time zone' });
  });

  it('prices runs from the parsed schedule, never a default of 30 a month', () => {
    assert.equal(runsPerMonth('0 3 * * 1'), 30.4 / 7);
    assertRejects(() => runsPerMonth('0 3 *'), { path: 'cost estimate', property: 'schedule', value: '"0 3 *"', rule: 'got 3' });
    const cronJob = {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'ml' },
      spec: { schedule: '0 3 * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', resources: { requests: { cpu: '1' } } }] } } } } },
    };
    assertRejects(() => estimateMonthlyCost([cronJob]),
      { path: 'cost estimate of CronJob ml/nightly', property: 'spec.schedule', value: '"0 3 * * * *"', rule: 'got 6' });
  });
});

describe('bad input: names and namespaces are what Kubernetes accepts, and unique in a chart', () => {
  it('reports a chart namespace that is not a DNS-1123 label, once, at synth', () => {
    const { app, chart } = testChart('ML_Churn');
    job(chart, 'job');
    assertSynthRejects(app, { path: 'test', property: 'namespace', value: '"ML_Churn"', rule: 'must be a DNS-1123 label' });
  });

  it('reports an object name the kind does not allow, whoever wrote the object', () => {
    const { app, chart } = testChart('ml-churn');
    job(chart, 'job');
    new kplus.ConfigMap(chart, 'Settings', { metadata: { name: 'Settings_v1' } });
    new kplus.k8s.KubeService(chart, 'Svc', { metadata: { name: '1-api' }, spec: { ports: [{ port: 80 }] } });
    assertSynthRejects(app,
      { path: 'test/Settings/Resource', property: 'metadata.name', value: '"Settings_v1"', rule: 'a ConfigMap name must be a DNS-1123 subdomain' },
      { path: 'test/Svc', property: 'metadata.name', value: '"1-api"', rule: 'a Service name must be a DNS-1035 label' });
  });

  it('detects two constructs with different ids rendering the same object, naming both paths', () => {
    const { app, chart } = testChart('ml-churn');
    job(chart, 'first');
    job(chart, 'second');
    const errors = validationErrors(app);
    const kinds = errors.map((e) => e.rule.replace(/^collides with \S+: both render (\S+) .*$/, '$1')).sort();
    assert.deepEqual(kinds, ['ConfigMap', 'CronJob', 'NetworkPolicy', 'ServiceAccount']);
    assertFields(errors.find((e) => e.rule.includes('both render CronJob'))!, {
      path: 'test/second/CronJob/Resource', property: 'metadata.name', value: '"nightly"',
      rule: 'collides with test/first/CronJob/Resource: both render CronJob ml-churn/nightly (batch); give the constructs distinct names',
    });
  });
});

describe('bad input: regions, URIs and images, each by one parser', () => {
  const policy = { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30), drRegion: 'us-east-1' };

  it('refuses a DR region equal to the primary region in the cdk8s construct', () => {
    const { chart } = testChart('velero');
    assertRejects(() => new PlatformBackups(chart, 'backups', { disasterRecovery: policy, namespaces: ['ml-churn'], aws: { region: 'us-east-1' } }),
      { path: 'test/backups', property: 'disasterRecovery.drRegion', value: '"us-east-1"', rule: 'must differ from the primary region (us-east-1)' });
  });

  it('refuses a DR region equal to the primary region in the Pulumi args', () => {
    assertRejects(() => new PlatformBackupsAws('platform', { disasterRecovery: policy, primaryRegion: 'us-east-1' }),
      { path: 'ml-platform:dr:PlatformBackupsAws(platform)', property: 'disasterRecovery.drRegion', value: '"us-east-1"', rule: 'must differ from the primary region' });
  });

  it('parses s3:// URIs with a required, valid bucket', () => {
    assert.deepEqual(parseS3Uri('s3://ml-data/churn/'), { bucket: 'ml-data', key: 'churn/' });
    assert.equal(parseS3Uri('s3:///churn/'), 'names no bucket (s3://bucket/key)');
    assert.match(problemOf(parseS3Uri('s3://ML_Data/x')), /the bucket 'ML_Data' must be 3-63 lower-case letters/);
    assert.match(problemOf(parseS3Uri('s3://192.168.1.1/x')), /must not be an IP address/);
    const { chart, pool } = cpuPool();
    assertRejects(() => new TrainingJob(chart, 'train', { ...JOB, pool, name: 'train', checkpoint: { uri: 's3:///checkpoints/' } }),
      { path: 'test/train', property: 'checkpoint.uri', value: '"s3:///checkpoints/"', rule: 'names no bucket' });
  });

  it('parses image references by the OCI distribution grammar: lower-case repositories, tags, digests', () => {
    assert.deepEqual(parseImageReference('localhost:5000/team/churn-model:v1.2.0'), { domain: 'localhost:5000', path: 'team/churn-model', tag: 'v1.2.0' });
    assert.deepEqual(parseImageReference('MyRegistry.io/churn:1'), { domain: 'MyRegistry.io', path: 'churn', tag: '1' });
    assert.match(problemOf(parseImageReference('registry.io/Team/churn:1')), /path component 'Team' must be lower-case/);
    assert.match(problemOf(parseImageReference('churn:-bad')), /the tag '-bad'/);
    assert.match(problemOf(parseImageReference('churn@sha256:abc')), /the digest 'sha256:abc'/);
    const { chart } = testChart('ml-churn');
    assertRejects(() => model(chart, 'upper', { image: 'myregistry.io/Churn-Model:v1.2.0' }),
      { path: 'test/upper', property: 'image', value: '"myregistry.io/Churn-Model:v1.2.0"', rule: "the repository path component 'Churn-Model' must be lower-case" });
    assertRejects(() => job(chart, 'img', { image: 'node:24 slim' }),
      { path: 'test/img', property: 'image', value: '"node:24 slim"', rule: 'without white space' });
    assertRejects(() => job(chart, 'latest', { image: 'mirror.example.com/library/node:latest' }),
      { path: 'test/latest', property: 'image', value: '"mirror.example.com/library/node:latest"', rule: 'must be pinned by a tag other than "latest"' });
  });
});

describe('bad input: values cdk8s rejects are ValidationErrors naming the property', () => {
  it('a fraction of a second, a fraction of a MiB, a negative duration from a contract', () => {
    const { chart } = testChart('ml-churn');
    assertRejects(() => job(chart, 'deadline', { activeDeadline: Duration.millis(90_500) }),
      { path: 'test/deadline', property: 'activeDeadline', value: '1 minute 30 seconds', rule: "is rejected by cdk8s: '90500 millis' cannot be converted into a whole number of seconds" });
    assertRejects(() => model(chart, 'probe', { probes: { readiness: { period: Duration.millis(1500) } } }),
      { path: 'test/probe', property: 'probes.readiness.period', value: '1 second 500 millis', rule: 'is rejected by cdk8s' });
    const memory = { request: Size.kibibytes(100), limit: Size.gibibytes(1) };
    assertRejects(() => job(chart, 'mem', { resources: { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) }, memory } }),
      { path: 'test/mem', property: 'resources.memory.request', value: '100Ki', rule: 'is rejected by cdk8s' });
    const contract = { disasterRecovery: { rpoSeconds: -60, rtoSeconds: 3600, retentionSeconds: 86400 } } as unknown as PlatformContract;
    assertRejects(() => contractDisasterRecovery(contract),
      { path: 'platform contract', property: 'disasterRecovery.rpoSeconds', value: '-60', rule: 'is rejected by cdk8s: Duration amounts cannot be negative' });
  });
});

describe('bad input: errors name the real property and print values readably', () => {
  it('DriftCronJob reports each config problem under its own property, all at once', () => {
    const { chart } = testChart('ml-churn');
    const m = model(chart);
    assert.throws(() => new DriftCronJob(chart, 'drift', {
      model: m, reference: { uri: 's3://ml-data/ref.csv' }, current: { uri: 's3:///cur.csv' },
      features: [{ name: 'age', type: 'numeric', ksAlpha: 2 }], outputs: { pushgatewayUrl: false },
    }), (e: unknown) => {
      assert.ok(e instanceof ValidationErrors);
      assert.deepEqual(e.errors.map((x) => [x.constructPath, x.property, formatValue(x.value)]),
        [['test/drift', 'current.uri', '"s3:///cur.csv"'], ['test/drift', 'features[0].ksAlpha', '2']]);
      assert.match(e.errors[0].rule, /names no bucket/);
      return true;
    });
  });

  it('cost errors are ValidationErrors, not RangeErrors', () => {
    assertRejects(() => estimateMonthlyCost([], { servingInstanceType: 'x9.huge' }),
      { path: 'cost estimate', property: 'instance type', value: '"x9.huge"', rule: 'is not in the us-east-1 price table' });
    assertRejects(() => estimateMonthlyCost([], { expectedLoad: NaN }),
      { path: 'cost estimate', property: 'expectedLoad', value: 'NaN', rule: 'must be a number from 0 to 1' });
  });

  it('prints NaN as NaN and Durations and Sizes human-readably, also inside objects', () => {
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(formatValue({ ratio: NaN, every: Duration.minutes(90), memory: Size.mebibytes(512) }), '{"ratio":NaN,"every":1 hour 30 minutes,"memory":512Mi}');
    assert.equal(new ValidationError('p', 'x', Duration.seconds(5), 'r').message, "p: invalid 'x' (5 seconds): r");
  });

  it('synth-time cross-checks are ValidationErrors', () => {
    const { app, chart } = testChart('ml-churn');
    const m = model(chart);
    const canary = new CanaryRollout(chart, 'canary', { model: m, gateway: TEST_GATEWAY });
    ApiObject.of(canary.virtualService!).addJsonPatch(JsonPatch.replace('/spec/http/0/name', 'main'));
    const errors = validationErrors(app);
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
    assertFields(errors[0], { path: 'test/canary', property: 'trafficRouting', value: '"primary"', rule: "the Rollout routes traffic through VirtualService route 'primary'" });
  });
});

describe('bad input: all problems of a chart are reported together at synth', () => {
  it('a chart with three mistakes reports all three in one error', () => {
    const { app, chart } = testChart('Churn');
    const [a, b] = [model(chart, 'a'), model(chart, 'b')];
    new AbTest(chart, 'ab', { experimentId: 'exp', design: DESIGN, gateway: TEST_GATEWAY, variants: [{ name: 'control', model: a, weight: 50 }, { name: 'treatment', model: b, weight: 50 }] });
    new CanaryRollout(chart, 'canary', { model: b, gateway: TEST_GATEWAY });
    new kplus.ConfigMap(chart, 'Extra', { metadata: { name: 'b' } }).addData('x', 'y');
    new kplus.ConfigMap(chart, 'Twin', { metadata: { name: 'b' } }).addData('x', 'y');
    assert.throws(() => synthObjects(app), (e: unknown) => {
      assert.ok(e instanceof ValidationErrors);
      assert.deepEqual(e.errors.map((x) => [x.constructPath, x.property]), [
        ['test', 'namespace'],
        ['test/Twin/Resource', 'metadata.name'],
        ['test/ab', 'variants[1].model'],
      ]);
      assert.match(e.message, /^3 invalid properties:\n {2}test: invalid 'namespace' \("Churn"\)/);
      return true;
    });
  });
});

describe('bad input: cross-construct rules do not depend on construction order', () => {
  const build = (abFirst: boolean) => {
    const { app, chart } = testChart('ml-churn');
    const [a, b] = [model(chart, 'a'), model(chart, 'b')];
    const ab = () => new AbTest(chart, 'ab', { experimentId: 'exp', design: DESIGN, gateway: TEST_GATEWAY, variants: [{ name: 'control', model: a, weight: 50 }, { name: 'treatment', model: b, weight: 50 }] });
    const canary = () => new CanaryRollout(chart, 'canary', { model: b, gateway: TEST_GATEWAY });
    if (abFirst) {
      ab();
      canary();
    } else {
      canary();
      ab();
    }
    return app;
  };

  for (const abFirst of [true, false]) {
    it(`rejects an A/B test and a canary on the same model (${abFirst ? 'A/B test first' : 'canary first'})`, () => {
      assertSynthRejects(build(abFirst), {
        path: 'test/ab', property: 'variants[1].model', value: '"b"',
        rule: 'is run by a Rollout; a model in an experiment cannot also be in a canary rollout (both would own its Istio routes)',
      });
    });
  }
});

describe('bad input: secrets in values', () => {
  it('refuses a URL with an embedded password like a secret-looking name', () => {
    const { chart } = testChart('ml-churn');
    assertRejects(() => model(chart, 'db', { env: { DATABASE_URL: 'postgres://churn:hunter2@db.internal:5432/churn' } }),
      { path: 'test/db', property: 'env.DATABASE_URL', value: '"<redacted>"', rule: 'is a URL with a password (scheme://user:password@host)' });
    assertRejects(() => job(chart, 'redis', { env: { CACHE: 'redis://:s3cret@redis:6379/0' } }),
      { path: 'test/redis', property: 'env.CACHE', value: '"<redacted>"', rule: 'is a URL with a password' });
    model(chart, 'plain', { env: { UPSTREAM: 'https://api.example.com:8443/v1', CONTACT: 'mailto:ops@example.com' } });
  });
});
