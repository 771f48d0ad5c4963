// EdgeWafAcl under the Pulumi mocks: the regional web ACL, its per-IP rate-based rule, the managed rule sets,
// and its association with the model gateway's ALB (the AWS Load Balancer Controller annotation).
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { EdgeWafAcl } from '../../src/traffic/edge-waf-aws';
import { ModelGateway } from '../../src';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { recorderReady } from '../support/pulumi';
import { assertValidationError } from '../support/assert';
import { synthValid, testChart } from '../support/synth';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f6c3a7e-52d1-4b8e-9a1c-2d7e5f3b9c10';

describe('EdgeWafAcl', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('creates a REGIONAL web ACL that allows by default and blocks client IPs above 2000 requests per 5 minutes', async () => {
    const rec = await recorderReady;
    const waf = new EdgeWafAcl('models');
    await rec.settle();
    const acl = rec.one('aws:wafv2/webAcl:WebAcl', 'models-acl');
    assert.equal(acl.inputs.scope, 'REGIONAL', 'an ALB takes a regional web ACL (CLOUDFRONT is for distributions)');
    assert.deepEqual(acl.inputs.defaultAction, { allow: {} });
    assert.equal(acl.parent?.type, EdgeWafAcl.TYPE);
    const rules = acl.inputs.rules as any[];
    assert.deepEqual(rules.map((r) => [r.priority, r.name]), [[0, 'rate-per-ip'], [1, 'AWSManagedRulesCommonRuleSet'], [2, 'AWSManagedRulesKnownBadInputsRuleSet']]);
    assert.deepEqual(rules[0].action, { block: {} });
    assert.deepEqual(rules[0].statement, { rateBasedStatement: { limit: 2000, aggregateKeyType: 'IP', evaluationWindowSec: 300 } });
    assert.deepEqual(rules[0].visibilityConfig, { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: 'models-rate-per-ip' });
    // Model payloads exceed the common rule set's 8 KB body limit: that one rule only counts (the gateway limits bodies per route).
    assert.deepEqual(rules[1].statement.managedRuleGroupStatement.ruleActionOverrides, [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]);
    assert.deepEqual(rules[1].overrideAction, { none: {} });
    assert.match(await promiseOf(waf.webAclArn), /^arn:aws:wafv2:us-east-1:123456789012:regional\/webacl\//);
  });

  it('takes the limit, the window and the managed rules from its arguments', async () => {
    const rec = await recorderReady;
    new EdgeWafAcl('strict', { requestsPerIp: 100, evaluationWindowSeconds: 60, managedRules: false, tags: { team: 'platform' } });
    await rec.settle();
    const acl = rec.one('aws:wafv2/webAcl:WebAcl', 'strict-acl');
    const rules = acl.inputs.rules as any[];
    assert.equal(rules.length, 1, 'no managed rule sets');
    assert.deepEqual(rules[0].statement.rateBasedStatement, { limit: 100, aggregateKeyType: 'IP', evaluationWindowSec: 60 });
    assert.deepEqual(acl.inputs.tags, { team: 'platform' });
  });

  it('is associated with the gateway ALB through the AWS Load Balancer Controller annotation', async () => {
    const rec = await recorderReady;
    const waf = new EdgeWafAcl('models');
    await rec.settle();
    const arn = await promiseOf(waf.webAclArn);
    const { chart } = testChart('ml-gateway');
    new ModelGateway(chart, 'gateway', { domain: 'models.example.com', loadBalancer: { certificateArns: [CERT], wafAclArn: arn } });
    const ingresses = (await synthValid(chart)).filter((o) => o.kind === 'Ingress');
    assert.equal(ingresses.length, 1, 'one ALB');
    const annotations = (ingresses[0].metadata?.annotations ?? {}) as Record<string, string>;
    assert.equal(annotations['alb.ingress.kubernetes.io/wafv2-acl-arn'], arn);
    assert.equal(rec.ofType('aws:wafv2/webAclAssociation:WebAclAssociation').length, 0, 'no association resource: the controller owns the ALB and associates the ACL');
  });

  it('refuses a limit below the AWS minimum and a window AWS does not offer', () => {
    assertValidationError(() => new EdgeWafAcl('low', { requestsPerIp: 5 }), 'ml-platform:aws:EdgeWafAcl(low)', "'requestsPerIp' (5)", 'from 10');
    assertValidationError(() => new EdgeWafAcl('window', { evaluationWindowSeconds: 90 as 60 }), 'ml-platform:aws:EdgeWafAcl(window)', "'evaluationWindowSeconds' (90)", 'must be 60, 120, 300 or 600');
  });
});
