import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { ValidationError } from '../../src';
import { SecureBucket } from '../../src/pulumi';
import { defaultBucketPrefix } from '../../src/aws/secure-bucket';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';

describe('SecureBucket', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates a versioned, encrypted, private, TLS-only bucket with non-current version expiry', async () => {
    const rec = await recorderReady;
    const bucket = new SecureBucket('models', { tags: { team: 'ml' } });
    assert.equal(await promiseOf(bucket.bucketName), 'models-mock');
    await rec.settle();
    assert.equal(rec.resources.length, 8, rec.resources.map((r) => r.type).join(', '));
    assert.equal(rec.one('aws:s3/bucket:Bucket').inputs.bucketPrefix, 'models-');
    // a long component name (nested stacks add up) keeps its start and a hash of the whole name, at most 37 characters
    assert.equal(defaultBucketPrefix('models'), 'models-');
    const long = defaultBucketPrefix('athena-churn-model-drift-athena-results');
    assert.match(long, /^athena-churn-model-drift-ath-[0-9a-f]{7}-$/);
    assert.equal(long.length, 37);
    assert.notEqual(defaultBucketPrefix('athena-churn-model-drift-athena-results-2'), long, 'distinct names, distinct prefixes');
    assert.equal(rec.one('aws:s3/bucket:Bucket').inputs.forceDestroy, false);
    assert.deepEqual(rec.one('aws:s3/bucketVersioning:BucketVersioning').inputs.versioningConfiguration, { status: 'Enabled' });
    const sse = rec.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration').inputs.rules as any[];
    assert.deepEqual(sse[0].applyServerSideEncryptionByDefault, { sseAlgorithm: 'AES256' });
    const pab = rec.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').inputs;
    assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
    assert.deepEqual((rec.one('aws:s3/bucketOwnershipControls:BucketOwnershipControls').inputs.rule as any).objectOwnership, 'BucketOwnerEnforced');
    const policy = parsePolicy(rec.one('aws:s3/bucketPolicy:BucketPolicy').inputs.policy);
    assert.deepEqual(policy.Statement, [{
      Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: ['s3:*'],
      Resource: ['arn:aws:s3:::models-mock', 'arn:aws:s3:::models-mock/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }]);
    const rules = rec.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs.rules as any[];
    assert.deepEqual(rules[0].noncurrentVersionExpiration, { noncurrentDays: 90, newerNoncurrentVersions: 5 });
    assert.equal(rules[0].status, 'Enabled');
    for (const r of rec.resources.filter((x) => x.type.startsWith('aws:'))) {
      assert.equal(r.parent?.name, 'models', `${r.name} is a child of the component`);
      assert.match(r.name, /^models-/);
    }
  });

  it('uses SSE-KMS with a bucket key when a key is given', async () => {
    const rec = await recorderReady;
    new SecureBucket('kms', { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/abc' });
    await rec.settle();
    assert.equal(rec.resources.length, 8);
    const sse = rec.one('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration').inputs.rules as any[];
    assert.deepEqual(sse[0], { applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abc' }, bucketKeyEnabled: true });
  });

  it('expires prefixes and replicates to another region with a least-privilege role', async () => {
    const rec = await recorderReady;
    new SecureBucket('ckpt', {
      expirations: [{ prefix: 'checkpoints/', days: 14 }],
      replication: { destinationBucketArn: 'arn:aws:s3:::ckpt-dr' },
    });
    await rec.settle();
    assert.equal(rec.resources.length, 11, rec.resources.map((r) => r.type).join(', '));
    const rules = rec.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs.rules as any[];
    assert.deepEqual(rules[1], { id: 'expire-checkpoints', status: 'Enabled', filter: { prefix: 'checkpoints/' }, expiration: { days: 14 } });
    const trust = parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Principal, { Service: 's3.amazonaws.com' });
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy);
    assert.deepEqual(policy.Statement.map((s) => s.Resource), [['arn:aws:s3:::ckpt-mock'], ['arn:aws:s3:::ckpt-mock/*'], ['arn:aws:s3:::ckpt-dr/*']]);
    for (const s of policy.Statement) {
      assert.ok(!(s.Action as string[]).some((a) => a.endsWith('*')), 'no wildcard actions in the replication role');
    }
    const repl = rec.one('aws:s3/bucketReplicationConfig:BucketReplicationConfig').inputs;
    assert.equal(repl.role, 'arn:aws:iam::123456789012:role/ckpt-replication-role-mock');
    assert.deepEqual((repl.rules as any[])[0].destination, { bucket: 'arn:aws:s3:::ckpt-dr', storageClass: 'STANDARD_IA' });
  });

  it('imports an existing bucket by name without creating anything', async () => {
    const rec = await recorderReady;
    const b = new SecureBucket('existing', { existingBucketName: 'corp-models' });
    assert.equal(await promiseOf(b.bucketArn), 'arn:aws:s3:::corp-models');
    await rec.settle();
    assert.deepEqual(rec.resources.map((r) => r.type), ['ml-platform:aws:SecureBucket']);
  });

  it('grants read-only access to one prefix', async () => {
    const rec = await recorderReady;
    const b = new SecureBucket('grants');
    const statements = b.readStatements('models/churn/');
    const resources = await Promise.all(statements.map((s) => promiseOf(pulumi.output(s.resources))));
    assert.deepEqual(statements.map((s) => s.actions), [['s3:GetObject', 's3:GetObjectVersion'], ['s3:ListBucket']]);
    assert.deepEqual(resources, [['arn:aws:s3:::grants-mock/models/churn/*'], ['arn:aws:s3:::grants-mock']]);
    assert.deepEqual(statements[1].conditions, { StringLike: { 's3:prefix': ['models/churn/*'] } });
    await rec.settle();
    assert.equal(rec.resources.length, 8);
  });

  it('rejects invalid arguments with the component, property and rule', async () => {
    const rec = await recorderReady;
    assert.throws(() => new SecureBucket('bad1', { noncurrentVersionExpirationDays: 0 }),
      (e: unknown) => e instanceof ValidationError && e.message === "ml-platform:aws:SecureBucket(bad1): invalid 'noncurrentVersionExpirationDays' (0): must be an integer from 1 to 36500");
    assert.throws(() => new SecureBucket('bad2', { existingBucketName: 'x', replication: { destinationBucketArn: 'arn:aws:s3:::y' } }), /'existingBucketName'.*used as it is/);
    assert.throws(() => new SecureBucket('bad3', { existingBucketName: 'Not_A_Bucket' }), /'existingBucketName' \("Not_A_Bucket"\): must be an S3 bucket name/);
    assert.throws(() => new SecureBucket('bad4', { expirations: [{ prefix: '/abs', days: 3 }] }), /'expirations\[0\]\.prefix'/);
    assert.throws(() => new SecureBucket('bad5', { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k', replication: { destinationBucketArn: 'arn:aws:s3:::dr' } }),
      /'replication\.destinationKmsKeyArn' \(unset\): is required when the bucket uses a KMS key/);
    await rec.settle();
    assert.equal(rec.resources.length, 0, 'invalid arguments register nothing');
  });
});
