import { Size } from 'cdk8s';
import {
  EnvoyFilterSpecConfigPatches, EnvoyFilterSpecConfigPatchesApplyTo as ApplyTo, EnvoyFilterSpecConfigPatchesMatchContext as Context,
  EnvoyFilterSpecConfigPatchesPatchOperation as Operation,
} from '../../imports/envoyfilter-networking.istio.io';
import { PropsValidator } from '../core/errors';
import { EdgeRateLimit, EdgeSettings } from '../policy/presets';

/**
 * Envoy configuration the edge renders into Istio `EnvoyFilter` patches
 * (context `GATEWAY`: applied by the ingress gateway's proxy only).
 * Filter names and types are Envoy's v3 API:
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/local_rate_limit_filter,
 * .../buffer_filter and .../lua_filter.
 */

/** What the edge enforces on one route. */
export interface EdgeLimits {
  /** Local rate limit (per gateway replica); `false` for none. @default - the preset's `edge.rateLimit` */
  readonly rateLimit?: EdgeRateLimit | false;
  /** Largest request body; larger requests get 413 from the gateway. @default - the preset's `edge.maxRequestBody` */
  readonly maxRequestBody?: Size;
}

/** {@link EdgeLimits}, resolved against a preset and validated. */
export interface ResolvedEdgeLimits {
  /** The token bucket, or `undefined` for no rate limit. */
  readonly rateLimit?: EdgeRateLimit;
  /** Largest request body in bytes. */
  readonly maxRequestBytes: number;
}

/** Resolves and validates route limits (`property` prefixes the property names in errors). */
export function resolveEdgeLimits(v: PropsValidator, property: string, limits: EdgeLimits | undefined, defaults: EdgeSettings): ResolvedEdgeLimits {
  const rl = limits?.rateLimit ?? defaults.rateLimit;
  const bytes = (limits?.maxRequestBody ?? defaults.maxRequestBody).toKibibytes() * 1024;
  v.integer(`${property}.maxRequestBody`, bytes, 1024, 1024 * 1024 * 1024);
  if (rl === false) {
    return { maxRequestBytes: bytes };
  }
  const rps = v.integer(`${property}.rateLimit.requestsPerSecond`, rl.requestsPerSecond, 1, 1_000_000);
  const burst = v.integer(`${property}.rateLimit.burst`, rl.burst, rps, 10_000_000);
  return { rateLimit: { requestsPerSecond: rps, burst }, maxRequestBytes: bytes };
}

const HCM = 'envoy.filters.network.http_connection_manager';
const ROUTER = 'envoy.filters.http.router';
/** Envoy filter name of the local rate limit. */
export const LOCAL_RATELIMIT = 'envoy.filters.http.local_ratelimit';
/** Envoy filter name of the buffer filter (request body limit). */
export const BUFFER = 'envoy.filters.http.buffer';

/** An `EnvoyFilter` config patch inserting an HTTP filter before the router on the gateway's listeners. */
export function insertHttpFilter(name: string, typedConfig: Record<string, unknown>): EnvoyFilterSpecConfigPatches {
  return {
    applyTo: ApplyTo.HTTP_UNDERSCORE_FILTER,
    match: { context: Context.GATEWAY, listener: { filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } } },
    patch: { operation: Operation.INSERT_UNDERSCORE_BEFORE, value: { name, typed_config: typedConfig } },
  };
}

/**
 * The gateway-wide filters: a local rate limit with no bucket (Envoy applies
 * it only where a route or virtual host carries a per-filter config) and a
 * buffer filter with the gateway's default body limit.
 */
export function edgeFilterPatches(defaultMaxRequestBytes: number): EnvoyFilterSpecConfigPatches[] {
  return [
    insertHttpFilter(LOCAL_RATELIMIT, {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
      stat_prefix: 'edge_local_rate_limit',
    }),
    insertHttpFilter(BUFFER, {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer',
      max_request_bytes: defaultMaxRequestBytes,
    }),
  ];
}

const PERCENT_100 = { default_value: { numerator: 100, denominator: 'HUNDRED' } };

/**
 * The per-virtual-host limits of one route host at the gateway. Istio names
 * a gateway's virtual hosts `<host>:<port>` (istio/istio
 * pilot/pkg/networking/core/gateway.go, `util.DomainName(hostname, port)`).
 */
