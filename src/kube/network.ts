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
