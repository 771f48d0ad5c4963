import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import { parse } from 'yaml';
import { PropsValidator, ValidationError } from '../../src';
import {
  BatchSource, EntityValueType, FeastType, FeatureDefinitions, FeatureViewDefinition, featureReferences, onlineFeatureViews, validateFeatureDefinitions,
} from '../../src/features/definitions';
import { renderFeatureRepository, resolveFilePath } from '../../src/features/python';
import { longestCronGapMinutes } from '../../src/core/cron';
import {
  OfflineStore, OnlineStore, OnlineStoreKind, offlineStoreParameters, onlineStoreParameters, renderFeatureStoreYaml, validateStores,
} from '../../src/features/stores';
import { CHURN_FEATURES } from '../../examples/churn-feature-definitions';

const VIEW = CHURN_FEATURES.featureViews[0];

function validate(defs: FeatureDefinitions): FeatureDefinitions {
  return validateFeatureDefinitions(new PropsValidator('repo'), 'features', defs);
}

/** Asserts that the definitions are rejected with a message containing every fragment. */
function assertRejected(defs: FeatureDefinitions, ...fragments: string[]): void {
  assert.throws(() => validate(defs), (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.match(err.message, /^repo: invalid 'features\./);
    for (const fragment of fragments) {
      assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
    }
    return true;
  });
}

function withView(view: Partial<FeatureViewDefinition>, services = CHURN_FEATURES.featureServices): FeatureDefinitions {
  return { ...CHURN_FEATURES, featureViews: [{ ...VIEW, ...view }, ...CHURN_FEATURES.featureViews.slice(1)], featureServices: services };
}

describe('feature definitions', () => {
  it('accepts the churn definitions and lists the online views', () => {
    assert.equal(validate(CHURN_FEATURES), CHURN_FEATURES);
    assert.deepEqual(onlineFeatureViews(CHURN_FEATURES), ['customer_statistics', 'customer_activity']);
  });

  it('gives training the same feature references a feature service serves online', () => {
    assert.deepEqual(featureReferences(CHURN_FEATURES, 'churn_v1'), [
      'customer_statistics:total_purchases',
      'customer_statistics:avg_order_value',
      'customer_statistics:days_since_last_purchase',
      'customer_activity:sessions_7d',
      'customer_activity:recent_categories',
    ]);
    assert.throws(() => featureReferences(CHURN_FEATURES, 'fraud_v1'), /featureReferences: invalid 'featureService' \("fraud_v1"\): names no feature service \(feature services: churn_v1\)/);
  });

  it('rejects a view naming an unknown entity', () => {
    assertRejected(withView({ entities: ['account'] }), "'features.featureViews[0].entities[0]' (\"account\")", 'names no entity of the repository (entities: customer)');
    assertRejected(withView({ entities: [] }), "'features.featureViews[0].entities'", 'must name at least one entity');
    assertRejected(withView({ entities: ['customer', 'customer'] }), "'features.featureViews[0].entities[1]'", 'is listed twice');
  });

  it('rejects duplicate feature names in a view, a feature named like the join key and an empty schema', () => {
    assertRejected(withView({ schema: [...VIEW.schema, { name: 'total_purchases', type: FeastType.FLOAT64 }] }),
      "'features.featureViews[0].schema[4].name' (\"total_purchases\")", "duplicate feature name in feature view 'customer_statistics'");
    assertRejected(withView({ schema: [{ name: 'customer_id', type: FeastType.INT64 }] }),
      "'features.featureViews[0].schema[0].name' (\"customer_id\")", 'is the join key of an entity');
    assertRejected(withView({ schema: [] }), "'features.featureViews[0].schema'", 'must list at least one feature');
  });

  it('rejects invalid TTLs: fractions of a second and more than ten years', () => {
    assertRejected(withView({ ttl: Duration.millis(1500) }), "'features.featureViews[0].ttl' (1 second 500 millis)", 'must be a whole number of seconds from 0 (never expires) to 3650 days');
    assertRejected(withView({ ttl: Duration.days(3651) }), "'features.featureViews[0].ttl'", 'to 3650 days');
  });

  it('rejects a feature service naming a missing feature or view', () => {
    const service = (featureViews: Array<{ featureView: string; features?: string[] }>) => [{ name: 'churn_v1', featureViews }];
    assertRejected({ ...CHURN_FEATURES, featureServices: service([{ featureView: 'customer_statistics', features: ['total_purchases', 'lifetime_value'] }]) },
      "'features.featureServices[0].featureViews[0].features[1]' (\"lifetime_value\")",
      "names no feature of feature view 'customer_statistics' (features: total_purchases, avg_order_value, days_since_last_purchase, favorite_category)");
    assertRejected({ ...CHURN_FEATURES, featureServices: service([{ featureView: 'customer_profile' }]) },
      "'features.featureServices[0].featureViews[0].featureView' (\"customer_profile\")", 'names no feature view of the repository');
    assertRejected({ ...CHURN_FEATURES, featureServices: service([{ featureView: 'customer_activity' }, { featureView: 'customer_activity' }]) },
      "'features.featureServices[0].featureViews[1].featureView'", 'is selected twice');
    assertRejected({ ...CHURN_FEATURES, featureServices: service([{ featureView: 'customer_statistics', features: ['total_purchases', 'total_purchases'] }]) },
      "'features.featureServices[0].featureViews[0].features[1]'", 'is listed twice');
    assertRejected({ ...CHURN_FEATURES, featureServices: service([]) }, "'features.featureServices[0].featureViews'", 'at least one feature view');
  });

  it('rejects duplicate entity, view, service and source names', () => {
    assertRejected({ ...CHURN_FEATURES, entities: [...CHURN_FEATURES.entities, CHURN_FEATURES.entities[0]] }, "'features.entities[1].name' (\"customer\")", 'duplicate entity name');
    assertRejected({ ...CHURN_FEATURES, featureViews: [...CHURN_FEATURES.featureViews, VIEW] }, "'features.featureViews[3].name' (\"customer_statistics\")", 'duplicate feature view name');
    assertRejected({ ...CHURN_FEATURES, featureServices: [...CHURN_FEATURES.featureServices!, CHURN_FEATURES.featureServices![0]] },
      "'features.featureServices[1].name' (\"churn_v1\")", 'duplicate feature service name');
    assertRejected(withView({ source: BatchSource.file({ name: 'customer_stats', path: 'other.parquet', timestampField: 'ts' }) }),
      "'features.featureViews[1].source.name' (\"customer_stats\")", 'duplicate source name');
  });

  it('rejects names that are not snake_case and columns that are Python keywords', () => {
    assertRejected({ ...CHURN_FEATURES, entities: [{ ...CHURN_FEATURES.entities[0], name: 'Customer' }] }, "'features.entities[0].name' (\"Customer\")", 'snake_case');
    assertRejected(withView({ name: 'customer-statistics' }), "'features.featureViews[0].name'", 'snake_case');
    assertRejected(withView({ schema: [{ name: 'class', type: FeastType.STRING }] }), "'features.featureViews[0].schema[0].name' (\"class\")", 'Python keyword');
    assertRejected(withView({ schema: [{ name: '7d_sessions', type: FeastType.INT32 }] }), "'features.featureViews[0].schema[0].name'", 'not starting with a digit');
    assertRejected({ ...CHURN_FEATURES, entities: [{ ...CHURN_FEATURES.entities[0], valueType: 'UUID' as EntityValueType }] }, "'features.entities[0].valueType' (\"UUID\")", 'must be one of');
    assertRejected({ ...CHURN_FEATURES, featureViews: [] }, "'features.featureViews'", 'at least one feature view');
  });

  it('rejects invalid batch sources', () => {
    assertRejected(withView({ source: BatchSource.file({ name: 'bad_path', path: '/data/stats.parquet', timestampField: 'ts' }) }), "'features.featureViews[0].source.path'", 's3://bucket/key');
    assertRejected(withView({ source: BatchSource.redshift({ name: 'both', table: 'stats', query: 'SELECT 1', timestampField: 'ts' }) }),
      "'features.featureViews[0].source' (\"both\")", "exactly one of 'table' and 'query'");
    assertRejected(withView({ source: BatchSource.athena({ name: 'q', query: 'DROP TABLE stats', timestampField: 'ts' }) }), "'features.featureViews[0].source.query'", 'SELECT');
    assertRejected(withView({ source: BatchSource.file({ name: 'ok', path: 'x.parquet', timestampField: 'event time' }) }), "'features.featureViews[0].source.timestampField'", 'column name');
  });

  it('refuses nested arrays', () => {
    assert.throws(() => FeastType.array(FeastType.array(FeastType.INT64)), /no nested arrays/);
    assert.equal(FeastType.array(FeastType.FLOAT32).pythonExpression, 'Array(Float32)');
  });
});

describe('feature repository rendering', () => {
  it('is deterministic and renders Redshift and Athena sources with their imports', () => {
    const redshift = BatchSource.redshift({ name: 'orders', query: 'SELECT * FROM orders', database: 'dev', timestampField: 'ts', fieldMapping: { amt: 'amount', cust: 'customer_id' } });
    const athena = BatchSource.athena({ name: 'events', table: 'events', database: 'lake', dataSource: 'AwsDataCatalog', timestampField: 'ts' });
    const defs: FeatureDefinitions = {
      entities: CHURN_FEATURES.entities,
      featureViews: [
        { name: 'orders', entities: ['customer'], ttl: Duration.minutes(90), schema: [{ name: 'amount', type: FeastType.FLOAT64 }], source: redshift },
        { name: 'events', entities: ['customer'], ttl: Duration.seconds(45), schema: [{ name: 'clicks', type: FeastType.INT64 }], source: athena },
      ],
    };
    const text = renderFeatureRepository(defs, { project: 'shop' });
    assert.equal(text, renderFeatureRepository(defs, { project: 'shop' }));
    const lines = text.split('\n');
    assert.ok(lines.includes('from feast import Entity, FeatureView, Field, RedshiftSource, ValueType'));
    assert.ok(lines.includes('from feast.infra.offline_stores.contrib.athena_offline_store.athena_source import AthenaSource'));
    assert.ok(lines.includes('from feast.types import Float64, Int64'));
    assert.ok(lines.includes('source_orders = RedshiftSource('));
    assert.ok(lines.includes('    query="SELECT * FROM orders",'));
    assert.ok(lines.includes('    field_mapping={"amt": "amount", "cust": "customer_id"},'));
    assert.ok(lines.includes('    data_source="AwsDataCatalog",'));
    assert.ok(lines.includes('    ttl=timedelta(minutes=90),'));
    assert.ok(lines.includes('    ttl=timedelta(seconds=45),'));
    assert.ok(!text.includes('FeatureService'), 'no feature service import without services');
  });

  it('joins relative file paths to the offline base URI and escapes strings', () => {
    assert.equal(resolveFilePath('a/b.parquet', 's3://bucket/offline/'), 's3://bucket/offline/a/b.parquet');
    assert.equal(resolveFilePath('s3://other/x.parquet', 's3://bucket/offline/'), 's3://other/x.parquet');
    assert.throws(() => resolveFilePath('a.parquet', undefined), /relative but the offline store has no base URI/);
    const defs = { ...CHURN_FEATURES, entities: [{ ...CHURN_FEATURES.entities[0], description: 'Says "hi"\nand more' }] };
    assert.ok(renderFeatureRepository(defs, { project: 'churn', offlineBaseUri: 's3://b/o/' }).includes('    description="Says \\"hi\\"\\nand more",'));
  });
});

describe('feature_store.yaml rendering', () => {
  it('renders the stores into a document Feast parses', () => {
    const text = renderFeatureStoreYaml({
      project: 'churn',
      registry: { path: 's3://b/registry.db', cacheTtl: Duration.minutes(5) },
      onlineStore: onlineStoreParameters(OnlineStore.redis({ host: 'redis.example.com', redisType: 'redis_cluster', ssl: true }), 'unused'),
      offlineStore: OfflineStore.file({ baseUri: 's3://b/offline/' }),
    });
    assert.deepEqual(parse(text), {
      project: 'churn',
      provider: 'local',
      registry: { registry_type: 'file', path: 's3://b/registry.db', cache_ttl_seconds: 300 },
      online_store: { type: 'redis', redis_type: 'redis_cluster', connection_string: 'redis.example.com:6379,ssl=true' },
      offline_store: { type: 'file' },
      entity_key_serialization_version: 3,
    });
  });
});

describe('store variants', () => {
  it('narrow their options by kind, without casts', () => {
    const redis = OnlineStore.redis({ host: 'redis.example.com', port: 6380 });
    assert.equal(redis.kind, OnlineStoreKind.REDIS);
    assert.equal(redis.spec.kind === OnlineStoreKind.REDIS ? redis.spec.options.port : undefined, 6380);
    const dynamo = OnlineStore.dynamoDb({ region: 'eu-west-1' });
    assert.deepEqual(onlineStoreParameters(dynamo, 'unused'),
      { type: 'dynamodb', region: 'eu-west-1', table_name_template: '{project}.{table_name}', consistent_reads: false });
    const athena = OfflineStore.athena({ region: 'eu-west-1', database: 'features', s3StagingLocation: 's3://bucket/athena/' });
    assert.equal(athena.kind, 'athena');
    assert.deepEqual(athena.options, { region: 'eu-west-1', database: 'features', s3StagingLocation: 's3://bucket/athena/' });
    assert.deepEqual(offlineStoreParameters(athena), {
      type: 'athena', region: 'eu-west-1', database: 'features', workgroup: 'primary', data_source: 'AwsDataCatalog', s3_staging_location: 's3://bucket/athena/',
    });
  });

  it('validate the options of their kind', () => {
    const v: PropsValidator = new PropsValidator('stores');
    assert.throws(() => validateStores(v, OnlineStore.dynamoDb({ region: 'Europe' }), OfflineStore.file({ baseUri: 's3://bucket/offline/' }), { path: 's3://bucket/registry.db' }),
      /invalid 'onlineStore.region' \("Europe"\): must be an AWS region/);
    assert.throws(() => validateStores(v, OnlineStore.inClusterRedis(), OfflineStore.redshift({
      region: 'eu-west-1', database: 'dev', s3StagingLocation: 's3://bucket/stage/', iamRole: 'arn:aws:iam::123456789012:role/redshift',
    }), { path: 's3://bucket/registry.db' }), /invalid 'offlineStore' \("redshift"\): needs either 'clusterId' and 'user'/);
  });
});

describe('materialization schedule intervals', () => {
  it('finds the longest gap of regular and irregular cron schedules', () => {
    assert.equal(longestCronGapMinutes('0 * * * *'), 60);
    assert.equal(longestCronGapMinutes('*/15 * * * *'), 15);
    assert.equal(longestCronGapMinutes('0 */6 * * *'), 360);
    assert.equal(longestCronGapMinutes('0 2,20 * * *'), 18 * 60);
    assert.equal(longestCronGapMinutes('@daily'), 1440);
    assert.equal(longestCronGapMinutes('0 6 * * MON-FRI'), 3 * 1440);
    assert.equal(longestCronGapMinutes('0 0 1 * *'), 31 * 1440);
    assert.equal(longestCronGapMinutes('0 0 1,15 * 0'), 1440 * 7, 'day-of-month OR day-of-week when both are restricted');
  });

  it('rejects invalid expressions and schedules that fire too rarely', () => {
    assert.equal(longestCronGapMinutes('0 24 * * *'), undefined);
    assert.equal(longestCronGapMinutes('* * *'), undefined);
    assert.equal(longestCronGapMinutes('5-1 * * * *'), undefined);
    assert.equal(longestCronGapMinutes('0 0 29 2 *'), undefined, 'fires once in the four years looked at');
    assert.equal(longestCronGapMinutes('0 0 30 2 *'), undefined, 'never fires');
  });
});

