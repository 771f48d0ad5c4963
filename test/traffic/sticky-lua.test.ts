import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Duration } from 'cdk8s';
import { LuaEngine, LuaFactory } from 'wasmoon';
import { AbTest, CostPreset, ModelGateway, ModelService } from '../../src';
import { assignVariant, bucketRanges, fnv1a32 } from '../../src/stats/ab';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { findObject, synthValid, testChart } from '../support/synth';

const DESIGN = { dailyUsers: 20000, baselineRate: 0.75, minDetectableEffect: 0.02, plannedDuration: Duration.days(14) };
const EXPERIMENT = 'churn-xgb-v2';
const HOST = 'churn-v1.models.example.com';

/** Renders an experiment behind a gateway; returns the synthesized objects and the Lua source of its sticky filter, as rendered. */
async function renderedScript(userId = { header: 'x-user-id', cookie: 'uid' }) {
  const { chart } = testChart('ml-churn');
  const gateway = new ModelGateway(chart, 'gateway', { domain: 'models.example.com', loadBalancer: false });
  const models = ['churn-v1', 'churn-v2'].map((name) => new ModelService(chart, name, { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.STAGING }));
  new AbTest(chart, 'ab', {
    experimentId: EXPERIMENT, design: DESIGN, gateway, userId,
    variants: [{ name: 'control', model: models[0], weight: 50 }, { name: 'treatment', model: models[1], weight: 50 }],
  });
  const objects = await synthValid(chart);
  const filter = findObject(objects, 'EnvoyFilter', `${EXPERIMENT}-sticky-bucket`);
  const patch = filter.spec.configPatches[0];
  return { objects, filter, patch, script: String(patch.patch.value.typed_config.default_source_code.inline_string) };
}

/**
 * A stand-in of Envoy's Lua stream handle (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/lua_filter):
 * `request_handle:headers()` with `get`, `replace` (adds when absent), `add` and `remove`, over a table of lower-case names.
 * `run(requests)` runs the rendered `envoy_on_request` on each request (lines of `name=value` pairs separated by `\t`)
 * and returns the bucket header after the filter, or `-` when it is absent.
 */
const STAND_IN = `
local function handle_for(hdrs)
  local h = {}
  function h:get(k) return hdrs[k] end
  function h:replace(k, v) hdrs[k] = v end
  function h:add(k, v) if hdrs[k] == nil then hdrs[k] = v end end
  function h:remove(k) hdrs[k] = nil end
  local handle = {}
  function handle:headers() return h end
  return handle
end

function run(requests, bucket_header)
  local out = {}
  for line in string.gmatch(requests, "[^\\n]+") do
    local hdrs = {}
    for k, v in string.gmatch(line, "([^=\\t]+)=([^\\t]*)") do hdrs[k] = v end
    envoy_on_request(handle_for(hdrs))
    out[#out + 1] = hdrs[bucket_header] or "-"
  end
  return table.concat(out, ",")
end
`;

describe('sticky A/B assignment at the gateway (rendered Lua in a real Lua 5.4 VM, wasmoon)', () => {
  let lua: LuaEngine;
  let rendered: Awaited<ReturnType<typeof renderedScript>>;

  before(async () => {
    rendered = await renderedScript();
    lua = await new LuaFactory().createEngine();
    await lua.doString(rendered.script);
    await lua.doString(STAND_IN);
  });

  function run(requests: ReadonlyArray<Record<string, string>>): string[] {
    const lines = requests.map((r) => Object.entries(r).map(([k, v]) => `${k}=${v}`).join('\t')).join('\n');
    const result: unknown = lua.global.get('run')(lines, 'x-ab-bucket');
    return String(result).split(',');
  }

  it('is an Istio EnvoyFilter inserting envoy.filters.http.lua before the router on the gateway pods only', () => {
    const { filter, patch } = rendered;
    assert.equal(filter.apiVersion, 'networking.istio.io/v1alpha3');
    assert.equal(filter.metadata.namespace, 'istio-ingress');
    assert.deepEqual(filter.spec.workloadSelector, { labels: { istio: 'ingressgateway' } });
    assert.equal(patch.applyTo, 'HTTP_FILTER');
    assert.equal(patch.match.context, 'GATEWAY');
    assert.equal(patch.match.listener.filterChain.filter.subFilter.name, 'envoy.filters.http.router');
    assert.equal(patch.patch.operation, 'INSERT_BEFORE');
    assert.equal(patch.patch.value.name, 'envoy.filters.http.lua');
    assert.equal(patch.patch.value.typed_config['@type'], 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua');
  });

  it('agrees with the TypeScript assignVariant bucket for bucket on 10,000 user ids', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => (i % 7 === 0 ? `user-${i}-é漢字` : i % 3 === 0 ? `${i * 7919}` : `u${i.toString(36)}@example.com`));
    const buckets = run(ids.map((id) => ({ ':authority': HOST, 'x-user-id': id })));
    const weights = [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }];
    const mismatches = ids.filter((id, i) => buckets[i] !== String(assignVariant(id, EXPERIMENT, weights).bucket));
    assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} of 10000 ids disagree`);
    // Both halves of the bucket space are hit: the hash spreads, and the routes' ranges see traffic.
    const ranges = bucketRanges(weights);
    assert.ok(buckets.some((b) => Number(b) <= ranges[0].to) && buckets.some((b) => Number(b) >= ranges[1].from));
    assert.equal(fnv1a32(`${EXPERIMENT}:${ids[0]}`) % 100, Number(buckets[0]));
  });

  it('strips a caller-supplied bucket header so users cannot pick their variant', () => {
    const own = String(assignVariant('alice', EXPERIMENT, [{ name: 'c', weight: 50 }, { name: 't', weight: 50 }]).bucket);
    const [forged, noUser, forgedOtherPort] = run([
      { ':authority': HOST, 'x-user-id': 'alice', 'x-ab-bucket': own === '99' ? '0' : '99' },
      { ':authority': HOST, 'x-ab-bucket': '99' },
      { ':authority': `${HOST}:443`, 'x-user-id': 'alice', 'x-ab-bucket': '1' },
    ]);
    assert.equal(forged, own);
    assert.equal(noUser, '-', 'without a user id the request carries no bucket and goes to control');
    assert.equal(forgedOtherPort, own);
  });

  it('reads the user id from the cookie when the header is absent, and leaves other hosts alone', () => {
    const fromCookie = String(fnv1a32(`${EXPERIMENT}:bob`) % 100);
    const [cookie, other] = run([
      { ':authority': HOST, cookie: 'theme=dark; uid=bob; x=1' },
      { ':authority': 'other.models.example.com', 'x-user-id': 'bob', 'x-ab-bucket': '7' },
    ]);
    assert.equal(cookie, fromCookie);
    assert.equal(other, '7', 'a request to another host is not this experiment\'s');
  });

  it('uses no Lua 5.2+ operators: Envoy runs Lua on LuaJIT (5.1 semantics)', () => {
    const code = rendered.script.split('\n').filter((l) => !l.trimStart().startsWith('--')).join('\n').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const op of ['//', '&', '|', '<<', '>>', 'goto']) {
      assert.ok(!code.includes(op), `script uses ${op}`);
    }
    assert.ok(!/~(?!=)/.test(code), 'script uses the ~ (xor/not) operator');
  });
});
