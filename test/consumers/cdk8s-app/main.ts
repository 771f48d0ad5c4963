import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AutoscaledModel, CostPreset } from 'ml-platform-constructs';

export class ServingChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'ml-churn' });
    new AutoscaledModel(this, 'churn-model', {
      image: 'myregistry.io/churn-model:v1.2.0',
      version: { model: '1.2.0', trainingCommit: '9f1c2ab', dataVersion: 'churn-2026-11-01', hyperparameters: { max_depth: 6 } },
      preset: CostPreset.DEV,
    });
  }
}

const app = new App({ outdir: 'dist' });
new ServingChart(app, 'churn');
app.synth();
const loaded = Object.keys(require.cache).filter((m) => m.includes('/@pulumi/'));
console.log(JSON.stringify({ synthesized: true, pulumiModulesLoaded: loaded.length }));
