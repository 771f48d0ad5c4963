import { App } from 'cdk8s';

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
 */
export function synthObjects(app: App): KubernetesObject[] {
  // synthYaml() runs resolveDependencies + validate over the whole app; it
  // throws with every validation error. The YAML itself is not needed.
  app.synthYaml();
  return app.charts.flatMap((chart) => chart.toJson() as KubernetesObject[]);
}
