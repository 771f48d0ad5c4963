import * as wafv2 from '@pulumi/aws/wafv2';
import * as pulumi from '@pulumi/pulumi';
import { PropsValidator } from '../core/errors';

/** Arguments of an {@link EdgeWafAcl}. */
export interface EdgeWafAclArgs {
  /** Requests one client IP may send per evaluation window before it is blocked (AWS WAF minimum 10). @default 2000 */
  readonly requestsPerIp?: number;
  /** Evaluation window of the rate-based rule in seconds (60, 120, 300 or 600). @default 300 */
  readonly evaluationWindowSeconds?: 60 | 120 | 300 | 600;
  /** Also apply AWS's managed common rule set (`AWSManagedRulesCommonRuleSet`: oversized bodies, XSS, bad inputs) and known-bad-inputs set. @default true */
  readonly managedRules?: boolean;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A regional AWS WAFv2 web ACL for the model gateway's ALB: a rate-based
 * rule blocking client IPs above a request rate, and optionally AWS's managed
 * common and known-bad-inputs rule sets. Pass `webAclArn` to
 * `ModelGateway`'s `loadBalancer.wafAclArn`: the AWS Load Balancer Controller
 * associates it with the ALB it creates (annotation
 * `alb.ingress.kubernetes.io/wafv2-acl-arn`), so no ALB ARN is needed here.
 * The ALB-level rate limit is per client IP and account-wide; the gateway's
 * local rate limit (per route) applies behind it.
 */
export class EdgeWafAcl extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:aws:EdgeWafAcl';

  /** ARN of the web ACL. */
  public readonly webAclArn: pulumi.Output<string>;
  /** The web ACL (escape hatch). */
  public readonly webAcl: wafv2.WebAcl;

  constructor(name: string, args: EdgeWafAclArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(`${EdgeWafAcl.TYPE}(${name})`);
    const limit = v.integer('requestsPerIp', args.requestsPerIp ?? 2000, 10, 2_000_000_000);
    const window = args.evaluationWindowSeconds ?? 300;
    v.check([60, 120, 300, 600].includes(window), 'evaluationWindowSeconds', window, 'must be 60, 120, 300 or 600');
    super(EdgeWafAcl.TYPE, name, {}, opts);
    const metric = (rule: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${name}-${rule}` });
    // The common rule set blocks bodies over 8 KB (SizeRestrictions_BODY); model payloads are larger, and the
    // gateway enforces the body limit per route, so that one rule only counts.
    const managed = (priority: number, group: string, countOnly: readonly string[] = []) => ({
      name: group, priority, overrideAction: { none: {} }, visibilityConfig: metric(group),
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group, ruleActionOverrides: countOnly.map((rule) => ({ name: rule, actionToUse: { count: {} } })) } },
    });
    this.webAcl = new wafv2.WebAcl(`${name}-acl`, {
      scope: 'REGIONAL',
      description: 'Model gateway ALB: per-IP rate limit and managed input rules (ml-platform-constructs)',
      defaultAction: { allow: {} },
      visibilityConfig: metric('acl'),
      rules: [
        {
          name: 'rate-per-ip', priority: 0, action: { block: {} }, visibilityConfig: metric('rate-per-ip'),
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: window } },
        },
        ...(args.managedRules ?? true ? [managed(1, 'AWSManagedRulesCommonRuleSet', ['SizeRestrictions_BODY']), managed(2, 'AWSManagedRulesKnownBadInputsRuleSet')] : []),
      ],
      tags: { ...args.tags },
    }, { parent: this });
    this.webAclArn = this.webAcl.arn;
    this.registerOutputs({ webAclArn: this.webAclArn });
  }
}
