import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ValidationError } from '../../src';
import { DriftMonitoringAws } from '../../src/pulumi';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/D1', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/D1' };

describe('DriftMonitoringAws', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates a secure reports bucket and a role that reads the data and writes only its report prefix', async () => {
    const rec = await recorderReady;
    const aws = new DriftMonitoringAws('churn-drift', {
      modelName: 'churn-model', namespace: 'ml-churn', oidcProvider: OIDC, dataUris: ['s3://ml-data/churn/', 's3://ml-events/'],
    });
    assert.equal(await promiseOf(aws.reportPrefix), 's3://churn-drift-bucket-mock/reports/churn-model/');
    await rec.settle();
    assert.equal(rec.resources.length, 12, rec.resources.map((r) => r.type).join(', '));
    assert.deepEqual(rec.one('aws:s3/bucketVersioning:BucketVersioning').inputs.versioningConfiguration, { status: 'Enabled' });
    const trust = parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy);
    assert.equal(trust.Statement[0].Condition.StringEquals['oidc.eks.us-east-1.amazonaws.com/id/D1:sub'], 'system:serviceaccount:ml-churn:churn-model-drift');
    const statements = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy).Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.DataObjects0.Resource, ['arn:aws:s3:::ml-data/churn/*']);
    assert.deepEqual(bySid.DataList0.Condition, { StringLike: { 's3:prefix': ['churn/*'] } });
    assert.deepEqual(bySid.DataObjects1.Resource, ['arn:aws:s3:::ml-events/*']);
    assert.equal(bySid.DataList1.Condition, undefined);
    assert.deepEqual(bySid.ReportsWriteObjects.Resource, ['arn:aws:s3:::churn-drift-bucket-mock/reports/churn-model/*']);
    assert.deepEqual(bySid.ReportsWriteObjects.Action, ['s3:PutObject', 's3:AbortMultipartUpload']);
    const writes = statements.filter((s) => (s.Action as string[]).includes('s3:PutObject'));
    assert.equal(writes.length, 1, 'the role writes nowhere else');
  });

  it('rejects data locations that are not S3 prefixes, registering nothing', async () => {
    const rec = await recorderReady;
    assert.throws(() => new DriftMonitoringAws('bad', { modelName: 'm', namespace: 'ml', oidcProvider: OIDC, dataUris: ['https://example.com/data.csv'] }),
      (e: unknown) => e instanceof ValidationError && e.message.includes("'dataUris[0]' (\"https://example.com/data.csv\"): must be an s3:// URI"));
    await rec.settle();
    assert.equal(rec.resources.length, 0);
  });
});
