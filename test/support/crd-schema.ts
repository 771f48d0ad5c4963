import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/**
 * Validation against a CRD's openAPIV3Schema, for kinds without a
 * `@kubernetes-models/*` package (Velero, Feast, Argo CD Application,
 * Flux Kustomization): the vendored upstream CRD
 * files in crds/ (tests never read ../shared). Strict, as
 * `kubectl apply` with field validation: every object schema with
 * `properties` rejects unknown fields unless it preserves them. CEL rules
 * (`x-kubernetes-validations`) are not evaluated.
 */
const CRD_FILES: Readonly<Record<string, string>> = {
  'velero.io/v1/Schedule': 'velero/velero.io_schedules.yaml',
  'velero.io/v1/Restore': 'velero/velero.io_restores.yaml',
  'feast.dev/v1/FeatureStore': 'feast/feast.dev_featurestores.yaml',
  'argoproj.io/v1alpha1/Application': 'argo-cd/application-crd.yaml',
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': 'flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
  'telemetry.istio.io/v1/Telemetry': 'istio/telemetry.istio.io_telemetries.yaml',
};

interface CrdDocument {
  readonly spec: { readonly versions: ReadonlyArray<{ readonly name: string; readonly schema: { readonly openAPIV3Schema: Record<string, unknown> } }> };
}

const validators = new Map<string, ValidateFunction>();

/** The validator of `apiVersion/kind`, or undefined when no CRD file is known for it. */
export function crdValidator(apiVersionKind: string): ValidateFunction | undefined {
  const file = CRD_FILES[apiVersionKind];
  if (!file) {
    return undefined;
  }
  let validate = validators.get(apiVersionKind);
  if (!validate) {
    const version = apiVersionKind.split('/').slice(-2, -1)[0];
    const crd = parse(readFileSync(join(__dirname, '..', '..', 'crds', file), 'utf8')) as CrdDocument;
    const schema = crd.spec.versions.find((v) => v.name === version)?.schema.openAPIV3Schema;
    if (!schema) {
      throw new Error(`${file} has no version ${version}`);
    }
    // Kubernetes extensions (x-kubernetes-*) are unknown keywords to ajv, and formats such as int32 are advisory.
    // The API server accepts apiVersion, kind and metadata on every object; some CRDs (Istio's) do not list them at the root.
    const root = { ...schema, properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(schema.properties as object | undefined) } };
    validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(strictSchema(root) as object);
    validators.set(apiVersionKind, validate);
  }
  return validate;
}

/** Throws listing every schema violation of `object` against its CRD. */
export function assertMatchesCrd(object: { apiVersion: string; kind: string; metadata?: { name?: string } }): void {
  const validate = crdValidator(`${object.apiVersion}/${object.kind}`);
  if (!validate) {
    throw new Error(`no CRD schema for ${object.apiVersion}/${object.kind}`);
  }
  const label = `${object.kind}/${object.metadata?.name}`;
  if (!validate(object)) {
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`${label} does not match its CRD schema:\n- ${errors.join('\n- ')}`);
  }
}

function strictSchema(node: unknown): unknown {
  if (Array.isArray(node)) {
    return node.map(strictSchema);
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    out[key] = key === 'properties' && value && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, strictSchema(v)]))
      : strictSchema(value);
  }
  if (out.properties !== undefined && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}
