import { Duration } from 'cdk8s';
import { PropsValidator } from '../core/errors';
import { promDuration } from '../monitoring/monitoring';

/** Istio retry policy of a route. */
export interface RetryOptions {
  /** Attempts per request (0 disables retries). @default 3 */
  readonly attempts?: number;
  /** Timeout of each attempt. @default Duration.seconds(2) */
  readonly perTryTimeout?: Duration;
  /** Conditions that trigger a retry (Envoy `retry_on`). @default 'connect-failure,refused-stream,unavailable,cancelled,5xx' */
  readonly retryOn?: string;
}

/** Istio circuit breaking of a destination. */
export interface CircuitBreakerOptions {
  /** Consecutive 5xx responses that eject an endpoint. @default 5 */
  readonly consecutive5xxErrors?: number;
  /** How often endpoints are checked. @default Duration.seconds(10) */
  readonly interval?: Duration;
  /** Minimum ejection time (the guide's 60 s recovery timeout). @default Duration.seconds(60) */
  readonly baseEjectionTime?: Duration;
  /** Largest share of endpoints that may be ejected (percent). @default 50 */
  readonly maxEjectionPercent?: number;
  /** TCP connections per endpoint. @default 100 */
  readonly maxConnections?: number;
  /** Pending HTTP requests waiting for a connection. @default 100 */
  readonly maxPendingRequests?: number;
}

/** The `retries` block of an Istio HTTP route. */
export function istioRetries(v: PropsValidator, r: RetryOptions = {}): { attempts: number; perTryTimeout?: string; retryOn?: string } {
  const attempts = v.integer('retries.attempts', r.attempts ?? 3, 0, 10);
  const perTry = r.perTryTimeout ?? Duration.seconds(2);
  v.check(perTry.toMilliseconds() >= 1, 'retries.perTryTimeout', perTry, 'must be at least 1ms');
  const retryOn = v.matches('retries.retryOn', r.retryOn ?? 'connect-failure,refused-stream,unavailable,cancelled,5xx',
    /^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'must be a comma-separated list of Envoy retry conditions');
  return attempts > 0 ? { attempts, perTryTimeout: `${perTry.toMilliseconds()}ms`, retryOn } : { attempts: 0 };
}

/** The `trafficPolicy` of an Istio DestinationRule: connection pool limits and outlier detection. */
export function istioTrafficPolicy(v: PropsValidator, c: CircuitBreakerOptions = {}) {
  const interval = c.interval ?? Duration.seconds(10);
  const ejection = c.baseEjectionTime ?? Duration.seconds(60);
  v.seconds('circuitBreaker.interval', interval, 1, 3600);
  v.seconds('circuitBreaker.baseEjectionTime', ejection, 1, 86400);
  return {
    connectionPool: {
      tcp: { maxConnections: v.integer('circuitBreaker.maxConnections', c.maxConnections ?? 100, 1, 1_000_000) },
      http: { http1MaxPendingRequests: v.integer('circuitBreaker.maxPendingRequests', c.maxPendingRequests ?? 100, 1, 1_000_000) },
    },
    outlierDetection: {
      consecutive5XxErrors: v.integer('circuitBreaker.consecutive5xxErrors', c.consecutive5xxErrors ?? 5, 1, 1000),
      interval: promDuration(interval),
      baseEjectionTime: promDuration(ejection),
      maxEjectionPercent: v.integer('circuitBreaker.maxEjectionPercent', c.maxEjectionPercent ?? 50, 1, 100),
    },
  };
}
