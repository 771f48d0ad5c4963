import { PropsValidator } from '../core/errors';
import { validateHttpUrl } from '../core/url';

/**
 * Tracing of a model server with the OpenTelemetry SDK. The gateway starts
 * the trace (Istio `Telemetry`, see `ModelGateway.tracing`) and forwards
 * W3C `traceparent`; the server's SDK continues it and exports its spans to
 * the collector. The variables are the SDK's standard environment
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 */
export interface ModelTracingOptions {
  /** OTLP endpoint of the OpenTelemetry collector, for example `http://otel-collector.observability.svc:4318`. */
  readonly otlpEndpoint: string;
  /** Percent of traces the server samples when no parent decided (the gateway's decision wins). @default 100 */
  readonly samplingPercent?: number;
}

/** What the `OTEL_*` variables describe. */
export interface TracedModel {
  /** Model (service) name. */
  readonly name: string;
  /** Namespace, if known. */
  readonly namespace?: string;
  /** Model version. */
  readonly version: string;
  /** Training code commit. */
  readonly trainingCommit: string;
  /** Training data version. */
  readonly dataVersion: string;
}

/** The `OTEL_*` environment of a model server container, in a fixed order. */
export function otelEnvironment(v: PropsValidator, model: TracedModel, options: ModelTracingOptions): Array<[string, string]> {
  const endpoint = validateHttpUrl(v, 'tracing.otlpEndpoint', options.otlpEndpoint);
  const sampling = v.range('tracing.samplingPercent', options.samplingPercent ?? 100, 0, 100);
  // Resource attribute values are W3C-baggage-like: ',' and '=' would break the list; the inputs are validated names and versions.
  const attributes = [
    ['service.version', model.version],
    ...(model.namespace ? [['service.namespace', model.namespace]] : []),
    ['ml.model.version', model.version],
    ['ml.model.training_commit', model.trainingCommit],
    ['ml.model.data_version', model.dataVersion],
  ].map(([k, value]) => `${k}=${encodeURIComponent(value)}`).join(',');
  return [
    ['OTEL_SERVICE_NAME', model.name],
    ['OTEL_RESOURCE_ATTRIBUTES', attributes],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', endpoint],
    ['OTEL_TRACES_EXPORTER', 'otlp'],
    ['OTEL_PROPAGATORS', 'tracecontext,baggage'],
    ['OTEL_TRACES_SAMPLER', 'parentbased_traceidratio'],
    ['OTEL_TRACES_SAMPLER_ARG', String(sampling / 100)],
  ];
}
