import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PropsValidator } from '../core/errors';

/** A set of pods (and/or an IP block) in a NetworkPolicy rule. */
export interface NetworkPeer {
  /** Namespace name of the peers. @default - the object's own namespace */
  readonly namespace?: string;
  /** Labels of the peer pods. @default - every pod of the namespace */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** An IP block instead of pods, for example `10.0.0.0/16`. @default - none */
  readonly cidr?: string;
}

/** A NetworkPolicy peer from a {@link NetworkPeer}, validated (`property` names it in errors). */
export function networkPeer(v: PropsValidator, p: NetworkPeer, property: string): kplus.k8s.NetworkPolicyPeer {
  if (p.cidr !== undefined) {
    v.check(p.namespace === undefined && p.podLabels === undefined, property, p, "'cidr' cannot be combined with 'namespace' or 'podLabels'");
    v.matches(`${property}.cidr`, p.cidr, /^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/16');
    return { ipBlock: { cidr: p.cidr } };
  }
  return {
    podSelector: { matchLabels: { ...p.podLabels } },
    ...(p.namespace !== undefined ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': v.dnsLabel(`${property}.namespace`, p.namespace) } } } : {}),
  };
}

/** A TCP port of a NetworkPolicy rule. */
export function tcpPort(port: number): kplus.k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(port) };
}

/**
 * Egress to the cluster DNS (CoreDNS pods keep the `k8s-app: kube-dns` label
 * of kube-dns on EKS and kubeadm clusters), UDP and TCP 53: without it a pod
 * whose egress is restricted resolves no name at all.
 */
export function dnsEgressRule(): kplus.k8s.NetworkPolicyEgressRule {
  return {
    to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
    ports: [{ protocol: 'UDP', port: kplus.k8s.IntOrString.fromNumber(53) }, tcpPort(53)],
  };
}

/** The in-cluster DNS name of a Service: `<name>.<namespace>.svc.cluster.local`, or the bare name when the namespace is not known. */
export function clusterLocalHost(service: string, namespace: string | undefined): string {
  return namespace ? `${service}.${namespace}.svc.cluster.local` : service;
}

/**
 * Where a job's traffic to endpoints outside the cluster's pods may go: the
 * `network` prop of every construct that renders job pods. NetworkPolicies
 * select pods by label, and neither the Kubernetes API server nor AWS's
 * endpoints are pods, so without these CIDRs that egress can only be
 * narrowed to a port, not to an address.
 */
export interface EgressOptions {
  /**
   * CIDRs of the Kubernetes API server endpoints (on EKS the control-plane
   * ENIs live in the cluster's subnets: give their CIDRs). The API server is
   * not a pod and its endpoints carry no labels a NetworkPolicy could select;
   * CNIs match egress after the `kubernetes` Service is translated to these
   * endpoints, so the rule names ports 443 (EKS) and 6443 (kubeadm).
   * @default - any address on ports 443 and 6443 (cannot be narrowed without CIDRs)
   */
  readonly apiServerCidrs?: readonly string[];
  /**
   * CIDRs the AWS API calls (S3, STS for IRSA, DynamoDB, Athena, ...) go to
   * on 443: the subnets of your VPC interface endpoints, or the CIDRs of an
   * S3/DynamoDB gateway endpoint's prefix list.
   * @default - any address on port 443 (AWS's public endpoints have no fixed address range a NetworkPolicy could name)
   */
  readonly awsCidrs?: readonly string[];
}

/** What a job pod calls: every other egress is denied. */
export interface JobEgress {
  /** The job calls the Kubernetes API server. @default false */
  readonly apiServer?: boolean;
  /** The job calls AWS APIs on 443. @default false */
  readonly aws?: boolean;
  /** HTTP(S) endpoints the job calls (Prometheus, Pushgateway, webhooks). @default - none */
  readonly urls?: readonly string[];
}

/** Properties of {@link jobNetworkPolicy}. */
export interface JobNetworkPolicyProps {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  /** Namespace of the NetworkPolicy (the pods'). @default - the chart's */
  readonly namespace?: string;
  /** Labels of the NetworkPolicy. */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels of the job's pods (all of them are matched). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** What the job calls. */
  readonly egress: JobEgress;
  /** CIDRs that narrow the API server and AWS egress. @default - see {@link EgressOptions} */
  readonly network?: EgressOptions;
  /** Property path of `network` in error messages. @default 'network' */
  readonly property?: string;
}

