import { AutoscaledModelProps } from '../serving/autoscaled-model';
import { PropsValidator } from '../core/errors';
import { irsaAnnotations } from '../core/labels';

/** AWS values a model's Kubernetes objects need (from Pulumi outputs, or literal values in a GitOps repo). */
export interface ModelAwsBinding {
  /** IRSA role ARN, annotated on the model's ServiceAccount. */
  readonly roleArn: string;
  /** `s3://bucket/prefix/` of the model artifacts, passed to the server as `MODEL_URI`. */
  readonly modelUri: string;
}

/**
 * Checks the models of a chart: at least one, unique ids, and a binding
 * (under `bindingsProperty`) only for a model that exists.
 */
export function validateModelIds(v: PropsValidator, ids: readonly string[], bindingsProperty: string, bindings: Readonly<Record<string, unknown>> = {}): void {
  v.check(ids.length > 0, 'models', [], 'must list at least one model');
  const duplicate = ids.find((x, i) => ids.indexOf(x) !== i);
  v.check(duplicate === undefined, 'models', duplicate, 'model ids must be unique');
  for (const key of Object.keys(bindings)) {
    v.check(ids.includes(key), `${bindingsProperty}.${key}`, key, `names no model (models: ${ids.join(', ')})`);
  }
}

/**
 * A model's props with its AWS binding applied: the IRSA role on its
 * ServiceAccount, `MODEL_URI` in its environment, and HTTPS egress to the
 * public AWS endpoints (S3, and STS for the IRSA token exchange).
 */
export function bindModel<P extends AutoscaledModelProps>(props: P, binding: ModelAwsBinding | undefined): P {
  return {
    ...props,
    serviceAccountAnnotations: { ...props.serviceAccountAnnotations, ...(binding ? irsaAnnotations(binding.roleArn) : {}) },
    env: { ...props.env, ...(binding ? { MODEL_URI: binding.modelUri } : {}) },
    networkPolicy: binding ? {
      ...props.networkPolicy,
      // S3 and STS (IRSA token exchange) are reached over HTTPS on public AWS endpoints.
      allowTo: [...(props.networkPolicy?.allowTo ?? []), { cidr: '0.0.0.0/0', ports: [443] }],
    } : props.networkPolicy,
  };
}
