import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App } from 'cdk8s';
import { parser } from '@prometheus-io/lezer-promql';
import {
  AddonName, PlatformAddonsChart, PlatformAddonsChartProps, PlatformChart, PrerequisiteKind, TeamChart, ValidationError, setObservabilityLinks, synthObjects,
  writePrerequisites,
} from '../../src';
import { gitOpsAddons } from '../../examples/platform/addons';
import { GITOPS_PLATFORM } from '../../examples/platform/platform';
import { CHURN_TEAM_MODELS } from '../../examples/teams/churn/team';
import { MODEL_GATEWAY_REF } from '../../examples/platform/platform';
import { assertValidationError } from '../support/assert';
import { promtoolSkip, promtoolTests, runPromtoolTest } from '../support/promtool';
import { validateManifests } from '../support/schema';
import { TEST_LINKS, linkedApp } from '../support/synth';

/** The platform and churn team of the layered example, each in its own app (as their own repositories would synthesize them). */
function layered(): { platformApp: App; teamApp: App; platform: PlatformChart; addonsProps: PlatformAddonsChartProps } {
  const platformApp = linkedApp();
  setObservabilityLinks(platformApp, TEST_LINKS);
  const platform = new PlatformChart(platformApp, 'platform', GITOPS_PLATFORM);
  const teamApp = linkedApp();
  setObservabilityLinks(teamApp, TEST_LINKS);
  // The churn team's models (a canary Rollout, HPAs on requests per second), without the drift jobs and training (AWS identities: another test's subject).
  const team = new TeamChart(teamApp, 'churn', {
    team: 'churn', platform: platform.contract, models: CHURN_TEAM_MODELS.map((m) => ({ ...m, drift: undefined })), gateway: MODEL_GATEWAY_REF,
  });
  return { platformApp, teamApp, platform, addonsProps: gitOpsAddons(platform.contract, Object.values(team.models)) };
}

function addonsOf(props: PlatformAddonsChartProps): { app: App; chart: PlatformAddonsChart } {
  const app = linkedApp();
  return { app, chart: new PlatformAddonsChart(app, 'addons', props) };
}

function check(props: PlatformAddonsChartProps, l = layered()) {
  const { app, chart } = addonsOf(props);
  return chart.checkPrerequisites([l.platformApp, l.teamApp, app].flatMap((a) => synthObjects(a)));
}

const application = (objects: any[], name: string) => objects.find((o) => o.kind === 'Application' && o.metadata.name === name);

