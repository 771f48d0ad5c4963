import { YamlOutputType } from 'cdk8s';
import { MlApp } from 'ml-platform-constructs';
import { ChurnChart } from './churn';
import { ChurnFeaturesChart } from './churn-features';
import { MinimalChart } from './minimal';
import { RolloutChart } from './rollout';
import { EXAMPLE_LINKS } from './links';

/**
 * Every cdk8s example in one app: one YAML file per chart in `outdir`
 * (`dist/` by default, or `CDK8S_OUTDIR` set by `cdk8s synth`), and, written
 * by `synth()` itself, the runbooks, model cards and cost estimate next to them.
 */
export function buildExamples(outdir?: string): MlApp {
  const app = new MlApp({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.k8s.yaml', links: EXAMPLE_LINKS });
  new ChurnChart(app);
  new ChurnFeaturesChart(app);
  new MinimalChart(app);
  new RolloutChart(app);
  return app;
}
