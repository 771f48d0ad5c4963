import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { CostPreset, ValidationError } from '../../src';
import { driftAthenaWindows, parseDriftConfig } from '../../src';
import { DriftMonitoringAws, ModelPlatformStack } from '../../src/pulumi';
import { CHURN_MODEL, CHURN_PLATFORM } from '../../examples/churn';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/D1', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/D1' };
const CLUSTER = { name: 'prod-eks', oidcProvider: OIDC, kubeconfig: 'apiVersion: v1\nkind: Config\n' };
const TABLES = [{ database: 'ml', table: 'churn_train' }, { database: 'events', table: 'churn_serving' }];

describe('DriftMonitoringAws with Athena', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates an enforced, encrypted workgroup with a scan cutoff and grants the job only that workgroup, the named tables and the results prefix', async () => {
    const rec = await recorderReady;
    const aws = new DriftMonitoringAws('churn-drift', {
      modelName: 'churn-model', namespace: 'ml-churn', oidcProvider: OIDC, dataUris: ['s3://ml-data/churn/'],
      athena: { tables: TABLES, bytesScannedCutoffPerQuery: 50 * 2 ** 30 },
    });
    assert.ok(aws.athena !== undefined);
    assert.equal(await promiseOf(aws.athena.workgroupName), 'churn-model-drift');
    assert.equal(await promiseOf(aws.athena.outputLocation), 's3://churn-drift-athena-results-mock/results/');
    await rec.settle();
    const wg = rec.one('aws:athena/workgroup:Workgroup').inputs;
    assert.equal(wg.name, 'churn-model-drift');
    assert.deepEqual(wg.configuration, {
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: 53687091200,
      resultConfiguration: { outputLocation: 's3://churn-drift-athena-results-mock/results/', encryptionConfiguration: { encryptionOption: 'SSE_S3' } },
    });
    // the results bucket is a SecureBucket (encrypted, versioned, public access blocked) whose results expire
    const buckets = rec.resources.filter((r) => r.type === 'aws:s3/bucket:Bucket').map((r) => r.name);
    assert.deepEqual(buckets.sort(), ['churn-drift-athena-results-bucket', 'churn-drift-bucket-bucket']);
    const encryption = rec.resources.filter((r) => r.type === 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration');
    assert.equal(encryption.length, 2);
    const lifecycle = rec.resources.find((r) => r.type.startsWith('aws:s3/bucketLifecycleConfiguration') && r.name.startsWith('churn-drift-athena'));
    assert.ok(lifecycle !== undefined && JSON.stringify(lifecycle.inputs).includes('"results/"'), 'results expire');

    const statements = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy).Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.AthenaQueries.Action, ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution']);
    assert.equal(bySid.AthenaQueries.Resource.length, 1);
    assert.match(bySid.AthenaQueries.Resource[0], /workgroup|churn-drift-athena-workgroup/);
    assert.deepEqual(bySid.GlueTables.Action, ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions']);
    assert.deepEqual(bySid.GlueTables.Resource, [
      'arn:aws:glue:us-east-1:123456789012:catalog',
      'arn:aws:glue:us-east-1:123456789012:database/ml',
      'arn:aws:glue:us-east-1:123456789012:database/events',
      'arn:aws:glue:us-east-1:123456789012:table/ml/churn_train',
      'arn:aws:glue:us-east-1:123456789012:table/events/churn_serving',
    ]);
    assert.deepEqual(bySid.ResultsWriteObjects.Resource, ['arn:aws:s3:::churn-drift-athena-results-mock/results/*']);
    assert.deepEqual(bySid.ResultsReadReadObjects.Resource, ['arn:aws:s3:::churn-drift-athena-results-mock/results/*']);
    const writes = statements.filter((s) => (s.Action as string[]).includes('s3:PutObject')).map((s) => s.Resource);
    assert.deepEqual(writes, [['arn:aws:s3:::churn-drift-bucket-mock/reports/churn-model/*'], ['arn:aws:s3:::churn-drift-athena-results-mock/results/*']],
      'writes only reports and Athena results');
    const wildcard = statements.filter((s) => (s.Action as string[]).some((a) => a.startsWith('athena:') || a.startsWith('glue:')) && (s.Resource as string[]).includes('*'));
    assert.deepEqual(wildcard, []);
    assert.deepEqual(bySid.DataObjects0.Resource, ['arn:aws:s3:::ml-data/churn/*'], 'Athena reads the data with the job\'s credentials');
  });

  it('uses the results bucket\'s KMS key for the results and rejects a cutoff below Athena\'s 10 MB minimum', async () => {
    const rec = await recorderReady;
    new DriftMonitoringAws('kms', {
      modelName: 'm', namespace: 'ml', oidcProvider: OIDC, dataUris: ['s3://data-bucket/x/'],
      athena: { tables: TABLES, resultsBucket: { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k1' } },
    });
    await rec.settle();
    const wg = rec.one('aws:athena/workgroup:Workgroup').inputs;
    assert.deepEqual(wg.configuration, {
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: 107374182400,
      resultConfiguration: {
        outputLocation: 's3://kms-athena-results-mock/results/',
        encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k1' },
      },
    });
    rec.reset();
    const bad = (athena: object): unknown => new DriftMonitoringAws('bad', { modelName: 'm', namespace: 'ml', oidcProvider: OIDC, dataUris: ['s3://data-bucket/x/'], athena: { tables: TABLES, ...athena } });
    assert.throws(() => bad({ bytesScannedCutoffPerQuery: 1000 }), (e: unknown) => e instanceof ValidationError && e.message.includes("'athena.bytesScannedCutoffPerQuery' (1000)"));
    assert.throws(() => bad({ tables: [{ database: 'ML', table: 't' }] }), (e: unknown) => e instanceof ValidationError && e.message.includes("'athena.tables[0].database' (\"ML\"): must be a Glue name"));
    await rec.settle();
    assert.equal(rec.resources.length, 0, 'nothing registered');
  });

  it('creates the Glue database and tables of windows given as S3 prefixes from the config\'s schema, and grants only reads on them', async () => {
    const rec = await recorderReady;
    const config = {
      model: 'churn-model',
      reference: { uri: 's3://ml-data/churn/train/', format: 'parquet' as const },
      current: { uri: 's3://ml-data/churn/serving/', format: 'csv' as const },
      features: [{ name: 'age', type: 'numeric' as const }, { name: 'plan', type: 'categorical' as const }],
      engine: 'athena' as const,
      athena: { schema: { columns: [{ name: 'id', type: 'bigint' as const }, { name: 'age' }, { name: 'plan' }] } },
    };
    const aws = new DriftMonitoringAws('files', {
      modelName: 'churn-model', namespace: 'ml-churn', oidcProvider: OIDC, dataUris: ['s3://ml-data/churn/'], athena: { tables: driftAthenaWindows(config) },
    });
    assert.ok(aws.athena !== undefined);
    assert.deepEqual(Object.keys(aws.athena.catalogTables), ['churn_model_drift.reference', 'churn_model_drift.current']);
    await rec.settle();
    const db = rec.one('aws:glue/catalogDatabase:CatalogDatabase');
    assert.equal(db.inputs.name, 'churn_model_drift');
    const tables = Object.fromEntries(rec.ofType('aws:glue/catalogTable:CatalogTable').map((t) => [t.inputs.name, t.inputs]));
    assert.deepEqual(Object.keys(tables).sort(), ['current', 'reference']);
    assert.equal(tables.reference.databaseName, 'churn_model_drift');
    assert.equal(tables.reference.tableType, 'EXTERNAL_TABLE');
    assert.deepEqual(tables.reference.parameters, { EXTERNAL: 'TRUE', classification: 'parquet' });
    assert.deepEqual(tables.reference.storageDescriptor, {
      location: 's3://ml-data/churn/train/',
      inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      serDeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', parameters: { 'serialization.format': '1' } },
      columns: [{ name: 'id', type: 'bigint' }, { name: 'age', type: 'double' }, { name: 'plan', type: 'string' }],
    });
    // CSV: OpenCSVSerDe (quoted fields), the header line skipped, every column text (the queries cast the numeric features)
    assert.deepEqual(tables.current.parameters, { EXTERNAL: 'TRUE', classification: 'csv', 'skip.header.line.count': '1' });
    assert.equal(tables.current.storageDescriptor.serDeInfo.serializationLibrary, 'org.apache.hadoop.hive.serde2.OpenCSVSerde');
    assert.deepEqual(tables.current.storageDescriptor.serDeInfo.parameters, { separatorChar: ',', quoteChar: '"' });
    assert.equal(tables.current.storageDescriptor.inputFormat, 'org.apache.hadoop.mapred.TextInputFormat');
    assert.deepEqual(tables.current.storageDescriptor.columns.map((c: { type: string }) => c.type), ['string', 'string', 'string']);

    const statements = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy).Statement;
    const glue = statements.filter((s) => (s.Action as string[]).some((a) => a.startsWith('glue:')));
    assert.equal(glue.length, 1);
    assert.deepEqual(glue[0].Action, ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'], 'the job never creates or changes a table');
    assert.deepEqual(glue[0].Resource, [
      'arn:aws:glue:us-east-1:123456789012:catalog',
      'arn:aws:glue:us-east-1:123456789012:database/churn_model_drift',
      'arn:aws:glue:us-east-1:123456789012:table/churn_model_drift/reference',
      'arn:aws:glue:us-east-1:123456789012:table/churn_model_drift/current',
    ]);
    assert.equal(await promiseOf(aws.athena.workgroupName), parseDriftConfig({ ...config, outputs: {} }).athena?.workgroup, 'the workgroup the job\'s config names by default');
  });

  it('rejects created tables that are not S3 folders or declare no columns, before registering anything', async () => {
    const rec = await recorderReady;
    const files = { location: 's3://ml-data/churn/train.parquet', format: 'parquet' as const, columns: [{ name: 'age', type: 'double' as const }] };
    const bad = (tables: object[]): unknown => new DriftMonitoringAws('bad', { modelName: 'm', namespace: 'ml', oidcProvider: OIDC, dataUris: ['s3://ml-data/churn/'], athena: { tables: tables as never } });
    assert.throws(() => bad([{ database: 'ml', table: 'r', files }]), (e: unknown) => e instanceof ValidationError
      && e.message.includes("'athena.tables[0].files.location' (\"s3://ml-data/churn/train.parquet\"): must be an S3 folder"));
    assert.throws(() => bad([{ database: 'ml', table: 'r', files: { ...files, location: 's3://ml-data/t/', columns: [] } }]),
      (e: unknown) => e instanceof ValidationError && e.message.includes("'athena.tables[0].files.columns'"));
    const ok = { ...files, location: 's3://ml-data/t/' };
    assert.throws(() => bad([{ database: 'ml', table: 'r', files: ok }, { database: 'ml', table: 'r', files: ok }]),
      (e: unknown) => e instanceof ValidationError && e.message.includes('already created by another entry'));
    await rec.settle();
    assert.equal(rec.resources.length, 0, 'nothing registered');
  });

  it('ModelPlatformStack: a model whose drift check runs on Athena gets the workgroup and tables its deployed job config names', async () => {
    const rec = await recorderReady;
    const churnDrift = CHURN_MODEL.drift ?? assert.fail('the churn model has a drift check');
    const drift = { ...churnDrift, labels: undefined }; // concept drift needs the in-memory engine
    const model = {
      ...CHURN_MODEL, preset: CostPreset.DEV, canary: false as const,
      drift: {
        ...drift,
        reference: { uri: 's3://acme-ml-churn-data/training/', format: 'parquet' as const },
        current: { uri: 's3://acme-ml-churn-data/production/', format: 'parquet' as const },
        engine: 'athena' as const,
        athena: { schema: { columns: drift.features.map((f) => ({ name: f.name })) } },
      },
    };
    const stack = new ModelPlatformStack('athena', { cluster: CLUSTER, platform: { ...CHURN_PLATFORM, preset: CostPreset.DEV, models: [model] } });
    const wgName = await promiseOf(stack.drift['churn-model'].athena?.workgroupName ?? assert.fail('no Athena half'));
    await rec.settle();
    const objs = rec.one('kubernetes:yaml/v2:ConfigGroup').inputs.objs as Array<{ kind: string; data?: Record<string, string> }>;
    const json = objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.data?.['config.json']).find((c) => c !== undefined && c.includes('"athena"'));
    assert.ok(json !== undefined, 'the drift job is deployed with its config');
    const deployed = parseDriftConfig(JSON.parse(json));
    assert.equal(deployed.athena?.workgroup, wgName);
    const created = rec.ofType('aws:glue/catalogTable:CatalogTable').map((t) => `${String(t.inputs.databaseName)}.${String(t.inputs.name)}`);
    assert.deepEqual(created, [deployed.athena.reference, deployed.athena.current].map((w) => `${w.database}.${w.table}`));
    const role = rec.ofType('aws:iam/rolePolicy:RolePolicy').find((p) => String(p.name).includes('churn-model-drift'));
    assert.ok(role !== undefined && JSON.stringify(role.inputs.policy).includes('athena:StartQueryExecution'), 'the drift role may run the queries');
    rec.reset();
    const broken = { ...model, drift: { ...model.drift, athena: { schema: { columns: [{ name: 'tenure_months', type: 'string' as const }] } } } };
    assert.throws(() => new ModelPlatformStack('bad', { cluster: CLUSTER, platform: { ...CHURN_PLATFORM, preset: CostPreset.DEV, models: [broken] } }),
      (e: unknown) => e instanceof ValidationError && e.message.includes("'platform.models[0].drift.athena.schema.columns'") && e.message.includes('of numeric features[0] must have one of the types'));
    const named = { ...model, drift: { ...model.drift, athena: { ...model.drift.athena, workgroup: 'analytics' } } };
    assert.throws(() => new ModelPlatformStack('bad', { cluster: CLUSTER, platform: { ...CHURN_PLATFORM, preset: CostPreset.DEV, models: [named] } }),
      (e: unknown) => e instanceof ValidationError && e.message.includes("'platform.models[0].drift.athena.workgroup' (\"analytics\"): must be omitted: the stack creates the workgroup 'churn-model-drift'"));
    await rec.settle();
    assert.equal(rec.resources.length, 0, 'nothing registered');
  });
});