describe('PlatformAddonsChart (GitOps half)', () => {
  it('renders one Argo CD Application per add-on, pinned, with the values that matter, valid against the Application CRD', async () => {
    const l = layered();
    const { app } = addonsOf(l.addonsProps);
    const objects = synthObjects(app) as any[];
    await validateManifests(objects);
    assert.deepEqual(objects.filter((o) => o.kind === 'Application').map((o) => [o.metadata.name, o.spec.source.chart, o.spec.source.targetRevision]), [
      ['kube-prometheus-stack', 'kube-prometheus-stack', '88.5.3'], ['argo-rollouts', 'argo-rollouts', '2.41.0'], ['keda', 'keda', '2.20.2'],
      ['prometheus-adapter', 'prometheus-adapter', '5.3.0'], ['karpenter', 'karpenter', '1.14.1'], ['velero', 'velero', '12.1.0'], ['external-secrets', 'external-secrets', '2.9.0'],
      ['aws-load-balancer-controller', 'aws-load-balancer-controller', '3.5.0'],
    ]);
    const karpenter = application(objects, 'karpenter');
    assert.equal(karpenter.spec.source.repoURL, 'public.ecr.aws/karpenter', 'OCI registry without the scheme');
    assert.deepEqual(karpenter.spec.source.helm.valuesObject.settings, { clusterName: 'prod-eks', interruptionQueue: 'prod-eks-karpenter' });
    assert.equal(karpenter.spec.source.helm.valuesObject.settings.clusterName, l.platform.contract.cluster.name, 'the contract\'s cluster name');
    assert.deepEqual(karpenter.spec.source.helm.valuesObject.serviceAccount.annotations, { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/prod-eks-karpenter' });
    const oci = objects.find((o) => o.kind === 'Secret');
    assert.deepEqual([oci.metadata.labels, oci.stringData], [{ 'argocd.argoproj.io/secret-type': 'repository' },
      { name: 'karpenter', type: 'helm', url: 'public.ecr.aws/karpenter', enableOCI: 'true' }]);
    const velero = application(objects, 'velero').spec.source.helm.valuesObject;
    assert.deepEqual([velero.serviceAccount.server, velero.credentials, velero.configuration.backupStorageLocation[0].bucket],
      [{ name: 'velero-server', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/prod-eks-velero' } }, { useSecret: false }, 'acme-ml-velero-backups']);
    const lbc = application(objects, 'aws-load-balancer-controller').spec.source.helm.valuesObject;
    assert.deepEqual([lbc.clusterName, lbc.vpcId, lbc.serviceAccount.annotations['eks.amazonaws.com/role-arn']],
      ['prod-eks', 'vpc-0a1b2c3d4e5f67890', 'arn:aws:iam::123456789012:role/prod-eks-aws-load-balancer-controller']);
    const prom = application(objects, 'kube-prometheus-stack');
    assert.deepEqual(prom.spec.source.helm.valuesObject.prometheus.prometheusSpec.ruleSelector, { matchLabels: l.platform.contract.monitoring.selectorLabels },
      'Prometheus selects the rules by the labels the library puts on them');
    assert.deepEqual(prom.spec.source.helm.valuesObject.prometheus.prometheusSpec.serviceMonitorSelector, { matchLabels: { release: 'kube-prometheus-stack' } });
    assert.equal(prom.metadata.annotations['argocd.argoproj.io/sync-wave'], '-11', 'before the others: their ServiceMonitors need its CRDs');
    assert.deepEqual(prom.spec.syncPolicy.syncOptions, ['CreateNamespace=true', 'ServerSideApply=true']);
  });

  it('renders the adapter rule serving http_requests_per_second from the models\' request counter, probe paths excluded', () => {
    const { chart } = addonsOf(layered().addonsProps);
    const adapter = chart.releases.find((r) => r.name === AddonName.PROMETHEUS_ADAPTER);
    assert.deepEqual(adapter?.values, {
      prometheus: { url: 'http://prometheus-operated.monitoring.svc', port: 9090 },
      rules: {
        default: false,
        custom: [{
          seriesQuery: '{__name__="http_requests_total",namespace!="",pod!=""}',
          resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
          name: { matches: '^http_requests_total$', as: 'http_requests_per_second' },
          metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>,handler!~"/health|/ready|/metrics"}[2m])) by (<<.GroupBy>>)',
        }],
      },
    }, 'one rule: the three models share the counter and excluded paths');
  });

  it('the adapter query, as the adapter fills it for an HPA, is PromQL and counts user traffic only (promtool)', { skip: promtoolSkip }, () => {
    const { chart } = addonsOf(layered().addonsProps);
    const rule = (chart.releases.find((r) => r.name === AddonName.PROMETHEUS_ADAPTER)?.values.rules as any).custom[0];
    // What prometheus-adapter substitutes for one HPA in namespace ml-churn (docs/config.md: Series, LabelMatchers, GroupBy).
    const query = String(rule.metricsQuery).replace('<<.Series>>', 'http_requests_total')
      .replace('<<.LabelMatchers>>', 'namespace="ml-churn",pod=~"churn-model-a|churn-model-b"').replace('<<.GroupBy>>', 'pod');
    let syntaxErrors = 0;
    parser.parse(query).iterate({ enter: (n) => { syntaxErrors += n.type.isError ? 1 : 0; } });
    assert.equal(syntaxErrors, 0, query);
    const series = (pod: string, handler: string, perMinute: number) => ({
      series: `http_requests_total{namespace="ml-churn",pod="${pod}",handler="${handler}"}`, values: `0+${perMinute}x10`,
    });
    const result = runPromtoolTest('groups: []\n', promtoolTests([{
      interval: '1m',
      input_series: [series('churn-model-a', '/predict', 600), series('churn-model-a', '/health', 6000), series('churn-model-b', '/ready', 6000), series('churn-model-b', '/predict', 120)],
      promql_expr_test: [{ expr: query, eval_time: '5m', exp_samples: [{ labels: '{pod="churn-model-a"}', value: 10 }, { labels: '{pod="churn-model-b"}', value: 2 }] }],
    }]));
    assert.ok(result.ok, `${query}\n${result.output}`);
  });

  it('turns each add-on off, and refuses settings it cannot use', () => {
    const l = layered();
    const { chart } = addonsOf({ ...l.addonsProps, keda: false, velero: false });
    assert.deepEqual(chart.releases.map((r) => r.name).filter((n) => n === AddonName.KEDA || n === AddonName.VELERO), []);
    assertValidationError(() => addonsOf({ ...l.addonsProps, prometheusAdapter: { requestRates: [] } }), 'addons', 'prometheusAdapter.requestRates');
    assertValidationError(() => addonsOf({ ...l.addonsProps, prometheusAdapter: { requestRates: [{ requestsTotal: 'a_total' }, { requestsTotal: 'b_total' }] } }),
      'addons', 'one metric name from one query');
  });
});

describe('prerequisites check', () => {
  it('lists what the manifests need, each provided by an add-on or declared external, and writes prerequisites.md and .json', () => {
    const report = check(layered().addonsProps);
    const by = (kind: PrerequisiteKind, name: string) => report.prerequisites.find((p) => p.kind === kind && p.name === name);
    assert.equal(by(PrerequisiteKind.CRD, 'Rollout.argoproj.io')?.providedBy, 'addon:argo-rollouts');
    assert.equal(by(PrerequisiteKind.CUSTOM_METRIC, 'pods/http_requests_per_second')?.providedBy, 'addon:prometheus-adapter');
    assert.equal(by(PrerequisiteKind.CRD, 'NodePool.karpenter.sh')?.providedBy, 'addon:karpenter');
    assert.equal(by(PrerequisiteKind.CRD, 'Schedule.velero.io')?.providedBy, 'addon:velero');
    assert.equal(by(PrerequisiteKind.CRD, 'ServiceMonitor.monitoring.coreos.com')?.providedBy, 'addon:kube-prometheus-stack');
    assert.equal(by(PrerequisiteKind.NAMESPACE, 'monitoring')?.providedBy, 'addon:kube-prometheus-stack');
    assert.equal(by(PrerequisiteKind.NAMESPACE, 'ml-churn'), undefined, 'the platform chart creates the team namespace');
    assert.ok(report.prerequisites.every((p) => p.requiredBy.length > 0 && /^(addon:|external: )/.test(p.providedBy)));
    const dir = mkdtempSync(join(tmpdir(), 'prereq-'));
    try {
      assert.deepEqual(writePrerequisites(dir, report), ['prerequisites.json', 'prerequisites.md']);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'prerequisites.json'), 'utf8')).prerequisites.length, report.prerequisites.length);
      assert.match(readFileSync(join(dir, 'prerequisites.md'), 'utf8'), /\| `Rollout\.argoproj\.io` \| addon:argo-rollouts \| /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the synth when an add-on the objects need is removed: no Argo Rollouts for the canary Rollout', () => {
    assertValidationError(() => check({ ...layered().addonsProps, argoRollouts: false }), 'addons', "'Rollout.argoproj.io'", 'Rollout ml-churn/', 'provided by no add-on');
  });

  it('fails the synth when the HPA\'s Pods metric has no adapter rule (kubernetes#99514: the HPA would not scale down)', () => {
    assertValidationError(() => check({ ...layered().addonsProps, prometheusAdapter: false }), 'addons', "'pods/http_requests_per_second'", 'HorizontalPodAutoscaler ml-churn/');
  });

  it('accepts a removed add-on declared external, and says so', () => {
    const props = layered().addonsProps;
    const report = check({ ...props, argoRollouts: false, external: [...props.external ?? [], ...['Rollout', 'AnalysisTemplate'].map((k) => ({
      kind: PrerequisiteKind.CRD, name: `${k}.argoproj.io`, providedBy: 'Argo Rollouts installed by the cluster team',
    }))] });
    assert.equal(report.prerequisites.find((p) => p.name === 'Rollout.argoproj.io')?.providedBy, 'external: Argo Rollouts installed by the cluster team');
  });
});

