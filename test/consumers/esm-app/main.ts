import { App, Chart, Testing } from 'cdk8s';
import { ModelService, CostPreset, ValidationError } from 'ml-platform-constructs';

const chart = new Chart(new App(), 'churn', { namespace: 'ml-churn' });
new ModelService(chart, 'churn-model', {
  image: 'myregistry.io/churn-model:v1.2.0',
  version: { model: '1.2.0', trainingCommit: '9f1c2ab', dataVersion: 'churn-2026-11-01', hyperparameters: {} },
  preset: CostPreset.DEV,
});
const kinds = Testing.synth(chart).map((o: { kind: string }) => o.kind);
let error = '';
try {
  new ModelService(chart, 'bad', { image: 'repo/model:latest', version: { model: '1', trainingCommit: 'x', dataVersion: 'y', hyperparameters: {} } });
} catch (e) {
  error = e instanceof ValidationError ? e.message : `not a ValidationError: ${String(e)}`;
}
console.log(JSON.stringify({ kinds, error }));
