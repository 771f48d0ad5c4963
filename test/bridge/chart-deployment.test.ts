import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { CostPreset, ServingChart, ServingChartProps, ValidationError, setObservabilityLinks, synthObjects } from '../../src';
import { ChartDeployment } from '../../src/pulumi';
import { promiseOf } from '../../src/testing/pulumi-mocks';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { recorderReady } from '../support/pulumi';
import { validateManifests } from '../support/schema';
import { TEST_LINKS } from '../support/synth';

const MODEL = { id: 'churn-model', image: IMAGE, version: VERSION, modelCard: CARD };

function servingFactory(scope: Construct, props: ServingChartProps): void {
  // The PRODUCTION preset's alerts need absolute links; a stack passes its `links` the same way (withLinks).
  setObservabilityLinks(scope, TEST_LINKS);
  new ServingChart(scope, 'serving', props);
}

describe('ChartDeployment (the cdk8s to Pulumi bridge)', () => {
  beforeEach(async () => (await recorderReady).reset());

  it('registers the chart objects in a ConfigGroup with AWS outputs resolved into them', async () => {
    const rec = await recorderReady;
    const roleArn = pulumi.output('arn:aws:iam::123456789012:role/churn');
    const deployment = new ChartDeployment<ServingChartProps>('serving', {
      chart: servingFactory,
      props: {
        namespace: 'ml-churn',
        models: [MODEL],
        aws: roleArn.apply((arn) => ({ 'churn-model': { roleArn: arn, modelUri: 's3://b/models/churn-model/' } })),
      },
    });
    const objects = await promiseOf(deployment.objects);
    await rec.settle();
    assert.deepEqual(rec.resources.map((r) => r.type), ['ml-platform:k8s:ChartDeployment', 'kubernetes:yaml/v2:ConfigGroup']);
    const group = rec.one('kubernetes:yaml/v2:ConfigGroup');
    assert.equal(group.name, 'serving-objects');
    assert.equal(group.parent?.name, 'serving');
    assert.equal(group.inputs.resourcePrefix, 'serving');
    const objs = group.inputs.objs as any[];
    assert.equal(objs.length, objects.length);
    const sa = objs.find((o) => o.kind === 'ServiceAccount');
    assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/churn');
    const env = objs.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].env;
    assert.deepEqual(env.find((e: any) => e.name === 'MODEL_URI'), { name: 'MODEL_URI', value: 's3://b/models/churn-model/' });
    const np = objs.find((o) => o.kind === 'NetworkPolicy');
    assert.deepEqual(np.spec.egress.at(-1), { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] });
    await validateManifests(objs);
  });

  it('keeps object names identical to cdk8s synth', async () => {
    const rec = await recorderReady;
    const props: ServingChartProps = { namespace: 'ml-churn', models: [MODEL, { ...MODEL, id: 'fraud-model', preset: CostPreset.STAGING }] };
    const deployment = new ChartDeployment<ServingChartProps>('names', { chart: servingFactory, props });
    const viaPulumi = await promiseOf(deployment.objects);
    const app = new App();
    servingFactory(app, props);
    const viaSynth = synthObjects(app);
    const ids = (objs: typeof viaSynth) => objs.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
    assert.deepEqual(ids(viaPulumi), ids(viaSynth));
    assert.deepEqual(viaPulumi, viaSynth, 'byte-for-byte the same objects');
    await rec.settle();
    assert.equal(rec.resources.length, 2);
  });

  it('renders at construction when every prop is plain, so invalid props throw there', async () => {
    const rec = await recorderReady;
    assert.throws(() => new ChartDeployment<ServingChartProps>('bad', {
      chart: servingFactory,
      props: { namespace: 'ml', models: [{ ...MODEL, autoscaling: { minReplicas: 5, maxReplicas: 2 } }] },
    }), (e: unknown) => e instanceof ValidationError && e.message.startsWith("serving/churn-model: invalid 'autoscaling.minReplicas' (5)"));
    await rec.settle();
    assert.equal(rec.resources.length, 0, 'nothing was registered');
  });

  it('passes a provider from opts to the ConfigGroup', async () => {
    const rec = await recorderReady;
    const provider = new k8s.Provider('cluster', { kubeconfig: 'apiVersion: v1\nkind: Config\n' });
    new ChartDeployment<ServingChartProps>('withprov', { chart: servingFactory, props: { namespace: 'ml', models: [MODEL] } }, { providers: { kubernetes: provider } });
    await rec.settle();
    assert.equal(rec.resources.length, 3);
    const group = rec.one('kubernetes:yaml/v2:ConfigGroup');
    assert.match(group.provider ?? '', /pulumi:providers:kubernetes::cluster::/);
  });
});
