import { Construct } from 'constructs';
import { EnvoyFilter } from '../../imports/envoyfilter-networking.istio.io';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { MANAGED_BY } from '../core/labels';
import { NetworkPeer } from '../kube/network';
import { EdgeSettings } from '../policy/presets';
import { EdgeLimits, ResolvedEdgeLimits, StickyUserId, resolveEdgeLimits, routeLimitPatch, stickyBucketLua, stickyBucketPatch } from './envoy';
import { GatewayRef } from './gateway';

/**
 * Which proxies apply a model route. Istio applies a VirtualService only at
 * the gateways it lists, and at sidecars only when it lists `mesh`
 * (https://istio.io/latest/docs/reference/config/networking/virtual-service/#VirtualService-gateways).
 * The platform's namespaces run without sidecars (Pod Security
 * "restricted" forbids the NET_ADMIN init container), so a route is bound to
 * the gateway and, only when declared, to in-mesh callers; a route with
 * neither is refused at synth.
 */
export interface RouteExposure {
  /** The gateway serving the route (`ModelGateway` or a reference to one). @default - none: then `meshCallers` is required */
  readonly gateway?: GatewayRef;
  /** Host name at the gateway. @default - `<model name>.<gateway domain>` */
  readonly hostname?: string;
  /**
   * Namespaces of in-mesh callers: their pods have Istio sidecars (namespace
   * labelled `istio-injection=enabled`, with Istio CNI under Pod Security
   * "restricted"), so they apply the route to the model's cluster-local host
   * themselves. They are admitted by the model's NetworkPolicy. @default - none
   */
  readonly meshCallers?: readonly string[];
  /** Rate and body limits of the route at the gateway. @default - the model preset's `edge` values */
  readonly limits?: EdgeLimits;
}

/** Properties of an {@link EdgeRoute}. */
export interface EdgeRouteProps extends RouteExposure {
  /** Name of the route's objects (the model or experiment name). */
  readonly name: string;
  /** Name of the model the route leads to (default host name). */
  readonly modelName: string;
  /** The model's cluster-local host (the mesh host). */
  readonly internalHost: string;
  /** Defaults of the limits (the model's preset). */
  readonly defaults: EdgeSettings;
  /** Sticky A/B assignment at the gateway. @default - none */
  readonly sticky?: { readonly experimentId: string; readonly bucketHeader: string; readonly userId: StickyUserId };
  /** Labels of the rendered objects. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The binding of one model route to the proxies that apply it: the
 * VirtualService `hosts` and `gateways`, the route's limits at the gateway
 * (an EnvoyFilter patching its virtual host) and the sticky assignment
 * filter of an experiment, plus the peers the model's NetworkPolicy must
 * admit (the gateway's pods, the in-mesh callers).
 */
export class EdgeRoute extends Construct {
  /** VirtualService `hosts`. */
  public readonly hosts: readonly string[];
  /** VirtualService `gateways` (`<namespace>/<name>`, and `mesh` with in-mesh callers). */
  public readonly gateways: readonly string[];
  /** The host at the gateway, if bound to one. */
  public readonly hostname?: string;
  /** Peers the model must admit. */
  public readonly callers: readonly NetworkPeer[];
  /** The resolved limits at the gateway. */
  public readonly limits?: ResolvedEdgeLimits;
  /** The per-host limits EnvoyFilter (gateway namespace). */
  public readonly limitFilter?: EnvoyFilter;
  /** The sticky assignment EnvoyFilter (gateway namespace). */
  public readonly stickyFilter?: EnvoyFilter;
  /** The rendered Lua source of the sticky assignment. */
  public readonly stickyScript?: string;

  constructor(scope: Construct, id: string, props: EdgeRouteProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    const mesh = (props.meshCallers ?? []).map((ns, i) => v.dnsLabel(`meshCallers[${i}]`, ns));
    const gw = props.gateway;
    v.check(gw !== undefined || mesh.length > 0, 'gateway', gw,
      'is required: without a gateway and without declared in-mesh callers (meshCallers) no proxy would apply the route '
      + '(the platform namespaces run without sidecars)');
    v.check(gw !== undefined || props.hostname === undefined, 'hostname', props.hostname, 'needs a gateway');
    v.check(gw !== undefined || props.sticky === undefined, 'gateway', gw, 'is required for sticky assignment: the gateway computes the bucket header');
    const hosts: string[] = [];
    const gateways: string[] = [];
    const callers: NetworkPeer[] = [];
    if (gw) {
      this.hostname = v.matches('hostname', props.hostname ?? `${props.modelName}.${gw.domain}`, /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/,
        'must be a lower-case DNS name');
      v.check(this.hostname.endsWith(`.${gw.domain}`), 'hostname', this.hostname, `must be below the gateway's domain ${gw.domain} (its server hosts are *.${gw.domain})`);
      hosts.push(this.hostname);
      gateways.push(`${gw.namespace}/${gw.name}`);
      callers.push({ namespace: gw.namespace, podLabels: gw.selectorLabels });
      this.limits = resolveEdgeLimits(v, 'limits', props.limits, props.defaults);
      const metadata = { namespace: gw.namespace, labels: { ...props.labels, 'app.kubernetes.io/managed-by': MANAGED_BY } };
      const workloadSelector = { labels: { ...gw.selectorLabels } };
      this.limitFilter = new EnvoyFilter(this, 'LimitFilter', {
        metadata: { ...metadata, name: `${props.name}-edge-limits` },
        spec: { workloadSelector, configPatches: [routeLimitPatch(this.hostname, gw.port, this.limits)] },
      });
      if (props.sticky) {
        this.stickyScript = stickyBucketLua({ ...props.sticky, hosts: [this.hostname] });
        this.stickyFilter = new EnvoyFilter(this, 'StickyFilter', {
          metadata: { ...metadata, name: `${props.name}-sticky-bucket` },
          spec: { workloadSelector, configPatches: [stickyBucketPatch(this.stickyScript)] },
        });
      }
    } else {
      v.check(props.limits === undefined, 'limits', props.limits, 'needs a gateway: the limits are enforced at the gateway');
    }
    if (mesh.length > 0) {
      hosts.push(props.internalHost);
      gateways.push('mesh');
      callers.push(...mesh.map((namespace) => ({ namespace })));
    }
    this.hosts = hosts;
    this.gateways = gateways;
    this.callers = callers;
  }
}