export function routeLimitPatch(host: string, port: number, limits: ResolvedEdgeLimits): EnvoyFilterSpecConfigPatches {
  const perFilter: Record<string, unknown> = {
    [BUFFER]: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', buffer: { max_request_bytes: limits.maxRequestBytes } },
  };
  if (limits.rateLimit) {
    perFilter[LOCAL_RATELIMIT] = {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
      stat_prefix: 'edge_local_rate_limit',
      token_bucket: { max_tokens: limits.rateLimit.burst, tokens_per_fill: limits.rateLimit.requestsPerSecond, fill_interval: '1s' },
      filter_enabled: { runtime_key: 'edge_local_rate_limit_enabled', ...PERCENT_100 },
      filter_enforced: { runtime_key: 'edge_local_rate_limit_enforced', ...PERCENT_100 },
      response_headers_to_add: [{ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', header: { key: 'x-local-rate-limit', value: 'true' } }],
    };
  }
  return {
    applyTo: ApplyTo.VIRTUAL_UNDERSCORE_HOST,
    match: { context: Context.GATEWAY, routeConfiguration: { vhost: { name: `${host}:${port}` } } },
    patch: { operation: Operation.MERGE, value: { typed_per_filter_config: perFilter } },
  };
}

/** Where the gateway reads the user id of sticky assignment from. */
export interface StickyUserId {
  /** Request header carrying the user id, for example `x-user-id`. @default - none */
  readonly header?: string;
  /** Cookie carrying the user id (read when the header is absent). @default - none */
  readonly cookie?: string;
}

/** Inputs of {@link stickyBucketLua}. */
export interface StickyBucketScript {
  /** Experiment id: the hash input is `<experimentId>:<userId>`. */
  readonly experimentId: string;
  /** Hosts (`:authority` without port) the script acts on. */
  readonly hosts: readonly string[];
  /** Header the routes match the bucket on. */
  readonly bucketHeader: string;
  /** Where the user id comes from. */
  readonly userId: StickyUserId;
}

/** A Lua string literal (the values are validated names, quoted for safety anyway). */
function luaString(s: string): string {
  return JSON.stringify(s);
}

/**
 * The Lua source of the gateway's sticky A/B assignment: for requests to the
 * experiment's hosts it removes any caller-supplied bucket header, reads the
 * user id (header first, then cookie) and sets the bucket header to
 * `FNV-1a-32(experimentId + ':' + userId) mod 100`, exactly `assignVariant`
 * (src/stats/ab.ts). Envoy runs Lua on LuaJIT (Lua 5.1 semantics, no
 * integer bit operators), so the hash uses only `%`, `*`, `+` and
 * `math.floor` on values below 2^53: exact on LuaJIT's doubles and on Lua
 * 5.4's integers alike. Requests without a user id get no bucket (control).
 */
export function stickyBucketLua(s: StickyBucketScript): string {
  const hosts = s.hosts.map((h) => `[${luaString(h)}] = true`).join(', ');
  return [
    '-- Generated by ml-platform-constructs: sticky A/B assignment at the gateway.',
    `local EXPERIMENT = ${luaString(s.experimentId)}`,
    `local HOSTS = { ${hosts} }`,
    `local BUCKET_HEADER = ${luaString(s.bucketHeader)}`,
    `local USER_HEADER = ${s.userId.header ? luaString(s.userId.header) : 'nil'}`,
    `local USER_COOKIE = ${s.userId.cookie ? luaString(s.userId.cookie) : 'nil'}`,
    '',
    '-- XOR of two bytes with arithmetic only (LuaJIT has no ~ operator).',
    'local function xor8(a, b)',
    '  local r, p = 0, 1',
    '  for _ = 1, 8 do',
    '    local x, y = a % 2, b % 2',
    '    if x ~= y then r = r + p end',
    '    a, b, p = math.floor(a / 2), math.floor(b / 2), p * 2',
    '  end',
    '  return r',
    'end',
    '',
    '-- FNV-1a 32-bit over the bytes of s; h * 16777619 mod 2^32 = h * 403 + (h mod 256) * 2^24 (mod 2^32).',
    'local function fnv1a32(s)',
    '  local h = 2166136261',
    '  for i = 1, #s do',
    '    local lo = h % 256',
    '    h = h - lo + xor8(lo, string.byte(s, i))',
    '    h = (h * 403 + (h % 256) * 16777216) % 4294967296',
    '  end',
    '  return h',
    'end',
    '',
    'local function user_id(headers)',
    '  if USER_HEADER ~= nil then',
    '    local id = headers:get(USER_HEADER)',
    '    if id ~= nil and id ~= "" then return id end',
    '  end',
    '  if USER_COOKIE ~= nil then',
    '    local cookies = headers:get("cookie")',
    '    if cookies ~= nil then',
    '      for name, value in string.gmatch(cookies, "([^=;%s]+)=([^;]*)") do',
    '        if name == USER_COOKIE and value ~= "" then return value end',
    '      end',
    '    end',
    '  end',
    '  return nil',
    'end',
    '',
    'function envoy_on_request(request_handle)',
    '  local headers = request_handle:headers()',
    '  local authority = headers:get(":authority")',
    '  if authority == nil then return end',
    '  local host = string.lower(string.match(authority, "^[^:]+") or "")',
    '  if not HOSTS[host] then return end',
    '  headers:remove(BUCKET_HEADER)',
    '  local id = user_id(headers)',
    '  if id == nil then return end',
    '  headers:replace(BUCKET_HEADER, string.format("%d", fnv1a32(EXPERIMENT .. ":" .. id) % 100))',
    'end',
    '',
  ].join('\n');
}

/** The `EnvoyFilter` patch inserting the sticky assignment Lua filter on the gateway. */
export function stickyBucketPatch(script: string): EnvoyFilterSpecConfigPatches {
  return insertHttpFilter('envoy.filters.http.lua', {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
    default_source_code: { inline_string: script },
  });
}
