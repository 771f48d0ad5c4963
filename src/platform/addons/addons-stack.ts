import { getRegionOutput } from '@pulumi/aws/getRegion';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { IrsaRole } from '../../aws/irsa-role';
import { PolicyStatement, componentLabel } from '../../aws/policy';
import { PropsValidator } from '../../core/errors';
import { PlatformStack } from '../shared-stack';
import {
  AddonCluster, AddonName, AddonOptions, AddonRelease, KubePrometheusStackOptions, PlatformAddonsOptions, PrometheusAdapterOptions, addonReleases,
} from './catalog';
import { LOAD_BALANCER_CONTROLLER_STATEMENTS } from './load-balancer-controller-policy-aws';

/** External Secrets in the Pulumi half: its role may read exactly these secrets. */
export interface ExternalSecretsAddonArgs extends AddonOptions {
  /** ARNs of the Secrets Manager secrets the cluster's ExternalSecrets read (for example `FeatureStoreAws.authTokenSecret.arn`). */
  readonly secretArns: readonly pulumi.Input<string>[];
}

/** The AWS Load Balancer Controller in the Pulumi half. */
export interface LoadBalancerControllerAddonArgs extends AddonOptions {
  /** VPC of the cluster. */
  readonly vpcId: pulumi.Input<string>;
}

/** Velero in the Pulumi half (its role and bucket are the platform's backups'). */
export interface VeleroAddonArgs extends AddonOptions {
  /** Run the node agent (file-system backups of volumes). @default true */
  readonly nodeAgent?: boolean;
  /** Name of the backup storage location the Schedules name. @default 'default' */
  readonly storageLocation?: string;
}

/** Arguments of a {@link PlatformAddonsStack}. */
export interface PlatformAddonsStackArgs {
  /**
   * The platform stack: the one cluster (name, OIDC provider, Kubernetes
   * provider), the training pool's node role and interruption queue, the
   * backups' Velero role and bucket, and the contract's monitoring settings.
   */
  readonly platform: PlatformStack;
  /** Argo Rollouts. @default - off */
  readonly argoRollouts?: AddonOptions | false;
  /** KEDA. @default - off */
  readonly keda?: AddonOptions | false;
  /** prometheus-adapter. @default - off */
  readonly prometheusAdapter?: PrometheusAdapterOptions | false;
  /** kube-prometheus-stack. @default - off */
  readonly kubePrometheusStack?: KubePrometheusStackOptions | false;
  /** Karpenter, with a controller role from the platform's training pool (`SpotTrainingPoolAws.controllerStatements`). @default - off */
  readonly karpenter?: AddonOptions | false;
  /** Velero with the AWS plugin, on the platform's Velero role and bucket. @default - off */
  readonly velero?: VeleroAddonArgs | false;
  /** External Secrets, with a role reading the listed secrets. @default - off */
  readonly externalSecrets?: ExternalSecretsAddonArgs | false;
  /** AWS Load Balancer Controller, with its upstream IAM policy. @default - off */
  readonly awsLoadBalancerController?: LoadBalancerControllerAddonArgs | false;
  /** Tags of the IAM roles. @default - the platform's cluster tag */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Secrets Manager reads of the External Secrets AWS provider (external-secrets.io, AWS Secrets Manager provider: IAM policy). */
function externalSecretsStatements(arns: readonly pulumi.Input<string>[]): PolicyStatement[] {
  return [{
    sid: 'ReadSecretsInUse',
    actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds'],
    resources: [...arns],
  }];
}

const PLACEHOLDER_ARN = 'arn:aws:iam::000000000000:role/placeholder';

/** Splits `system:serviceaccount:<ns>:<sa>`. */
function subjectParts(subject: string): { namespace: string; serviceAccount: string } {
  const [, , namespace, serviceAccount] = subject.split(':');
  return { namespace, serviceAccount };
}

/**
 * The platform's cluster add-ons in the Pulumi half: one
 * `kubernetes.helm.v3.Release` per add-on with the same pinned chart and
 * values as the GitOps half's `PlatformAddonsChart` (both from
 * `addonReleases`), and the IRSA roles they need: Karpenter's controller
 * (Karpenter's reference policy: PassRole on exactly the pool's node role,
 * its interruption queue, tag-scoped instance profiles), External Secrets
 * (the listed secrets only), the AWS Load Balancer Controller (its
 * upstream policy); Velero's is the platform's backups'. The cluster name
 * of every value is the platform stack's cluster, so Karpenter's
 * `settings.clusterName`, the EC2NodeClass's discovery tags (checked by
 * `PlatformChart`) and the AWS half name one cluster.
 */
export class PlatformAddonsStack extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:stacks:PlatformAddonsStack';

