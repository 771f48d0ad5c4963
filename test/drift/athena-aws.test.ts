import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ValidationError } from '../../src';
import { DriftMonitoringAws } from '../../src/pulumi';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/D1', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/D1' };
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
});
