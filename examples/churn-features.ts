import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AutoscaledModel, CostPreset, FeatureStore, OfflineStore } from 'ml-platform-constructs';
import { CHURN_FEATURES } from './churn-feature-definitions';
import { exampleIdentity } from './aws-identities';

/** Namespace of the example. */
export const CHURN_FEATURES_NAMESPACE = 'ml-churn-dev';

/**
 * The churn model reading its features online from a Feast feature store, on
 * the DEV preset: an in-cluster Redis, Parquet files and the registry on S3,
 * hourly materialization, and the model wired to the feature server (URL,
 * project, feature service, network policy) by `connect`.
 */
export class ChurnFeaturesChart extends Chart {
  /** The feature store. */
  public readonly features: FeatureStore;
  /** The model. */
  public readonly model: AutoscaledModel;

  constructor(scope: Construct, id = 'churn-features') {
    super(scope, id, { namespace: CHURN_FEATURES_NAMESPACE });
    this.features = new FeatureStore(this, 'features', {
      project: 'churn',
      preset: CostPreset.DEV,
      features: CHURN_FEATURES,
      offlineStore: OfflineStore.file({ baseUri: 's3://ml-churn-features/offline/' }),
      registry: { path: 's3://ml-churn-features/registry/registry.db' },
      awsIdentity: exampleIdentity('churn-features'),
    });
    this.model = new AutoscaledModel(this, 'churn-model', {
      image: 'myregistry.io/churn-model:v1.2.0',
      version: { model: '1.2.0', trainingCommit: '9f1c2ab', dataVersion: 'churn-2026-11-01' },
      preset: CostPreset.DEV,
    });
    this.features.connect(this.model, { featureService: 'churn_v1' });
  }
}