  /** The Helm releases, by add-on. */
  public readonly releases: Readonly<Partial<Record<AddonName, k8s.helm.v3.Release>>>;
  /** The releases' charts and values (resolved). */
  public readonly addonReleases: pulumi.Output<AddonRelease[]>;
  /** IRSA roles created here, by add-on. */
  public readonly roles: Readonly<Partial<Record<AddonName, IrsaRole>>>;
  /** Name of Karpenter's interruption queue (`settings.interruptionQueue`), when Karpenter is installed with one. */
  public readonly interruptionQueueName?: pulumi.Output<string>;

  constructor(name: string, args: PlatformAddonsStackArgs, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(PlatformAddonsStack.TYPE, name));
    const platform = args.platform;
    const training = platform.training;
    if (args.karpenter) {
      v.check(training !== undefined && training.nodeGroup === undefined, 'karpenter', 'on',
        "needs the platform's training pool with Karpenter capacity (its node role and interruption queue): turn it off, or give the platform a training pool");
    }
    const velero = platform.backups?.veleroRole;
    v.check(!args.velero || velero !== undefined, 'velero', 'on', "needs the platform's Velero role and bucket (a DR policy and 'backups.velero'): turn it off, or give the platform backups");
    if (args.externalSecrets) {
      v.check(args.externalSecrets.secretArns.length > 0, 'externalSecrets.secretArns', [], 'must list the secrets in use: its role reads those only');
    }
    // Validates the settings before registering anything (the real values are Outputs).
    addonReleases(v, { clusterName: platform.cluster.name, monitoringNamespace: 'monitoring', selectorLabels: {} }, placeholderOptions(args));
    super(PlatformAddonsStack.TYPE, name, {}, opts);
    const child = { parent: this };
    const tags = { 'ml-platform/cluster': platform.cluster.name, ...args.tags };
    const oidcProvider = platform.cluster.oidcProvider;
    const roles: Partial<Record<AddonName, IrsaRole>> = {};
    const irsa = (addon: AddonName, o: AddonOptions, defaultNs: string, sa: string, statements: readonly PolicyStatement[]) => {
      roles[addon] = new IrsaRole(`${name}-${addon}-irsa`, {
        oidcProvider, namespace: o.namespace ?? defaultNs, serviceAccount: sa, statements, description: `${addon} controller of ${platform.cluster.name}`, tags,
      }, child);
      return roles[addon]?.roleArn ?? pulumi.output(PLACEHOLDER_ARN);
    };
    const karpenterRole = args.karpenter && training
      ? irsa(AddonName.KARPENTER, args.karpenter, 'kube-system', 'karpenter', training.controllerStatements(platform.cluster.name)) : undefined;
    this.interruptionQueueName = args.karpenter ? training?.interruptionQueueName : undefined;
    const esoRole = args.externalSecrets
      ? irsa(AddonName.EXTERNAL_SECRETS, args.externalSecrets, 'external-secrets', 'external-secrets', externalSecretsStatements(args.externalSecrets.secretArns)) : undefined;
    const lbcRole = args.awsLoadBalancerController
      ? irsa(AddonName.AWS_LOAD_BALANCER_CONTROLLER, args.awsLoadBalancerController, 'kube-system', 'aws-load-balancer-controller', LOAD_BALANCER_CONTROLLER_STATEMENTS) : undefined;
    this.roles = roles;

