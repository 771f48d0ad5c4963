import { Duration, Size } from 'cdk8s';
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

/**
 * Renders a value for an error message: strings quoted, numbers as written
 * (`NaN`, `Infinity` too), Durations human-readable (`5m`), Sizes in their
 * Kubernetes form (`512Mi`), other objects as JSON, long values cut.
 */
export function formatValue(value: unknown): string {
  let text: string;
  if (value === undefined) {
    text = 'unset';
  } else if (typeof value === 'string') {
    text = JSON.stringify(value);
  } else if (typeof value === 'number') {
    text = String(value);
  } else {
    const marked = JSON.stringify(value, (_key, x: unknown) => readable(x)) ?? typeof value;
    // The readable forms of NaN and Durations were marked as strings; print them bare.
    text = marked.replace(/"\uE000([^"]*)"/g, '$1');
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** JSON.stringify replacer: non-finite numbers, Durations and Sizes become marked strings of their readable form. */
function readable(x: unknown): unknown {
  if (typeof x === 'number' && !Number.isFinite(x)) {
    return `\uE000${String(x)}`;
  }
  if (x instanceof Duration) {
    return `\uE000${safely(() => x.toHumanString())}`;
  }
  if (x instanceof Size) {
    return `\uE000${safely(() => x.asString())}`;
  }
  return x;
}

function safely(render: () => string): string {
  try {
    return render();
  } catch {
    return 'an invalid amount';
  }
}

/**
 * Several {@link ValidationError}s reported together: every problem a chart
 * has at synth. It is a `ValidationError` itself (its fields are those of the
 * first problem); `errors` lists each, and the message has one line per error.
 */
export class ValidationErrors extends ValidationError {
  /** Every problem, in construct-tree order. */
  public readonly errors: readonly ValidationError[];

  constructor(errors: readonly ValidationError[]) {
    const [first] = errors;
    if (!first) {
      throw new Error('ValidationErrors needs at least one error');
    }
    super(first.constructPath, first.property, first.value, first.rule);
    this.name = 'ValidationErrors';
    this.errors = [...errors];
    this.message = `${errors.length} invalid ${errors.length === 1 ? 'property' : 'properties'}:\n${errors.map((e) => `  ${e.message}`).join('\n')}`;
  }
}

/**
 * Throws the one error of `errors`, or a {@link ValidationErrors} listing all
 * of them; does nothing when there is none.
 */
export function throwAll(errors: readonly ValidationError[]): void {
  if (errors.length === 1) {
    throw errors[0];
  }
  if (errors.length > 1) {
    throw new ValidationErrors(errors);
  }
}

const SYNTH_CHECKS = new WeakMap<IConstruct, Array<() => readonly ValidationError[]>>();

/**
 * Registers a check that runs at synth, after every construct exists, so a
 * rule across constructs does not depend on the order they were created in.
 * cdk8s runs it (`node.addValidation`) with every other validation of the app
 * and reports all problems in one error; {@link validationErrors} returns
 * them as structured {@link ValidationError}s.
 */
export function addSynthCheck(scope: IConstruct, check: () => readonly ValidationError[]): void {
  const checks = SYNTH_CHECKS.get(scope) ?? [];
  checks.push(check);
  SYNTH_CHECKS.set(scope, checks);
  scope.node.addValidation({ validate: () => check().map((e) => e.message) });
}

/**
 * Every problem of the constructs under `root` (an app or a chart) found by
 * the library's synth-time checks ({@link addSynthCheck}), plus any other
 * construct validation (cdk8s, cdk8s-plus, your own) as a ValidationError of
 * property `(validation)`.
 */
export function validationErrors(root: IConstruct): ValidationError[] {
  const out: ValidationError[] = [];
  for (const c of root.node.findAll()) {
    const structured = (SYNTH_CHECKS.get(c) ?? []).flatMap((check) => check());
    const known = new Set(structured.map((e) => e.message));
    out.push(...structured);
    for (const message of c.node.validate()) {
      if (!known.has(message)) {
        out.push(new ValidationError(c.node.path, '(validation)', undefined, message));
      }
    }
  }
  return out;
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

  /** A Kubernetes DNS-1123 label (namespace names): lower-case alphanumerics and '-', starting and ending with one, at most 63. */
  public dns1123Label(property: string, value: string): string {
    this.check(typeof value === 'string' && isDns1123Label(value), property, value,
      "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters");
    return value;
  }

  /**
   * Runs `convert` (a cdk8s conversion of `value`, such as
   * `duration.toSeconds()` or `Size.mebibytes(n)`) and re-throws what cdk8s
   * rejects (a negative amount, a fraction of a unit) as a ValidationError
   * naming `property`.
   */
  public convert<T>(property: string, value: unknown, convert: () => T): T {
    try {
      return convert();
    } catch (e) {
      if (e instanceof ValidationError) {
        throw e;
      }
      return this.fail(property, value, `is rejected by cdk8s: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** A Duration in whole seconds within [min, max] (cdk8s's own refusals re-thrown as ValidationErrors of `property`). */
  public seconds(property: string, value: Duration, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
    return this.integer(property, this.convert(property, value, () => value.toSeconds()), min, max);
  }
}

/** Whether `value` is a DNS-1123 label (RFC 1123: what Kubernetes requires of namespace names). */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS_1123_LABEL.test(value);
}

/** Whether `value` is a DNS-1123 subdomain (what Kubernetes requires of most object names). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS_1123_SUBDOMAIN.test(value);
}

/** Whether `value` is a DNS-1035 label (what Kubernetes requires of Service names). */
export function isDns1035Label(value: string): boolean {
  return value.length <= 63 && DNS_1035_LABEL.test(value);
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
