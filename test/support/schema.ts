/**
 * Schema validation of synthesized manifests against the Kubernetes API
 * schemas (`kubernetes-models`), the CRD schemas (`@kubernetes-models/*`),
 * and, for kinds without such a package (Velero, Feast, Argo CD Application,
 * Flux Kustomization), the upstream CRD files (`crd-schema.ts`). Argo CD's
 * `argoproj.io` group shares its module with Argo Rollouts, which has no
 * `Application` model, so Applications fall through to their CRD file.
 *
 * Every object must have a validator: an apiVersion/kind this helper cannot
 * validate fails, unless the caller lists it in `unvalidated` (with a reason).
 */

import { assertMatchesCrd, crdValidator } from './crd-schema';

/** A Kubernetes object as synthesized. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

interface ModelModule {
  readonly [kind: string]: unknown;
}

/** Module that holds the models of an API group version. */
function modulePath(apiVersion: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === '' || !group.includes('.') || group.endsWith('.k8s.io')) {
    return group === '' ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
  }
  const packages: Record<string, string> = {
    'argoproj.io': '@kubernetes-models/argo-rollouts',
    'networking.istio.io': '@kubernetes-models/istio',
    'karpenter.sh': '@kubernetes-models/karpenter',
    'karpenter.k8s.aws': '@kubernetes-models/karpenter',
    'keda.sh': '@kubernetes-models/keda',
    'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
    'external-secrets.io': '@kubernetes-models/external-secrets',
  };
  const pkg = packages[group];
  return pkg ? `${pkg}/${group}/${version}` : undefined;
}

const modules = new Map<string, Promise<ModelModule | undefined>>();

async function loadModule(path: string): Promise<ModelModule | undefined> {
  let loading = modules.get(path);
  if (!loading) {
    // kubernetes-models 5 and the CRD packages are ESM-only: a dynamic import
    // is the way to load them from this CommonJS project.
    loading = import(path).then((m: ModelModule) => m, () => undefined);
    modules.set(path, loading);
  }
  return loading;
}

/** Thrown when objects fail validation; lists every failure. */
export class SchemaValidationError extends Error {}

/**
 * Validates every object. Throws a {@link SchemaValidationError} naming each
 * object (kind/namespace/name) that fails its schema or has no validator.
 *
 * @param unvalidated `apiVersion/kind` strings allowed without a validator.
 */
export async function validateManifests(objects: readonly ManifestObject[], unvalidated: readonly string[] = []): Promise<number> {
  const failures: string[] = [];
  for (const obj of objects) {
    const id = `${obj.apiVersion}/${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? '<no name>'}`;
    const path = typeof obj.apiVersion === 'string' ? modulePath(obj.apiVersion) : undefined;
    const mod = path ? await loadModule(path) : undefined;
    const Model = mod?.[obj.kind] as (new (data: unknown) => { validate(): void }) | undefined;
    const crd = Model ? undefined : crdValidator(`${obj.apiVersion}/${obj.kind}`);
    if (crd) {
      try {
        assertMatchesCrd(JSON.parse(JSON.stringify(obj)) as ManifestObject);
      } catch (err) {
        failures.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
      continue;
    }
    if (!Model) {
      if (!unvalidated.includes(`${obj.apiVersion}/${obj.kind}`)) {
        failures.push(`${id}: no schema to validate this kind against (list it in 'unvalidated' with a reason if that is intended)`);
      }
      continue;
    }
    try {
      new Model(JSON.parse(JSON.stringify(obj))).validate();
    } catch (err) {
      failures.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failures.length > 0) {
    throw new SchemaValidationError(`${failures.length} object(s) failed schema validation:\n- ${failures.join('\n- ')}`);
  }
  return objects.length;
}
