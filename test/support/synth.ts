import { App, Chart, Testing } from 'cdk8s';
import { synthObjects } from '../../src';
import { setObservabilityLinks } from '../../src/monitoring/links';
import { ManifestObject, validateManifests } from './schema';

/** The alert links every test app sets (PRODUCTION requires absolute ones). */
export const TEST_LINKS = { grafanaUrl: 'https://grafana.example.com', runbookBaseUrl: 'https://git.example.com/ml-gitops/blob/main/dist/runbooks' } as const;

/** A fresh app (with {@link TEST_LINKS}) and a chart with a namespace, like a user's. */
export function testChart(namespace = 'ml-test', id = 'test'): { app: App; chart: Chart } {
  const app = Testing.app();
  setObservabilityLinks(app, TEST_LINKS);
  const chart = new Chart(app, id, { namespace });
  return { app, chart };
}

/**
 * Synthesizes a chart and validates every object against the Kubernetes and
 * CRD schemas; every construct test goes through here.
 */
export async function synthValid(chart: Chart, unvalidated: readonly string[] = []): Promise<ManifestObject[]> {
  // Through the app, as `cdk8s synth` does: construct validations (for example
  // cdk8s-plus's HPA checks) run too, which a bare chart.toJson() skips.
  const objects = synthObjects(chart.node.root as App) as ManifestObject[];
  await validateManifests(objects, unvalidated);
  return objects;
}

/** The one object of `kind` named `name`; throws when there is none or more than one. */
export function findObject(objects: readonly ManifestObject[], kind: string, name: string): Record<string, any> {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1) {
    const have = objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ');
    throw new Error(`expected exactly one ${kind}/${name}, found ${found.length} (objects: ${have})`);
  }
  return found[0] as Record<string, any>;
}

/** Every object of `kind`. */
export function objectsOfKind(objects: readonly ManifestObject[], kind: string): Array<Record<string, any>> {
  return objects.filter((o) => o.kind === kind) as Array<Record<string, any>>;
}

/** `Kind/name` of every object, sorted. */
export function inventory(objects: readonly ManifestObject[]): string[] {
  return objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
}

/** A bare cdk8s App with {@link TEST_LINKS} set, for tests that build their own charts. */
export function linkedApp(props: ConstructorParameters<typeof App>[0] = {}): App {
  const app = new App(props);
  setObservabilityLinks(app, TEST_LINKS);
  return app;
}
