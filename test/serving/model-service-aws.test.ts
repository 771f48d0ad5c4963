import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ModelServiceAws, SecureBucket } from '../../src/pulumi';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';

const OIDC = { arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/AB12', url: 'https://oidc.eks.us-east-1.amazonaws.com/id/AB12' };

describe('ModelServiceAws', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates artifact storage and a role that reads only the model prefix', async () => {
    const rec = await recorderReady;
    const aws = new ModelServiceAws('churn', { modelName: 'churn-model', namespace: 'ml-churn', oidcProvider: OIDC });
    assert.equal(await promiseOf(aws.modelUri), 's3://churn-artifacts-mock/models/churn-model/');
    assert.deepEqual(await promiseOf(aws.serviceAccountAnnotations), { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/churn-irsa-role-mock' });
    await rec.settle();
    assert.equal(rec.resources.length, 12, rec.resources.map((r) => r.type).join(', '));
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy);
    assert.deepEqual(policy.Statement, [
      { Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: ['arn:aws:s3:::churn-artifacts-mock/models/churn-model/*'] },
      { Sid: 'ListPrefix', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::churn-artifacts-mock'], Condition: { StringLike: { 's3:prefix': ['models/churn-model/*'] } } },
    ]);
    const trust = parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy);
    assert.equal(trust.Statement[0].Condition.StringEquals['oidc.eks.us-east-1.amazonaws.com/id/AB12:sub'], 'system:serviceaccount:ml-churn:churn-model');
    assert.equal(rec.ofType('aws:ecr/repository:Repository').length, 0);
  });

  it('adds KMS decrypt for an encrypted bucket and an ECR repository on request', async () => {
    const rec = await recorderReady;
    new ModelServiceAws('fraud', {
      modelName: 'fraud', namespace: 'ml', oidcProvider: OIDC, imageRepository: { keepTaggedImages: 10 },
      artifacts: { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k1' },
    });
    await rec.settle();
    assert.equal(rec.resources.length, 15, rec.resources.map((r) => r.type).join(', '));
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy);
    assert.deepEqual(policy.Statement[2], { Sid: 'Kms', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: ['arn:aws:kms:us-east-1:123456789012:key/k1'] });
    const repo = rec.one('aws:ecr/repository:Repository').inputs;
    assert.equal(repo.name, 'fraud');
    assert.equal(repo.imageTagMutability, 'IMMUTABLE');
    assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
    const lifecycle = JSON.parse(rec.one('aws:ecr/lifecyclePolicy:LifecyclePolicy').inputs.policy as string);
    assert.deepEqual(lifecycle.rules.map((r: any) => [r.selection.tagStatus, r.selection.countNumber]), [['untagged', 14], ['any', 10]]);
  });

  it('shares a bucket between models, each role on its own prefix', async () => {
    const rec = await recorderReady;
    const bucket = new SecureBucket('shared');
    new ModelServiceAws('a', { modelName: 'model-a', namespace: 'ml', oidcProvider: OIDC, bucket });
    new ModelServiceAws('b', { modelName: 'model-b', namespace: 'ml', oidcProvider: OIDC, bucket });
    await rec.settle();
    assert.equal(rec.ofType('aws:s3/bucket:Bucket').length, 1);
    assert.equal(rec.resources.length, 8 + 2 * 4);
    const resources = rec.ofType('aws:iam/rolePolicy:RolePolicy').map((p) => parsePolicy(p.inputs.policy).Statement[0].Resource[0]).sort();
    assert.deepEqual(resources, ['arn:aws:s3:::shared-mock/models/model-a/*', 'arn:aws:s3:::shared-mock/models/model-b/*']);
  });

  it('rejects a shared bucket combined with bucket settings and a bad prefix', async () => {
    const rec = await recorderReady;
    const bucket = new SecureBucket('s2');
    await rec.settle();
    rec.reset();
    assert.throws(() => new ModelServiceAws('x', { modelName: 'x', namespace: 'ml', oidcProvider: OIDC, bucket, artifacts: {} }), /'artifacts'.*cannot be combined with 'bucket'/);
    assert.throws(() => new ModelServiceAws('y', { modelName: 'y', namespace: 'ml', oidcProvider: OIDC, modelPrefix: '/abs' }), /'modelPrefix' \("\/abs"\)/);
    await rec.settle();
    assert.equal(rec.resources.length, 0);
  });
});
