import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * The one error type for invalid construct props.
 *
 * Its message names the construct path, the property, the bad value and what
 * is allowed, for example:
 * `churn/churn-model: invalid 'autoscaling.minReplicas' (5): must be <= 'autoscaling.maxReplicas' (3)`.
 */
export class ValidationError extends Error {
  /** Path of the construct that rejected its props. */
  public readonly constructPath: string;
  /** Dotted name of the rejected property. */
  public readonly property: string;
  /** The rejected value. */
  public readonly value: unknown;
  /** What is allowed. */
  public readonly rule: string;

  constructor(constructPath: string, property: string, value: unknown, rule: string) {
    super(`${constructPath}: invalid '${property}' (${formatValue(value)}): ${rule}`);
    this.name = 'ValidationError';
    this.constructPath = constructPath;
    this.property = property;
    this.value = value;
    this.rule = rule;
  }
}

/** Renders a value for an error message: strings quoted, objects as JSON, long values cut. */
export function formatValue(value: unknown): string {
  let text: string;
  if (value === undefined) {
    text = 'unset';
  } else if (typeof value === 'string') {
    text = JSON.stringify(value);
  } else if (value instanceof Duration) {
    text = value.toHumanString();
  } else {
    text = JSON.stringify(value) ?? typeof value;
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Checks props for one construct and throws a {@link ValidationError} that
 * names the construct. Each check returns the value so it can be used inline.
 */
export class PropsValidator {
  private readonly path: string;

  /**
   * @param scope the construct, or for a Pulumi component its `type(name)` label
   */
  constructor(scope: IConstruct | string) {
    this.path = typeof scope === 'string' ? scope : scope.node.path;
  }

  /** Throws for `property` with `value` and the rule. */
  public fail(property: string, value: unknown, rule: string): never {
    throw new ValidationError(this.path, property, value, rule);
  }

  /** Fails unless `condition` holds; TypeScript narrows on it afterwards. */
  public check(condition: boolean, property: string, value: unknown, rule: string): asserts condition {
    if (!condition) {
      this.fail(property, value, rule);
    }
  }

  /** An integer within [min, max]. */
  public integer(property: string, value: number, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
    this.check(Number.isInteger(value) && value >= min && value <= max, property, value,
      max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`);
    return value;
  }

  /** A finite number strictly greater than zero. */
  public positive(property: string, value: number): number {
    this.check(Number.isFinite(value) && value > 0, property, value, 'must be a finite number > 0');
    return value;
  }

  /** A finite number within [min, max]. */
  public range(property: string, value: number, min: number, max: number): number {
    this.check(Number.isFinite(value) && value >= min && value <= max, property, value, `must be a number from ${min} to ${max}`);
    return value;
  }

  /** A string matching `pattern`; `rule` says in words what is allowed. */
  public matches(property: string, value: string, pattern: RegExp, rule: string): string {
    this.check(typeof value === 'string' && pattern.test(value), property, value, rule);
    return value;
  }

  /** A non-empty string without leading or trailing white space. */
  public nonEmpty(property: string, value: string): string {
    this.check(typeof value === 'string' && value.trim().length > 0 && value.trim() === value, property, value,
      'must be a non-empty string without leading or trailing white space');
    return value;
  }

  /** A Kubernetes DNS-1035 label (Service names): lower case alphanumerics and '-', starting with a letter, at most `maxLength`. */
  public dnsLabel(property: string, value: string, maxLength = 63): string {
    this.check(typeof value === 'string' && value.length <= maxLength && DNS_1035_LABEL.test(value), property, value,
      `must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter, ending with a letter or digit, at most ${maxLength} characters`);
    return value;
  }

  /** A Kubernetes DNS-1123 subdomain (most object names): at most 253 characters. */
  public dnsSubdomain(property: string, value: string): string {
    this.check(typeof value === 'string' && value.length <= 253 && DNS_1123_SUBDOMAIN.test(value), property, value,
      "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters");
    return value;
  }
}

const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
