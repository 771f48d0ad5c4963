import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PlatformBackups, PlatformBackupsProps, VolumeBackupMethod } from '../dr/backups';
import { FEATURE_SERVER_PORT, FeatureStore, FeatureStoreProps } from '../features/feature-store';
import { SpotTrainingPool } from '../training/spot-training-pool';
import { ModelGateway, ModelGatewayProps } from '../traffic/gateway';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { irsaAnnotations } from '../core/labels';
import { podSecurityNamespace } from '../kube/pod-security';
import { tcpPort } from '../kube/network';
import { DisasterRecoveryPolicy } from '../policy/disaster-recovery';
import { CostPreset, CostPresetSettings } from '../policy/presets';
import { DisasterRecoveryAwsBinding } from '../dr/runbook';
import { FeatureStoreAwsBinding, FeatureStoreMode } from '../features/stores';
import { ObservabilityLinks, observabilityLinksOf } from '../monitoring/links';
import {
  ContractBuckets, ContractCluster, ContractGateway, ContractMonitoring, ContractTraining, PLATFORM_CONTRACT_VERSION, PlatformContract,
  disasterRecoveryToContract,
} from './contract';
import { ModelPlatformProps, TrainingAwsBinding, platformDisasterRecovery } from './platform-chart';

/** AWS values of the platform's own parts. */
export interface PlatformChartAwsBindings {
  /** Endpoints, tables, bucket and roles of the feature store. @default - none */
  readonly featureStore?: FeatureStoreAwsBinding;
  /** Names for the restore runbook. @default - none */
  readonly backups?: DisasterRecoveryAwsBinding;
  /** Training pool values. @default - none */
  readonly training?: TrainingAwsBinding;
}

/** Properties of a {@link PlatformChart}. */
export interface PlatformChartProps {
  /** The platform's own namespace (feature store, training pool). */
  readonly namespace: string;
  /** Namespace of each team, by team id: created here with Pod Security "restricted", backed up, and admitted to the feature store. */
  readonly teams: Readonly<Record<string, string>>;
  /** The cluster, for the contract. */
  readonly cluster: ContractCluster;
  /** The buckets teams use (from the platform stack, or literal names in a GitOps repo); `checkpoints` is where the teams' training jobs checkpoint. */
  readonly buckets: ContractBuckets;
  /** Preset of the platform and of every team that sets none. @default CostPreset.PRODUCTION */
  readonly preset?: CostPresetSettings;
  /** The shared feature store. @default - none */
  readonly featureStore?: Omit<FeatureStoreProps, 'aws' | 'preset'>;
  /** DR policy of the platform and the teams; `false` for none. @default - the preset's policy */
  readonly disasterRecovery?: DisasterRecoveryPolicy | false;
  /** Backup settings besides the policy. @default - no file-system backups, no drill */
  readonly backups?: Omit<PlatformBackupsProps, 'disasterRecovery' | 'namespaces' | 'services' | 'aws'>;
  /** The spot training pool (offered to the teams in the contract) and the platform's own training jobs. @default - none */
  readonly training?: ModelPlatformProps['training'];
  /** The ingress gateway teams' models admit. @default - none */
  readonly gateway?: ContractGateway;
  /** The model gateway (Istio Gateway on that ingress gateway, ALB, edge filters) the teams' routes bind to; pass `PlatformChart.modelGateway` as the `TeamChart`'s `gateway`. @default - none */
  readonly modelGateway?: ModelGatewayProps;
  /** Prometheus. @default { namespace: 'monitoring', selectorLabels: { release: 'kube-prometheus-stack' } } */
  readonly monitoring?: ContractMonitoring;
  /** AWS values. @default - none */
  readonly aws?: PlatformChartAwsBindings;
}

