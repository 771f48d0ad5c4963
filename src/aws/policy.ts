import * as pulumi from '@pulumi/pulumi';
import { PropsValidator } from '../core/errors';
import { validateS3Uri } from '../core/url';

/** One IAM policy statement; resources may be Pulumi outputs (ARNs of resources being created). */
export interface PolicyStatement {
  /** Statement id. @default - none */
  readonly sid?: string;
  /** Allow or Deny. @default 'Allow' */
  readonly effect?: 'Allow' | 'Deny';
  /** IAM actions, for example `s3:GetObject`. A lone `*` is refused. */
  readonly actions: readonly string[];
  /** Resource ARNs (or patterns). */
  readonly resources: readonly pulumi.Input<string>[];
  /** IAM conditions, `{ operator: { key: value } }`. @default - none */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string | readonly string[]>>>>>;
}

/**
 * Enforces least privilege at construction: no `*` action anywhere, and no
 * service-wide wildcard action (`s3:*`) on a `*` resource.
 */
export function validateStatements(v: PropsValidator, property: string, statements: readonly PolicyStatement[]): void {
  v.check(statements.length > 0, property, statements, 'must contain at least one statement');
  statements.forEach((s, i) => {
    v.check(s.actions.length > 0, `${property}[${i}].actions`, s.actions, 'must name at least one action');
    v.check(s.resources.length > 0, `${property}[${i}].resources`, s.resources, 'must name at least one resource');
    for (const action of s.actions) {
      v.check(action !== '*' && /^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(action), `${property}[${i}].actions`, action,
        "must be 'service:Action' (least privilege: no '*' action)");
    }
    const wildcardResource = s.resources.some((r) => r === '*');
    const wildcardAction = s.actions.some((a) => a.endsWith(':*'));
    v.check(!(wildcardResource && wildcardAction), `${property}[${i}]`, s.actions,
      "grants a service-wide wildcard action on resource '*'; name the resources");
  });
}

/** Options of {@link policyDocument}. */
export interface PolicyDocumentOptions {
  /** `Principal` of every statement (resource policies such as bucket policies need one). @default - none (an identity policy) */
  readonly principal?: string;
}

/** An IAM policy document (JSON string output) from statements, keys in a stable order. */
export function policyDocument(statements: readonly PolicyStatement[], options: PolicyDocumentOptions = {}): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      ...(s.sid ? { Sid: s.sid } : {}),
      Effect: s.effect ?? 'Allow',
      ...(options.principal !== undefined ? { Principal: options.principal } : {}),
      Action: [...s.actions],
      Resource: [...s.resources],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/** `type(name)` label of a Pulumi component, used as the path in validation errors. */
export function componentLabel(type: string, name: string): string {
  return `${type}(${name})`;
}

/**
 * Read-only statements for `s3://bucket/prefix/` locations (GetObject under
 * the prefix, ListBucket limited to it). Invalid URIs fail `property[i]`.
 */
export function s3PrefixReadStatements(v: PropsValidator, property: string, uris: readonly string[], sidPrefix = 'Read'): PolicyStatement[] {
  return uris.flatMap((uri, i) => {
    validateS3Uri(v, `${property}[${i}]`, uri, 'prefix');
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/((?:[^/\s]+\/)*)$/.exec(uri);
    if (!m) {
      return v.fail(`${property}[${i}]`, uri, "must be an S3 prefix: s3://bucket/prefix/ (ending with '/')");
    }
    const [, bucket, prefix] = m;
    return [
      { sid: `${sidPrefix}Objects${i}`, actions: ['s3:GetObject'], resources: [`arn:aws:s3:::${bucket}/${prefix}*`] },
      { sid: `${sidPrefix}List${i}`, actions: ['s3:ListBucket'], resources: [`arn:aws:s3:::${bucket}`], ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}) },
    ];
  });
}

/** Options of {@link serviceTrustPolicy}. */
export interface ServiceTrustOptions {
  /** The account the service must act for (`aws:SourceAccount`). */
  readonly sourceAccount: pulumi.Input<string>;
  /** The resource the service must act for (`aws:SourceArn`, ArnLike). @default - any resource of the account */
  readonly sourceArn?: pulumi.Input<string>;
}

/**
 * The trust policy of a service role: exactly one principal (the service),
 * `sts:AssumeRole` only, and the cross-service confused-deputy conditions
 * `aws:SourceAccount` (and `aws:SourceArn` when known), so the service can
 * assume the role only on behalf of this account's resources.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention
 */
export function serviceTrustPolicy(service: string, options: ServiceTrustOptions): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: { 'aws:SourceAccount': options.sourceAccount },
        ...(options.sourceArn !== undefined ? { ArnLike: { 'aws:SourceArn': options.sourceArn } } : {}),
      },
    }],
  });
}

/**
 * An explicit KMS key policy: the owning account may use IAM policies for
 * the key (the statement KMS's own default policy has, written out so it is
 * reviewed and tested, not implied), and nothing else: no other account or
 * service principal is named, so only identity policies of this account's
 * roles (least privilege, per role) grant use of the key.
 *
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
 */
export function kmsKeyPolicy(account: pulumi.Input<string>, partition: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [{
      Sid: 'EnableIamPoliciesOfThisAccount',
      Effect: 'Allow',
      Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    }],
  });
}
