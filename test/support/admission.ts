/**
 * Evaluates a rendered ValidatingAdmissionPolicy against a request the way
 * the API server does (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/),
 * with the CEL evaluator @bufbuild/cel: `matchConditions` decide whether the
 * policy applies, `variables` are evaluated in order and bound as
 * `variables.<name>`, and every validation must evaluate to true; with
 * `failurePolicy: Fail` an evaluation error denies the request too. JSON
 * integers are bound as CEL ints (as Kubernetes does), objects as maps.
 */
import { CelError, CelInput, CelValue, isCelError, run } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

/** An admission request, as far as the policies read it. */
export interface AdmissionRequest {
  /** The new object (null on DELETE). */
  readonly object: unknown;
  /** The existing object (null on CREATE). */
  readonly oldObject: unknown;
  /** `request.operation`. */
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE';
  /** `request.userInfo.username`. */
  readonly username: string;
}

/** The outcome: whether the policy applied, and the messages of the failed validations (errors included). */
export interface AdmissionOutcome {
  readonly matched: boolean;
  readonly denied: readonly string[];
}

/** A JSON value as a CEL input: objects as Maps, integers as bigint. */
export function toCelInput(v: unknown): CelInput {
  if (Array.isArray(v)) return v.map(toCelInput);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, toCelInput(x)]));
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  throw new Error(`not JSON: ${typeof v}`);
}

interface PolicySpec {
  readonly matchConditions?: ReadonlyArray<{ readonly expression: string }>;
  readonly variables?: ReadonlyArray<{ readonly name: string; readonly expression: string }>;
  readonly validations: ReadonlyArray<{ readonly expression: string; readonly message: string }>;
}

/** Evaluates `policy` (a rendered ValidatingAdmissionPolicy) for `req`. */
export function evaluatePolicy(policy: { readonly spec: PolicySpec }, req: AdmissionRequest): AdmissionOutcome {
  const variables = new Map<string, CelValue>();
  const bindings: Record<string, CelInput> = {
    object: toCelInput(req.object),
    oldObject: toCelInput(req.oldObject),
    request: toCelInput({ operation: req.operation, userInfo: { username: req.username }, subResource: '' }),
    variables,
  };
  const evaluate = (expression: string): CelValue | CelError | Error => {
    try {
      return run(expression, bindings, { funcs: strings });
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };
  for (const c of policy.spec.matchConditions ?? []) {
    const r = evaluate(c.expression);
    if (isCelError(r) || r instanceof Error) throw new Error(`matchCondition ${c.expression} failed: ${String(r)}`);
    if (r !== true) return { matched: false, denied: [] };
  }
  for (const x of policy.spec.variables ?? []) {
    const value = evaluate(x.expression);
    if (isCelError(value) || value instanceof Error) throw new Error(`variable ${x.name} failed: ${String(value)}`);
    variables.set(x.name, value);
  }
  const denied = policy.spec.validations.filter((x) => evaluate(x.expression) !== true).map((x) => x.message);
  return { matched: true, denied };
}
