import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AutoscaledModel, AutoscaledModelProps } from '../serving/autoscaled-model';
import { PropsValidator } from '../core/errors';
import { CostPresetSettings } from '../policy/presets';

/** One model of a {@link ServingChart}: its id is its name. */
export interface ServingModel extends AutoscaledModelProps {
  /** Construct id and object name of the model service. */
  readonly id: string;
}

/** AWS values a model's Kubernetes objects need (from Pulumi outputs, or literal values in a GitOps repo). */
export interface ModelAwsBinding {
  /** IRSA role ARN, annotated on the model's ServiceAccount. */
  readonly roleArn: string;
  /** `s3://bucket/prefix/` of the model artifacts, passed to the server as `MODEL_URI`. */
  readonly modelUri: string;
}

/** Properties of a {@link ServingChart}. */
export interface ServingChartProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** The models to serve. */
  readonly models: readonly ServingModel[];
  /** Preset of models that set none. @default - each model's own default (PRODUCTION) */
  readonly preset?: CostPresetSettings;
  /** AWS bindings by model id. @default - none: no IRSA annotation, no MODEL_URI */
  readonly aws?: Readonly<Record<string, ModelAwsBinding>>;
  /** Render the Namespace (Pod Security `restricted` enforced). @default true */
  readonly createNamespace?: boolean;
}

/**
 * The serving plane of a platform as one chart: a namespace that enforces
 * Pod Security "restricted" and an {@link AutoscaledModel} per model, bound
 * to its AWS role and artifacts when `aws` is given. The same class renders
 * for `cdk8s synth` and, through {@link ChartDeployment}, for `pulumi up`.
 */
export class ServingChart extends Chart {
  /** The model services by id. */
  public readonly models: Readonly<Record<string, AutoscaledModel>>;
  /** The namespace, when rendered. */
  public readonly namespaceObject?: kplus.Namespace;

  constructor(scope: Construct, id: string, props: ServingChartProps) {
    super(scope, id, { namespace: props.namespace });
    const v: PropsValidator = new PropsValidator(this);
    v.dnsLabel('namespace', props.namespace);
    v.check(props.models.length > 0, 'models', props.models, 'must list at least one model');
    const ids = props.models.map((m) => m.id);
    const duplicate = ids.find((x, i) => ids.indexOf(x) !== i);
    v.check(duplicate === undefined, 'models', duplicate, 'model ids must be unique');
    for (const key of Object.keys(props.aws ?? {})) {
      v.check(ids.includes(key), `aws.${key}`, key, `names no model (models: ${ids.join(', ')})`);
    }

    if (props.createNamespace ?? true) {
      this.namespaceObject = new kplus.Namespace(this, 'Namespace', {
        metadata: {
          name: props.namespace,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'v1.28',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
      // Namespaces are cluster-scoped: drop the chart namespace cdk8s stamps on every object.
      ApiObject.of(this.namespaceObject).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    const models: Record<string, AutoscaledModel> = {};
    for (const { id: modelId, ...modelProps } of props.models) {
      const binding = props.aws?.[modelId];
      models[modelId] = new AutoscaledModel(this, modelId, {
        preset: props.preset,
        ...modelProps,
        serviceAccountAnnotations: {
          ...modelProps.serviceAccountAnnotations,
          ...(binding ? { 'eks.amazonaws.com/role-arn': binding.roleArn } : {}),
        },
        env: { ...modelProps.env, ...(binding ? { MODEL_URI: binding.modelUri } : {}) },
        networkPolicy: binding ? {
          ...modelProps.networkPolicy,
          // S3 and STS (IRSA token exchange) are reached over HTTPS on public AWS endpoints.
          allowTo: [...(modelProps.networkPolicy?.allowTo ?? []), { cidr: '0.0.0.0/0', ports: [443] }],
        } : modelProps.networkPolicy,
      });
    }
    this.models = models;
  }
}
