import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { KubernetesObject, synthObjects } from '../core/synth';

/** Builds the cdk8s chart(s) of a deployment in `scope` from resolved props. */
export type ChartFactory<P> = (scope: Construct, props: P) => void;

/** Props whose top-level values may be Pulumi Outputs or Promises (nested values are plain). */
export type ChartPropsInput<P> = { readonly [K in keyof P]: P[K] | pulumi.Output<P[K]> | Promise<P[K]> };

/** Arguments of a {@link ChartDeployment}. */
export interface ChartDeploymentArgs<P extends object> {
  /** Builds the chart(s) with the resolved props (for example `(scope, p) => new ServingChart(scope, 'serving', p)`). */
  readonly chart: ChartFactory<P>;
  /** Props of the chart; AWS outputs (role ARNs, bucket names, endpoints) go here. */
  readonly props: ChartPropsInput<P>;
  /** Prefix of the Pulumi resource names of the objects (`<prefix>:<namespace>/<name>`). @default - the component name */
  readonly resourcePrefix?: string;
  /** Do not wait for objects to become ready. @default false */
  readonly skipAwait?: boolean;
}

/**
 * Deploys cdk8s charts with `@pulumi/kubernetes`, so the objects `cdk8s
 * synth` renders for GitOps can be applied by `pulumi up` next to the AWS
 * resources they need, with the same object names.
 *
 * Why `yaml.v2.ConfigGroup({ objs })` rather than one Pulumi resource per
 * object: the object list depends on AWS outputs, and resources created inside
 * `apply()` are invisible to `pulumi preview`; ConfigGroup v2 takes the list
 * as an Output, orders CRDs and namespaces before the objects that need them,
 * and names every object `<prefix>:<namespace>/<name>` from its own metadata,
 * so Pulumi URNs and Kubernetes names stay stable.
 *
 * When no prop is an Output or Promise, the chart renders at construction,
 * so invalid props throw right there, as in `cdk8s synth`.
 */
export class ChartDeployment<P extends object> extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:k8s:ChartDeployment';

  /** The synthesized objects. */
  public readonly objects: pulumi.Output<KubernetesObject[]>;
  /** The ConfigGroup that applies them (escape hatch). */
  public readonly configGroup: k8s.yaml.v2.ConfigGroup;

  constructor(name: string, args: ChartDeploymentArgs<P>, opts?: pulumi.ComponentResourceOptions) {
    // Plain props render before anything is registered, so invalid props throw here.
    const rendered = isResolved(args.props) ? renderCharts(args.chart, args.props) : undefined;
    super(ChartDeployment.TYPE, name, {}, opts);
    const entries: Array<[string, unknown]> = Object.entries(args.props);
    const deferred = entries.filter(([, value]) => isDeferred(value));
    // With plain props nothing is awaited (`all([])`) and the objects rendered above pass through.
    this.objects = pulumi.all(deferred.map(([, value]) => value)).apply((values): KubernetesObject[] => {
      if (rendered) {
        return rendered;
      }
      const props = { ...args.props };
      deferred.forEach(([key], i) => Reflect.set(props, key, values[i]));
      if (!isResolved(props)) {
        throw new Error(`${ChartDeployment.TYPE} ${name}: a prop is still an Output or Promise after resolution`);
      }
      return renderCharts(args.chart, props);
    });
    this.configGroup = new k8s.yaml.v2.ConfigGroup(`${name}-objects`, {
      objs: this.objects,
      resourcePrefix: args.resourcePrefix ?? name,
      skipAwait: args.skipAwait,
    }, { parent: this });
    this.registerOutputs({ objects: this.objects });
  }
}

/** Whether a prop value is an Output or a Promise (resolved before the chart renders). */
function isDeferred(value: unknown): value is pulumi.Output<unknown> | Promise<unknown> {
  return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/** Whether no top-level prop is an Output or a Promise. */
function isResolved<P extends object>(props: ChartPropsInput<P>): props is P {
  return Object.values(props).every((value) => !isDeferred(value));
}

/** Renders the charts a factory builds into plain objects. */
export function renderCharts<P>(factory: ChartFactory<P>, props: P): KubernetesObject[] {
  // A fresh App per render: nothing is written to disk (outdir is never used).
  const app = new App({ outdir: 'dist' });
  factory(app, props);
  return synthObjects(app);
}
