import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvoyFilter } from '../../imports/envoyfilter-networking.istio.io';
import { Gateway, GatewaySpecServersTlsMode } from '../../imports/gateway-networking.istio.io';
import { Telemetry } from '../../imports/telemetry-telemetry.istio.io';
import { PropsValidator } from '../core/errors';
import { checkChartAtSynth } from '../core/chart-checks';
import { MANAGED_BY } from '../core/labels';
import { CostPreset, CostPresetSettings, edgeSettings } from '../policy/presets';
import { edgeFilterPatches } from './envoy';

/**
 * Why an Istio `networking.istio.io/v1` Gateway and not the Kubernetes
 * Gateway API as the primary edge: the model routes are Istio
 * VirtualServices because Argo Rollouts' Istio traffic router edits their
 * weights (https://argoproj.github.io/argo-rollouts/features/traffic-management/istio/),
 * and a VirtualService binds to an Istio Gateway by `gateways:`; the edge
 * limits and sticky assignment are EnvoyFilters with context `GATEWAY`, which
 * select the ingress gateway's pods by label. With the Gateway API the routes
 * would be HTTPRoutes (a different Argo Rollouts plugin) and Istio would
 * deploy and name the gateway pods itself. One data plane, one route type.
 */

/** A gateway the model routes bind to: a {@link ModelGateway}, or one rendered elsewhere (another chart, the platform's). */
export interface GatewayRef {
  /** Name of the Istio Gateway. */
  readonly name: string;
  /** Namespace of the Gateway and of the ingress gateway's pods (the EnvoyFilters go there). */
  readonly namespace: string;
  /** DNS domain of the gateway: a model is served at `<model>.<domain>` unless its route names a host. */
  readonly domain: string;
  /** Labels of the ingress gateway's pods (EnvoyFilter and Telemetry selector; NetworkPolicy peer of the models). */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Port of the Gateway's server (part of Envoy's virtual host names, `<host>:<port>`). */
  readonly port: number;
}

/** The AWS load balancer in front of the gateway (AWS Load Balancer Controller, `IngressClass` `alb`). */
export interface AlbOptions {
  /** ACM certificate ARN(s) the ALB terminates TLS with. */
  readonly certificateArns: readonly string[];
  /** Internet-facing or internal. @default 'internet-facing' */
  readonly scheme?: 'internet-facing' | 'internal';
  /** ARN of an AWS WAFv2 web ACL the controller associates with the ALB (see `EdgeWafAcl` in `ml-platform-constructs/pulumi`). @default - none */
  readonly wafAclArn?: string;
  /** TLS policy of the HTTPS listener. @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
  readonly sslPolicy?: string;
  /** Ingress class of the AWS Load Balancer Controller. @default 'alb' */
  readonly ingressClassName?: string;
}

/** Tracing at the gateway: an Istio `Telemetry` for the gateway's proxy. */
export interface GatewayTracingOptions {
  /** Name of the OpenTelemetry extension provider in Istio's `meshConfig.extensionProviders`. */
  readonly provider: string;
  /** Percent of requests sampled (0-100). @default - the preset's `edge.traceSamplingPercent` */
  readonly samplingPercent?: number;
}

/** Properties of a {@link ModelGateway}. */
export interface ModelGatewayProps {
  /** DNS domain: models are served at `<model>.<domain>` (the ACM certificate should cover `*.<domain>`). */
  readonly domain: string;
  /** Name of the Gateway and prefix of its objects. @default 'models' */
  readonly name?: string;
  /** Namespace of the Istio ingress gateway deployment (istio/gateway Helm chart). @default 'istio-ingress' */
  readonly namespace?: string;
  /** Labels of the ingress gateway's pods. @default { istio: 'ingressgateway' } */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /** Service of the ingress gateway (the ALB's backend). @default 'istio-ingressgateway' */
  readonly serviceName?: string;
  /** TLS from the ALB to the gateway too: the Kubernetes TLS Secret the gateway serves port 443 with. @default - the ALB terminates TLS, HTTP on port 80 inside the VPC */
  readonly credentialName?: string;
  /** The ALB in front of the gateway; `false` when something else fronts it. */
  readonly loadBalancer: AlbOptions | false;
  /** Preset of the edge defaults (body limit, trace sampling). @default CostPreset.PRODUCTION */
  readonly preset?: CostPresetSettings;
  /** Tracing of the model routes at the gateway. @default - no Telemetry */
  readonly tracing?: GatewayTracingOptions;
}

/**
 * The platform's entry point for model traffic: an Istio ingress `Gateway`
 * serving `*.<domain>`, fronted by an AWS ALB (AWS Load Balancer Controller
 * Ingress: ACM certificate, TLS policy, health checks on the gateway's
 * readiness port 15021, optional WAF web ACL), the gateway-wide Envoy
 * filters the routes' limits need (local rate limit, request body buffer
 * limit) and, optionally, an Istio `Telemetry` tracing the routes. The
 * gateway deployment itself is Istio's (`istio/gateway` chart); this
 * construct renders what runs on it. Model routes bind to it through their
 * `gateway` prop.
 */
