// The restore drill's fences: its ValidatingAdmissionPolicies evaluated with a CEL engine (@bufbuild/cel)
// against the Restore the drill script really creates (allowed) and the Restores a stolen token would try
// (denied), its mesh exclusions and its default-deny NetworkPolicy.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Chart, Duration } from 'cdk8s';
import { parse } from 'yaml';
import { DRILL_MESH_RESOURCES, PlatformBackups } from '../../src/dr/backups';
import { DRILL_MARK_LABEL, RestoreDrillConfig, restoreRequest } from '../../src/dr/restore-drill';
import { ModelService } from '../../src/serving/model-service';
import { CostPreset } from '../../src/policy/presets';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { evaluatePolicy } from '../support/admission';
import { ManifestObject } from '../support/schema';
import { findObject, synthValid, testChart } from '../support/synth';

const SA = 'system:serviceaccount:velero:platform-restore-drill';
const BACKUP = 'platform-ml-churn-20260101030500';

/** JSON merge patch (RFC 7386), as Velero applies `mergePatches`. */
function mergePatch(target: unknown, patch: unknown): any {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function drillChart(network?: { apiServerCidrs: string[] }, roleArn?: string) {
  const { app, chart } = testChart('ml-churn');
  const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
  const backupsChart = new Chart(app, 'backups');
  const backups = new PlatformBackups(backupsChart, 'platform', {
    disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30) },
    namespaces: ['ml-churn'], services: [model], drill: { network, roleArn },
  });
  return { backupsChart, backups };
}