    const region = getRegionOutput({}, child).region;
    const str = (x: pulumi.Input<string> | undefined): pulumi.Output<string | undefined> => pulumi.output(x);
    const awsValues = pulumi.all([
      str(region), str(karpenterRole), str(this.interruptionQueueName), str(esoRole), str(lbcRole),
      str(args.awsLoadBalancerController ? args.awsLoadBalancerController.vpcId : undefined), str(velero?.roleArn), str(platform.backups?.veleroBucket?.bucketName),
    ]);
    const resolved = pulumi.all([platform.contract, awsValues]).apply(([contract, [reg, karpenter, queue, eso, lbc, vpcId, veleroRole, veleroBucket]]) => ({
      contract, region: reg ?? '', karpenterRole: karpenter, queue, esoRole: eso, lbcRole: lbc, vpcId, veleroRole, veleroBucket,
    }));
    this.addonReleases = resolved.apply((r) => {
      const monitoring = r.contract.monitoring;
      const cluster: AddonCluster = { clusterName: platform.cluster.name, monitoringNamespace: monitoring.namespace, selectorLabels: monitoring.selectorLabels };
      const veleroSa = velero ? subjectParts(velero.subject) : undefined;
      return addonReleases(new PropsValidator(componentLabel(PlatformAddonsStack.TYPE, name)), cluster, {
        ...staticOptions(args),
        karpenter: args.karpenter && r.karpenterRole ? { ...args.karpenter, roleArn: r.karpenterRole, ...(r.queue ? { interruptionQueue: r.queue } : {}) } : false,
        velero: args.velero && r.veleroRole && r.veleroBucket && veleroSa ? {
          ...args.velero, namespace: veleroSa.namespace, serviceAccount: veleroSa.serviceAccount, roleArn: r.veleroRole, bucket: r.veleroBucket, region: r.region,
        } : false,
        externalSecrets: args.externalSecrets && r.esoRole ? { namespace: args.externalSecrets.namespace, roleArn: r.esoRole } : false,
        awsLoadBalancerController: args.awsLoadBalancerController && r.lbcRole && r.vpcId
          ? { namespace: args.awsLoadBalancerController.namespace, roleArn: r.lbcRole, vpcId: r.vpcId, region: r.region } : false,
      });
    });
    const c = platform.cluster;
    const provider = c.provider ?? (c.kubeconfig ? new k8s.Provider(`${name}-k8s`, { kubeconfig: c.kubeconfig }, child) : undefined);
    this.releases = this.renderReleases(name, enabledAddons(args), provider);
    this.registerOutputs({ interruptionQueueName: this.interruptionQueueName });
  }

  /** One Helm release per add-on; kube-prometheus-stack first (the others' ServiceMonitors need its CRDs). */
  private renderReleases(name: string, addons: readonly AddonName[], provider: k8s.Provider | undefined): Partial<Record<AddonName, k8s.helm.v3.Release>> {
    const releases: Partial<Record<AddonName, k8s.helm.v3.Release>> = {};
    const prometheus: pulumi.Resource[] = [];
    for (const addon of addons) {
      const release = this.addonReleases.apply((rs) => rs.find((r) => r.name === addon));
      const oci = release.apply((r) => r?.chart.repoUrl.startsWith('oci://') ?? false);
      releases[addon] = new k8s.helm.v3.Release(`${name}-${addon}`, {
        name: addon,
        chart: pulumi.all([release, oci]).apply(([r, isOci]) => (isOci ? `${r?.chart.repoUrl}/${r?.chart.chart}` : r?.chart.chart ?? addon)),
        version: release.apply((r) => r?.chart.version ?? ''),
        repositoryOpts: pulumi.all([release, oci]).apply(([r, isOci]) => (isOci ? {} : { repo: r?.chart.repoUrl })),
        namespace: release.apply((r) => r?.namespace ?? addon),
        createNamespace: true,
        values: release.apply((r) => ({ ...r?.values })),
        atomic: true,
      }, { parent: this, provider, dependsOn: addon === AddonName.KUBE_PROMETHEUS_STACK ? [] : prometheus });
      if (addon === AddonName.KUBE_PROMETHEUS_STACK) {
        prometheus.push(releases[addon]);
      }
    }
    return releases;
  }
}

/** The add-ons on, in `addonReleases`' order. */
function enabledAddons(args: PlatformAddonsStackArgs): AddonName[] {
  const on: Array<[AddonName, unknown]> = [
    [AddonName.KUBE_PROMETHEUS_STACK, args.kubePrometheusStack], [AddonName.ARGO_ROLLOUTS, args.argoRollouts], [AddonName.KEDA, args.keda],
    [AddonName.PROMETHEUS_ADAPTER, args.prometheusAdapter], [AddonName.KARPENTER, args.karpenter], [AddonName.VELERO, args.velero],
    [AddonName.EXTERNAL_SECRETS, args.externalSecrets], [AddonName.AWS_LOAD_BALANCER_CONTROLLER, args.awsLoadBalancerController],
  ];
  return on.filter(([, o]) => o !== undefined && o !== false).map(([a]) => a);
}

/** The options with no AWS values. */
function staticOptions(args: PlatformAddonsStackArgs): PlatformAddonsOptions {
  return { argoRollouts: args.argoRollouts, keda: args.keda, prometheusAdapter: args.prometheusAdapter, kubePrometheusStack: args.kubePrometheusStack };
}

/** The options with placeholder AWS values, to validate the settings before anything is registered. */
function placeholderOptions(args: PlatformAddonsStackArgs): PlatformAddonsOptions {
  const role = { roleArn: PLACEHOLDER_ARN };
  return {
    ...staticOptions(args),
    karpenter: args.karpenter ? { ...args.karpenter, ...role } : false,
    velero: args.velero ? { ...args.velero, ...role, bucket: 'placeholder', region: 'us-east-1' } : false,
    externalSecrets: args.externalSecrets ? { namespace: args.externalSecrets.namespace, ...role } : false,
    awsLoadBalancerController: args.awsLoadBalancerController ? { namespace: args.awsLoadBalancerController.namespace, ...role, vpcId: 'vpc-0', region: 'us-east-1' } : false,
  };
}