export class ModelGateway extends Construct implements GatewayRef {
  public readonly name: string;
  public readonly namespace: string;
  public readonly domain: string;
  public readonly selectorLabels: Readonly<Record<string, string>>;
  public readonly port: number;
  /** The Istio Gateway. */
  public readonly gateway: Gateway;
  /** The gateway-wide Envoy filters. */
  public readonly edgeFilter: EnvoyFilter;
  /** The ALB Ingress, when `loadBalancer` is set. */
  public readonly ingress?: kplus.k8s.KubeIngress;
  /** The tracing Telemetry, when `tracing` is set. */
  public readonly telemetry?: Telemetry;

  constructor(scope: Construct, id: string, props: ModelGatewayProps) {
    super(scope, id);
    checkChartAtSynth(this);
    const v: PropsValidator = new PropsValidator(this);
    this.name = v.dnsLabel('name', props.name ?? 'models');
    this.namespace = v.dnsLabel('namespace', props.namespace ?? 'istio-ingress');
    this.domain = v.matches('domain', props.domain, /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, 'must be a lower-case DNS domain such as models.example.com');
    this.selectorLabels = { ...(props.selectorLabels ?? { istio: 'ingressgateway' }) };
    v.check(Object.keys(this.selectorLabels).length > 0, 'selectorLabels', this.selectorLabels, 'must select the gateway pods by at least one label');
    const tls = props.credentialName !== undefined;
    this.port = tls ? 443 : 80;
    const edge = edgeSettings(props.preset ?? CostPreset.PRODUCTION);
    const labels = { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/component': 'gateway', 'app.kubernetes.io/managed-by': MANAGED_BY };
    const metadata = { name: this.name, namespace: this.namespace, labels };

    this.gateway = new Gateway(this, 'Gateway', {
      metadata,
      spec: {
        selector: { ...this.selectorLabels },
        servers: [{
          port: { number: this.port, name: tls ? 'https' : 'http', protocol: tls ? 'HTTPS' : 'HTTP' },
          hosts: [`*/*.${this.domain}`],
          ...(tls ? { tls: { mode: GatewaySpecServersTlsMode.SIMPLE, credentialName: v.dnsLabel('credentialName', props.credentialName ?? '', 253) } } : {}),
        }],
      },
    });
    this.edgeFilter = new EnvoyFilter(this, 'EdgeFilter', {
      metadata: { ...metadata, name: `${this.name}-edge` },
      spec: { workloadSelector: { labels: { ...this.selectorLabels } }, configPatches: edgeFilterPatches(edge.maxRequestBody.toKibibytes() * 1024) },
    });
    if (props.loadBalancer !== false) {
      const service = v.dnsLabel('serviceName', props.serviceName ?? 'istio-ingressgateway');
      this.ingress = this.renderIngress(v, props.loadBalancer, service, metadata, tls);
    }
    if (props.tracing) {
      const sampling = v.range('tracing.samplingPercent', props.tracing.samplingPercent ?? edge.traceSamplingPercent, 0, 100);
      this.telemetry = new Telemetry(this, 'Telemetry', {
        metadata: { ...metadata, name: `${this.name}-tracing` },
        spec: {
          selector: { matchLabels: { ...this.selectorLabels } },
          tracing: [{ providers: [{ name: v.dnsLabel('tracing.provider', props.tracing.provider, 253) }], randomSamplingPercentage: sampling }],
        },
      });
    }
  }

  /**
   * The ALB: HTTPS 443 with the ACM certificates, targets the gateway pods
   * by IP, health-checks Istio's readiness endpoint (`/healthz/ready` on the
   * status port 15021 of the istio-proxy). Annotations:
   * https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/
   */
  private renderIngress(v: PropsValidator, lb: AlbOptions, service: string, metadata: { name: string; namespace: string; labels: Record<string, string> },
    tls: boolean): kplus.k8s.KubeIngress {
    v.check(lb.certificateArns.length > 0, 'loadBalancer.certificateArns', lb.certificateArns, 'must list at least one ACM certificate ARN');
    lb.certificateArns.forEach((arn, i) => v.matches(`loadBalancer.certificateArns[${i}]`, arn, /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'must be an ACM certificate ARN'));
    const waf = lb.wafAclArn === undefined ? undefined
      : v.matches('loadBalancer.wafAclArn', lb.wafAclArn, /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+$/, 'must be a regional WAFv2 web ACL ARN');
    const annotations: Record<string, string> = {
      'alb.ingress.kubernetes.io/scheme': lb.scheme ?? 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
      'alb.ingress.kubernetes.io/certificate-arn': lb.certificateArns.join(','),
      'alb.ingress.kubernetes.io/ssl-policy': lb.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'alb.ingress.kubernetes.io/backend-protocol': tls ? 'HTTPS' : 'HTTP',
      'alb.ingress.kubernetes.io/healthcheck-protocol': 'HTTP',
      'alb.ingress.kubernetes.io/healthcheck-port': '15021',
      'alb.ingress.kubernetes.io/healthcheck-path': '/healthz/ready',
      ...(waf ? { 'alb.ingress.kubernetes.io/wafv2-acl-arn': waf } : {}),
    };
    return new kplus.k8s.KubeIngress(this, 'Ingress', {
      metadata: { ...metadata, annotations },
      spec: {
        ingressClassName: lb.ingressClassName ?? 'alb',
        defaultBackend: { service: { name: service, port: { number: this.port } } },
      },
    });
  }
}