/**
 * A default-deny NetworkPolicy for job pods: no ingress at all (policyTypes
 * Ingress and Egress with no ingress rule), egress only to the cluster DNS
 * and to what {@link JobEgress} lists, each rule as narrow as the targets
 * allow (see {@link EgressOptions} and {@link urlEgressRule}).
 */
export function jobNetworkPolicy(scope: Construct, id: string, props: JobNetworkPolicyProps): kplus.k8s.KubeNetworkPolicy {
  const v: PropsValidator = new PropsValidator(scope);
  const egress: kplus.k8s.NetworkPolicyEgressRule[] = [dnsEgressRule(), ...egressRules(v, props.egress, props.network, props.property ?? 'network')];
  const seen = new Set<string>();
  const unique = egress.filter((r) => {
    const key = JSON.stringify(r);
    const first = !seen.has(key);
    seen.add(key);
    return first;
  });
  return new kplus.k8s.KubeNetworkPolicy(scope, id, {
    metadata: { name: props.name, ...(props.namespace !== undefined ? { namespace: props.namespace } : {}), labels: { ...props.labels } },
    spec: {
      podSelector: { matchLabels: { ...props.podLabels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: unique,
    },
  });
}

/** The egress rules of {@link JobEgress} beyond DNS, validated (`property` names `network` in errors). */
export function egressRules(v: PropsValidator, egress: JobEgress, network: EgressOptions | undefined, property: string): kplus.k8s.NetworkPolicyEgressRule[] {
  const rules: kplus.k8s.NetworkPolicyEgressRule[] = [];
  if (egress.apiServer) {
    rules.push({ to: cidrPeers(v, network?.apiServerCidrs, `${property}.apiServerCidrs`), ports: [tcpPort(443), tcpPort(6443)] });
  }
  if (egress.aws) {
    rules.push(awsEgressRule(v, network, property));
  }
  for (const url of egress.urls ?? []) {
    rules.push(urlEgressRule(url));
  }
  return rules;
}

/** Egress to AWS on 443: to `network.awsCidrs`, or to any address when none are given. */
export function awsEgressRule(v: PropsValidator, network: EgressOptions | undefined, property = 'network'): kplus.k8s.NetworkPolicyEgressRule {
  return { to: cidrPeers(v, network?.awsCidrs, `${property}.awsCidrs`), ports: [tcpPort(443)] };
}

/**
 * Egress to an http(s) endpoint: to the pods of its namespace when the host
 * is a Service name (`<service>.<namespace>.svc[.cluster.local]`; the
 * Service's pods carry labels this library does not know), to the address
 * when it is an IPv4 literal, else to any address on its port (a DNS name
 * outside the cluster has no address a NetworkPolicy could name). The port is
 * the URL's; NetworkPolicies match the pod's port after Service translation,
 * so the Service must expose the same port as its pods (true of Prometheus
 * 9090 and the Pushgateway 9091 in the kube-prometheus-stack charts).
 */
export function urlEgressRule(url: string): kplus.k8s.NetworkPolicyEgressRule {
  const u = new URL(url);
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  const service = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.([a-z0-9]([a-z0-9-]*[a-z0-9])?)\.svc(\.cluster\.local)?$/.exec(u.hostname);
  if (service) {
    return { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': service[2] } }, podSelector: {} }], ports: [tcpPort(port)] };
  }
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(u.hostname);
  return { to: [{ ipBlock: { cidr: ipv4 ? `${u.hostname}/32` : '0.0.0.0/0' } }], ports: [tcpPort(port)] };
}

function cidrPeers(v: PropsValidator, cidrs: readonly string[] | undefined, property: string): kplus.k8s.NetworkPolicyPeer[] {
  if (cidrs === undefined) {
    return [{ ipBlock: { cidr: '0.0.0.0/0' } }];
  }
  v.check(cidrs.length > 0, property, cidrs, 'must list at least one CIDR (leave it out to allow any address)');
  return cidrs.map((cidr, i) => networkPeer(v, { cidr }, `${property}[${i}]`));
}
