import { App } from 'cdk8s';
import { throwAll, validationErrors } from './errors';
import { isRecord } from './json';

/** A Kubernetes object as synthesized (plain JSON). */
export interface KubernetesObject {
  /** API group and version. */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Metadata (name, namespace, labels, annotations). */
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
  /** Everything else. */
  readonly [key: string]: unknown;
}

/**
 * Synthesizes every chart of `app` to plain objects, running the same
 * dependency resolution and construct validations as `cdk8s synth`, without
 * writing files.
 * @throws ValidationError for the one problem of the app, or a
 *   `ValidationErrors` listing every problem (path, property, value, rule).
 */
export function synthObjects(app: App): KubernetesObject[] {
  throwAll(validationErrors(app));
  // synthYaml() runs resolveDependencies + validate over the whole app; it
  // throws with every validation error. The YAML itself is not needed.
  app.synthYaml();
  const objects = app.charts.flatMap((chart): unknown[] => chart.toJson());
  return objects.map((o) => {
    if (!isKubernetesObject(o)) {
      throw new Error(`cdk8s synthesized something that is not a Kubernetes object: ${JSON.stringify(o)}`);
    }
    return o;
  });
}

/** Whether `x` has the shape of a Kubernetes object (an `apiVersion` and a `kind`). */
export function isKubernetesObject(x: unknown): x is KubernetesObject {
  return isRecord(x) && typeof x.apiVersion === 'string' && typeof x.kind === 'string'
    && (x.metadata === undefined || isRecord(x.metadata));
}
