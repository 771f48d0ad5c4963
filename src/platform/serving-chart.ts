import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AutoscaledModel, AutoscaledModelProps } from '../serving/autoscaled-model';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { podSecurityNamespace } from '../kube/pod-security';
import { CostPresetSettings } from '../policy/presets';
import { ModelAwsBinding, bindModel, validateModelIds } from './models';

export { ModelAwsBinding } from './models';

/** One model of a {@link ServingChart}: its id is its name. */
export interface ServingModel extends AutoscaledModelProps {
  /** Construct id and object name of the model service. */
  readonly id: string;
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
 * for `cdk8s synth` and, through `ChartDeployment` (`ml-platform-constructs/pulumi`), for `pulumi up`.
 */
export class ServingChart extends Chart {
  /** The model services by id. */
  public readonly models: Readonly<Record<string, AutoscaledModel>>;
  /** The namespace, when rendered. */
  public readonly namespaceObject?: kplus.Namespace;

  constructor(scope: Construct, id: string, props: ServingChartProps) {
    super(scope, id, { namespace: props.namespace });
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    v.dnsLabel('namespace', props.namespace);
    validateModelIds(v, props.models.map((m) => m.id), 'aws', props.aws);

    if (props.createNamespace ?? true) {
      this.namespaceObject = podSecurityNamespace(this, props.namespace, { warn: true });
    }
    const models: Record<string, AutoscaledModel> = {};
    for (const { id: modelId, ...modelProps } of props.models) {
      models[modelId] = new AutoscaledModel(this, modelId, bindModel({ preset: props.preset, ...modelProps }, props.aws?.[modelId]));
    }
    this.models = models;
  }
}
