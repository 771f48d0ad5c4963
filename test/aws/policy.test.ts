import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument } from '../../src/aws/policy';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { recorderReady } from '../support/pulumi';

describe('policyDocument', () => {
  it('renders an identity policy: no Principal, keys in a stable order', async () => {
    await recorderReady;
    const doc = await promiseOf(policyDocument([{ sid: 'Read', actions: ['s3:GetObject'], resources: [pulumi.output('arn:aws:s3:::b/*')] }]));
    assert.equal(doc, '{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}');
  });

  it('adds the principal of a resource policy to every statement, after Effect', async () => {
    await recorderReady;
    const doc = await promiseOf(policyDocument([
      { effect: 'Deny', actions: ['s3:*'], resources: ['arn:aws:s3:::b'], conditions: { Bool: { 'aws:SecureTransport': 'false' } } },
      { sid: 'Read', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] },
    ], { principal: '*' }));
    assert.equal(doc, '{"Version":"2012-10-17","Statement":['
      + '{"Effect":"Deny","Principal":"*","Action":["s3:*"],"Resource":["arn:aws:s3:::b"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},'
      + '{"Sid":"Read","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}');
  });
});
