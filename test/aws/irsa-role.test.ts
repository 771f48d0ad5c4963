import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ValidationError } from '../../src';
import { IrsaRole } from '../../src/pulumi';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { parsePolicy, recorderReady } from '../support/pulumi';

const OIDC = {
  arn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789',
  url: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789',
};

describe('IrsaRole', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('trusts exactly one ServiceAccount through the cluster OIDC provider', async () => {
    const rec = await recorderReady;
    const role = new IrsaRole('reader', {
      oidcProvider: OIDC, namespace: 'ml-churn', serviceAccount: 'churn-model',
      statements: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/models/churn/*'] }],
    });
    assert.equal(await promiseOf(role.roleArn), 'arn:aws:iam::123456789012:role/reader-role-mock');
    await rec.settle();
    assert.equal(rec.resources.length, 3);
    const trust = parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement, [{
      Effect: 'Allow',
      Principal: { Federated: OIDC.arn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: {
        'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:sub': 'system:serviceaccount:ml-churn:churn-model',
        'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:aud': 'sts.amazonaws.com',
      } },
    }]);
    const policy = parsePolicy(rec.one('aws:iam/rolePolicy:RolePolicy').inputs.policy);
    assert.deepEqual(policy.Statement, [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/models/churn/*'] }]);
    assert.equal(rec.one('aws:iam/rolePolicy:RolePolicy').parent?.name, 'reader');
  });

  it('accepts an issuer URL without https://', async () => {
    const rec = await recorderReady;
    new IrsaRole('bare', { oidcProvider: { arn: OIDC.arn, url: 'oidc.eks.eu-west-1.amazonaws.com/id/X' }, namespace: 'a', serviceAccount: 'b',
      statements: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }] });
    await rec.settle();
    assert.equal(rec.resources.length, 3);
    const trust = parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy);
    assert.deepEqual(Object.keys(trust.Statement[0].Condition.StringEquals), ['oidc.eks.eu-west-1.amazonaws.com/id/X:sub', 'oidc.eks.eu-west-1.amazonaws.com/id/X:aud']);
  });

  it('trusts exactly one ServiceAccount: one statement, one principal, sub AND aud as single strings', async () => {
    const rec = await recorderReady;
    const role = new IrsaRole('one', { oidcProvider: OIDC, namespace: 'ml', serviceAccount: 'm', statements: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }] });
    await rec.settle();
    assert.equal(role.subject, 'system:serviceaccount:ml:m');
    const trust = parsePolicy(rec.one('aws:iam/role:Role').inputs.assumeRolePolicy);
    assert.equal(trust.Statement.length, 1);
    assert.deepEqual(trust.Statement[0].Principal, { Federated: OIDC.arn });
    assert.deepEqual(trust.Statement[0].Condition, { StringEquals: {
      'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:sub': 'system:serviceaccount:ml:m',
      'oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:aud': 'sts.amazonaws.com',
    } });
  });

  it('refuses * actions, service-wide actions on *, and bad subjects, registering nothing', async () => {
    const rec = await recorderReady;
    const base = { oidcProvider: OIDC, namespace: 'ml', serviceAccount: 'sa' };
    assert.throws(() => new IrsaRole('star', { ...base, statements: [{ actions: ['*'], resources: ['arn:aws:s3:::b'] }] }),
      (e: unknown) => e instanceof ValidationError && e.message === "ml-platform:aws:IrsaRole(star): invalid 'statements[0].actions' (\"*\"): must be 'service:Action' (least privilege: no '*' action)");
    assert.throws(() => new IrsaRole('s3star', { ...base, statements: [{ actions: ['s3:*'], resources: ['*'] }] }), /service-wide wildcard action on resource '\*'/);
    assert.throws(() => new IrsaRole('empty', { ...base, statements: [] }), /'statements' \(\[\]\): must contain at least one statement/);
    assert.throws(() => new IrsaRole('ns', { ...base, namespace: 'ML', statements: [{ actions: ['s3:GetObject'], resources: ['x'] }] }), /'namespace' \("ML"\)/);
    await rec.settle();
    assert.equal(rec.resources.length, 0);
  });
});
