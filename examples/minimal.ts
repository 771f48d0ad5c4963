import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AutoscaledModel, CostPreset } from 'ml-platform-constructs';

/** The smallest useful setup: one model on the DEV preset (one replica, spot, scaled to zero off-hours). */
export class MinimalChart extends Chart {
  constructor(scope: Construct, id = 'minimal') {
    super(scope, id, { namespace: 'ml-dev' });
    new AutoscaledModel(this, 'iris', {
      image: 'myregistry.io/iris-classifier:0.3.1',
      version: { model: '0.3.1', trainingCommit: '4be1d0c', dataVersion: 'iris-v1' },
      preset: CostPreset.DEV,
    });
  }
}
