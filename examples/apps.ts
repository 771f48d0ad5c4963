import { App, YamlOutputType } from 'cdk8s';
import { ChurnChart } from './churn';
import { ChurnFeaturesChart } from './churn-features';
import { MinimalChart } from './minimal';
import { RolloutChart } from './rollout';

/**
 * Every cdk8s example in one app: one YAML file per chart in `outdir`
 * (`dist/` by default, or `CDK8S_OUTDIR` set by `cdk8s synth`).
 */
export function buildExamples(outdir?: string): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.k8s.yaml' });
  new ChurnChart(app);
  new ChurnFeaturesChart(app);
  new MinimalChart(app);
  new RolloutChart(app);
  return app;
}
