import * as kplus from 'cdk8s-plus-28';
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