describe('one cluster name', () => {
  it('refuses a training pool whose cluster name differs from the cluster\'s (its discovery tags would find no subnets)', () => {
    const pool = GITOPS_PLATFORM.training?.pool;
    assert.ok(pool);
    assert.throws(() => new PlatformChart(linkedApp(), 'platform', { ...GITOPS_PLATFORM, training: { pool: { ...pool, clusterName: 'other-eks' } } }),
      (e: unknown) => e instanceof ValidationError && e.property === 'training.pool.clusterName' && e.message.includes("must equal 'cluster.name' (prod-eks)"));
  });

  it('gives the EC2NodeClass discovery tags and Karpenter\'s settings.clusterName the same name', () => {
    const l = layered();
    const nodeClass = synthObjects(l.platformApp).find((o) => o.kind === 'EC2NodeClass') as any;
    const karpenter = addonsOf(l.addonsProps).chart.releases.find((r) => r.name === AddonName.KARPENTER);
    const clusterName = (karpenter?.values.settings as any).clusterName;
    assert.deepEqual(nodeClass.spec.subnetSelectorTerms, [{ tags: { 'karpenter.sh/discovery': clusterName } }]);
    assert.deepEqual(nodeClass.spec.securityGroupSelectorTerms, [{ tags: { 'karpenter.sh/discovery': clusterName } }]);
  });
});