/**
 * The platform team's chart: the namespaces of the platform and of every
 * team (Pod Security "restricted"), the shared feature store (admitting the
 * teams' namespaces), Velero backups of all of them from one DR policy, and
 * the spot training pool. It states what it offers the teams as a typed,
 * versioned {@link PlatformContract} (`contract`), which `TeamChart` and the
 * Pulumi `TeamStack` take. Models are the teams' (see `TeamChart`).
 */
export class PlatformChart extends Chart {
  /** What the platform offers the teams. */
  public readonly contract: PlatformContract;
  /** The feature store. */
  public readonly featureStore?: FeatureStore;
  /** Backups. */
  public readonly backups?: PlatformBackups;
  /** The training pool. */
  public readonly trainingPool?: SpotTrainingPool;
  /** The Namespaces: the platform's and each team's, by namespace name. */
  public readonly namespaces: Readonly<Record<string, kplus.Namespace>>;
  /** The model gateway, when `modelGateway` is set. */
  public readonly modelGateway?: ModelGateway;

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { namespace: props.namespace });
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    v.dnsLabel('namespace', props.namespace);
    for (const [team, ns] of Object.entries(props.teams)) {
      v.dnsLabel(`teams.${team}`, ns);
      v.check(ns !== props.namespace, `teams.${team}`, ns, "must differ from the platform's namespace");
    }
    const preset = props.preset ?? CostPreset.PRODUCTION;
    const namespaces: Record<string, kplus.Namespace> = { [props.namespace]: podSecurityNamespace(this, props.namespace) };
    for (const [team, ns] of Object.entries(props.teams)) {
      namespaces[ns] = podSecurityNamespace(new Construct(this, `team-${team}`), ns);
    }
    this.namespaces = namespaces;
    this.modelGateway = props.modelGateway ? new ModelGateway(this, 'gateway', { preset, ...props.modelGateway }) : undefined;
    if (this.modelGateway && props.gateway) {
      v.check(props.gateway.namespace === this.modelGateway.namespace, 'modelGateway.namespace', this.modelGateway.namespace,
        `must be the namespace of 'gateway' (${props.gateway.namespace}), whose pods the teams' models admit`);
    }
    // The teams' models read features with their ServiceAccount tokens: their namespaces are the server's clients.
    const serverAuth = props.featureStore?.mode === FeatureStoreMode.OPERATOR ? undefined
      : props.featureStore?.serverAuth ?? { clientNamespaces: [props.namespace, ...Object.values(props.teams)] };
    this.featureStore = props.featureStore
      ? new FeatureStore(this, 'feature-store', { preset, ...props.featureStore, serverAuth, aws: props.aws?.featureStore })
      : undefined;
    this.admitTeamsToFeatureStore(Object.values(props.teams));
    if (props.training) {
      const training = props.training;
      // One cluster name: the EC2NodeClass's discovery tags and Karpenter's settings.clusterName (the add-ons read the contract's) must agree.
      v.check(training.pool.clusterName === props.cluster.name, 'training.pool.clusterName', training.pool.clusterName,
        `must equal 'cluster.name' (${props.cluster.name}): the node class discovers subnets and security groups by 'karpenter.sh/discovery: <cluster>', and Karpenter's clusterName comes from the contract`);
      const aws = props.aws?.training;
      this.trainingPool = new SpotTrainingPool(this, 'training', aws?.instanceProfile ? { ...training.pool, nodeRole: undefined, instanceProfile: aws.instanceProfile } : training.pool);
      for (const [jobId, job] of Object.entries(training.jobs ?? {})) {
        const binding = aws?.jobs[jobId];
        this.trainingPool.addTrainingJob(jobId, binding ? {
          ...job, checkpoint: { ...job.checkpoint, uri: binding.checkpointUri },
          serviceAccountAnnotations: { ...job.serviceAccountAnnotations, ...irsaAnnotations(binding.roleArn) },
        } : job);
      }
    }
    const dr = platformDisasterRecovery({ preset, disasterRecovery: props.disasterRecovery });
    this.backups = dr ? new PlatformBackups(this, 'backups', {
      name: `${props.namespace}-backups`,
      volumeBackup: this.featureStore?.redisStatefulSet ? VolumeBackupMethod.FILE_SYSTEM : VolumeBackupMethod.NONE,
      ...props.backups,
      disasterRecovery: dr,
      namespaces: [props.namespace, ...Object.values(props.teams)],
      aws: props.aws?.backups,
    }) : undefined;
    const drill = props.backups?.drill ? (props.backups.drill.scratchNamespace ?? `${props.namespace}-drill`) : undefined;
    this.contract = {
      contractVersion: PLATFORM_CONTRACT_VERSION,
      cluster: props.cluster,
      namespaces: { platform: props.namespace, teams: { ...props.teams } },
      preset: preset.name,
      featureStore: this.featureStore ? {
        name: this.featureStore.name, namespace: this.featureStore.namespace ?? props.namespace, project: this.featureStore.project,
        serverUrl: this.featureStore.serverUrl, serverPort: FEATURE_SERVER_PORT, serverSelectorLabels: { ...this.featureStore.serverSelectorLabels },
        featureServices: (this.featureStore.features.featureServices ?? []).map((s) => s.name),
        ...(props.aws?.featureStore ? { binding: props.aws.featureStore } : {}),
      } : null,
      buckets: props.buckets,
      disasterRecovery: dr ? disasterRecoveryToContract(dr, drill) : null,
      gateway: this.contractGateway(props.gateway),
      // The platform's alert links pass to the teams, whose charts render the same kind of alerts.
      monitoring: { ...(props.monitoring ?? { namespace: 'monitoring', selectorLabels: { release: 'kube-prometheus-stack' } }), ...definedLinks(observabilityLinksOf(this)) },
      training: this.trainingContract(),
    };
  }

  /** The training pool as the teams' jobs schedule onto it (no fallback: its controller watches this namespace only). */
  private trainingContract(): ContractTraining | null {
    const pool = this.trainingPool;
    if (!pool) {
      return null;
    }
    // Unlimited dimensions are left out (JSON and stack outputs carry no undefined).
    const maxJobSize = Object.fromEntries(Object.entries(pool.maxJobSize).filter(([, x]) => x !== undefined));
    return {
      pools: [{ name: pool.name, gpu: pool.gpu, nodeSelector: { ...pool.nodeSelector }, tolerations: pool.tolerations.map((t) => ({ ...t })), maxJobSize }],
    };
  }

  /**
   * NetworkPolicies add up: a second policy on the feature server admits the
   * teams' namespaces next to the store's own (which admits its namespace).
   */
  /** The contract's gateway: the pods the teams' models admit and, with a model gateway, what their routes bind to. */
  private contractGateway(gateway: ContractGateway | undefined): ContractGateway | null {
    const mg = this.modelGateway;
    if (!mg) {
      return gateway ?? null;
    }
    return { namespace: mg.namespace, podLabels: { ...mg.selectorLabels }, ...gateway, name: mg.name, domain: mg.domain, port: mg.port };
  }

  private admitTeamsToFeatureStore(teamNamespaces: readonly string[]): void {
    const fs = this.featureStore;
    if (!fs?.networkPolicy || teamNamespaces.length === 0) {
      return;
    }
    new kplus.k8s.KubeNetworkPolicy(this, 'feature-store-teams', {
      metadata: { name: `${fs.name}-teams`, labels: { ...fs.labels } },
      spec: {
        podSelector: { matchLabels: { ...fs.serverSelectorLabels } },
        policyTypes: ['Ingress'],
        ingress: [{
          from: teamNamespaces.map((ns) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } })),
          ports: [tcpPort(FEATURE_SERVER_PORT)],
        }],
      },
    });
  }
}

/** The links that are set (a contract holds no undefined values). */
function definedLinks(links: ObservabilityLinks): ObservabilityLinks {
  return Object.fromEntries(Object.entries(links).filter(([, value]) => value !== undefined));
}