describe('restore drill: admission policies (CEL evaluated), mesh exclusions, NetworkPolicy', () => {
  let objects: ManifestObject[];
  let config: RestoreDrillConfig;
  let restores: { spec: any };
  let namespaces: { spec: any };
  const allowed = () => structuredClone(restoreRequest(config, BACKUP, 'platform-restore-drill-abc')) as Record<string, any>;
  const create = (object: unknown, username = SA) => evaluatePolicy(restores, { object, oldObject: null, operation: 'CREATE', username });

  before(async () => {
    const { backupsChart, backups } = drillChart();
    objects = await synthValid(backupsChart);
    config = backups.drill?.config ?? assert.fail('no drill');
    restores = findObject(objects, 'ValidatingAdmissionPolicy', 'velero-platform-restore-drill') as { spec: any };
    namespaces = findObject(objects, 'ValidatingAdmissionPolicy', 'velero-platform-restore-drill-namespaces') as { spec: any };
  });

  it('renders both policies with Deny bindings, for the drill\'s ServiceAccount only', () => {
    assert.deepEqual(restores.spec.matchConstraints.resourceRules, [{ apiGroups: ['velero.io'], apiVersions: ['v1'], resources: ['restores'], operations: ['CREATE', 'DELETE'] }]);
    assert.deepEqual(namespaces.spec.matchConstraints.resourceRules, [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE'] }]);
    for (const name of ['velero-platform-restore-drill', 'velero-platform-restore-drill-namespaces']) {
      assert.deepEqual(findObject(objects, 'ValidatingAdmissionPolicyBinding', name).spec.validationActions, ['Deny']);
    }
    assert.equal(create(allowed(), 'system:serviceaccount:velero:velero').matched, false, 'Velero itself is not matched');
  });

  it('excludes the Istio objects from the Restore, even when excludedResources is set', () => {
    const excluded: string[] = (config.restore.spec as any).excludedResources;
    for (const r of ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io', 'gateways.networking.istio.io', 'envoyfilters.networking.istio.io']) {
      assert.ok(excluded.includes(r), r);
    }
    const { app, chart } = testChart('ml-churn');
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
    const custom = new PlatformBackups(new Chart(app, 'b'), 'platform', {
      disasterRecovery: { rpo: Duration.hours(1), rto: Duration.hours(1), retention: Duration.days(30) },
      namespaces: ['ml-churn'], services: [model], drill: { excludedResources: ['jobs.batch'] },
    });
    assert.deepEqual((custom.drill?.config.restore.spec as any).excludedResources, ['jobs.batch', ...DRILL_MESH_RESOURCES]);
  });

  it('admits the Restore the drill script creates', () => {
    assert.deepEqual(create(allowed()), { matched: true, denied: [] });
  });

  const forbidden: Array<[string, (r: Record<string, any>) => void, RegExp]> = [
    ['a Restore into production', (r) => { r.spec.namespaceMapping = { 'ml-churn': 'ml-churn' }; }, /only restore namespace ml-churn into ml-churn-drill/],
    ['a Restore without a namespace mapping', (r) => { delete r.spec.namespaceMapping; }, /only restore namespace/],
    ['a Restore of another namespace', (r) => { r.spec.includedNamespaces = ['ml-fraud']; r.spec.namespaceMapping = { 'ml-fraud': 'ml-churn-drill' }; }, /only restore namespace/],
    ['a Restore of all namespaces', (r) => { r.spec.includedNamespaces = ['*']; }, /only restore namespace/],
    ['another schedule\'s backup', (r) => { r.spec.backupName = 'platform-ml-fraud-20260101030500'; }, /only restore backups of schedule platform-ml-churn/],
    ['a hand-made backup', (r) => { r.spec.backupName = 'platform-ml-churn-manual'; }, /only restore backups of schedule/],
    ['a Restore from the schedule', (r) => { r.spec.scheduleName = 'platform-ml-churn'; }, /only restore backups of schedule/],
    ['an unmarked Restore', (r) => { delete r.metadata.labels[DRILL_MARK_LABEL]; }, /only create Restores labelled/],
    ['a Restore that restores the VirtualServices', (r) => { r.spec.excludedResources = r.spec.excludedResources.filter((x: string) => !x.startsWith('virtualservices')); }, /must exclude/],
    ['a Restore with cluster resources', (r) => { r.spec.includeClusterResources = true; }, /must exclude/],
    ['a Restore with hooks', (r) => { r.spec.hooks = { resources: [{ name: 'x', postHooks: [{ init: { initContainers: [{ name: 'x', image: 'evil' }] } }] }] }; }, /hooks/],
    ['a Restore that updates existing objects', (r) => { r.spec.existingResourcePolicy = 'update'; }, /existingResourcePolicy/],
    // Without the drill's modifiers, restored ServiceAccounts would keep the production IAM roles.
    ['a Restore without the resource modifiers', (r) => { delete r.spec.resourceModifier; }, /must use its own resource modifiers \(ConfigMap platform-restore-drill-modifiers/],
    ['a Restore with other resource modifiers', (r) => { r.spec.resourceModifier = { kind: 'configmap', name: 'keep-prod-roles' }; }, /must use its own resource modifiers/],
  ];
  for (const [what, change, message] of forbidden) {
    it(`denies ${what}`, () => {
      const r = allowed();
      change(r);
      const outcome = create(r);
      assert.ok(outcome.denied.some((m) => message.test(m)), `denied: ${outcome.denied.join(' | ')}`);
    });
  }

  it('rewrites the IAM role of every restored ServiceAccount with a Velero resource modifier: removed by default', async () => {
    const cm = findObject(objects, 'ConfigMap', 'platform-restore-drill-modifiers');
    assert.equal(cm.metadata.namespace, 'velero', 'Velero reads resource modifiers from its own namespace');
    assert.deepEqual(Object.keys(cm.data), ['resource-modifiers.yaml'], 'Velero reads a ConfigMap with exactly one key');
    const rules = parse(cm.data['resource-modifiers.yaml']);
    assert.deepEqual(rules, {
      version: 'v1',
      resourceModifierRules: [{
        conditions: { groupResource: 'serviceaccounts', namespaces: ['ml-churn', 'ml-churn-drill'] },
        mergePatches: [{ patchData: '{"metadata":{"annotations":{"eks.amazonaws.com/role-arn":null}}}' }],
      }],
    });
    // The merge patch (RFC 7386) on a restored production ServiceAccount: the role is gone, the rest kept.
    const patch = JSON.parse(rules.resourceModifierRules[0].mergePatches[0].patchData);
    const sa = { metadata: { name: 'churn-model', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/churn-prod', team: 'churn' } } };
    assert.deepEqual(mergePatch(sa, patch), { metadata: { name: 'churn-model', annotations: { team: 'churn' } } });

    const withRole = drillChart(undefined, 'arn:aws:iam::123456789012:role/churn-drill');
    const drillCm = findObject(await synthValid(withRole.backupsChart), 'ConfigMap', 'platform-restore-drill-modifiers');
    const drillPatch = JSON.parse(parse(drillCm.data['resource-modifiers.yaml']).resourceModifierRules[0].mergePatches[0].patchData);
    assert.deepEqual(mergePatch(sa, drillPatch).metadata.annotations, { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/churn-drill', team: 'churn' });
    assert.throws(() => drillChart(undefined, 'churn-drill'), /invalid 'roleArn' \("churn-drill"\): must be an IAM role ARN/);
  });

  it('admits deleting its own Restores only', () => {
    const own = allowed();
    assert.deepEqual(evaluatePolicy(restores, { object: null, oldObject: own, operation: 'DELETE', username: SA }).denied, []);
    const foreign = { ...own, metadata: { name: 'nightly-restore', labels: {} } };
    assert.match(evaluatePolicy(restores, { object: null, oldObject: foreign, operation: 'DELETE', username: SA }).denied.join(), /only delete Restores labelled/);
  });

  it('admits creating the marked scratch namespace only', () => {
    const ns = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    const check = (o: unknown) => evaluatePolicy(namespaces, { object: o, oldObject: null, operation: 'CREATE', username: SA }).denied;
    assert.deepEqual(check(ns('ml-churn-drill', { [DRILL_MARK_LABEL]: 'platform-restore-drill', team: 'churn' })), []);
    assert.equal(check(ns('kube-evil', { [DRILL_MARK_LABEL]: 'platform-restore-drill' })).length, 1);
    assert.equal(check(ns('ml-churn-drill', {})).length, 1);
  });

  it('has a default-deny NetworkPolicy: DNS, the API server and the Pushgateway', async () => {
    const np = findObject(objects, 'NetworkPolicy', 'platform-restore-drill');
    const pod = findObject(objects, 'CronJob', 'platform-restore-drill').spec.jobTemplate.spec.template;
    assert.ok(Object.entries(np.spec.podSelector.matchLabels).every(([k, v]) => pod.metadata.labels[k] === v));
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress, []);
    assert.deepEqual(np.spec.egress.slice(1), [
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }], ports: [{ protocol: 'TCP', port: 9091 }] },
    ]);
    const narrowed = await synthValid(drillChart({ apiServerCidrs: ['172.20.0.0/16'] }).backupsChart);
    assert.deepEqual(findObject(narrowed, 'NetworkPolicy', 'platform-restore-drill').spec.egress[1].to, [{ ipBlock: { cidr: '172.20.0.0/16' } }]);
  });
});
