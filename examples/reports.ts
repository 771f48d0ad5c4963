import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { CostPreset, CostPresetSettings, ServingChart, estimateMonthlyCost, renderCostComparison, renderCostMarkdown, synthObjects } from '../src';
import { CHURN_MODEL, CHURN_NAMESPACE } from './churn';

/** Writes the cost estimate of everything in `app`, and a preset comparison of the churn platform, next to the manifests. */
export function writeCostReports(app: App): void {
  const report = estimateMonthlyCost(synthObjects(app));
  writeFileSync(join(app.outdir, 'cost-report.md'), renderCostMarkdown(report, 'Monthly cost estimate of the examples'));
  writeFileSync(join(app.outdir, 'cost-report.json'), `${JSON.stringify(report, null, 2)}\n`);

  const presets: Record<string, CostPresetSettings> = {
    DEV: CostPreset.DEV, STAGING: CostPreset.STAGING, PRODUCTION: CostPreset.PRODUCTION, PRODUCTION_SPOT: CostPreset.PRODUCTION_SPOT,
  };
  const byPreset = Object.fromEntries(Object.entries(presets).map(([name, preset]) => {
    const scratch = new App({ outdir: app.outdir });
    // The same platform under each preset: the preset's bounds replace the example's explicit ones.
    new ServingChart(scratch, 'churn', { namespace: CHURN_NAMESPACE, models: [{ ...CHURN_MODEL, preset, autoscaling: undefined }] });
    return [name, estimateMonthlyCost(synthObjects(scratch))];
  }));
  writeFileSync(join(app.outdir, 'cost-presets.md'), renderCostComparison(byPreset, 'Churn platform: monthly cost by preset'));
}
