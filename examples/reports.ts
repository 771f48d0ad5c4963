import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdk8s';
import {
  CostLine, CostPreset, CostPresetSettings, ModelPlatformChart, estimateMonthlyCost, platformCostLines, renderCostComparison, renderCostMarkdown, synthObjects,
} from '../src';
import { ChurnChart } from './churn';

/** The managed-service lines (feature store, S3, backups, training) of every platform chart in `app`. */
function extraLines(app: App): CostLine[] {
  return app.charts.filter((c) => ModelPlatformChart.isModelPlatformChart(c)).flatMap((c) => platformCostLines(c));
}

/** Writes the cost estimate of everything in `app`, and a preset comparison of the churn platform, next to the manifests. */
export function writeCostReports(app: App): void {
  const report = estimateMonthlyCost(synthObjects(app), { extraLines: extraLines(app) });
  writeFileSync(join(app.outdir, 'cost-report.md'), renderCostMarkdown(report, 'Monthly cost estimate of the examples'));
  writeFileSync(join(app.outdir, 'cost-report.json'), `${JSON.stringify(report, null, 2)}\n`);

  const presets: Record<string, CostPresetSettings> = {
    DEV: CostPreset.DEV, STAGING: CostPreset.STAGING, PRODUCTION: CostPreset.PRODUCTION, PRODUCTION_SPOT: CostPreset.PRODUCTION_SPOT,
  };
  const byPreset = Object.fromEntries(Object.entries(presets).map(([name, preset]) => {
    const scratch = new App({ outdir: app.outdir });
    // The same platform under each preset: the preset's bounds replace the example's explicit ones.
    new ChurnChart(scratch, 'churn', { preset, models: (m) => ({ ...m, preset, autoscaling: undefined }) });
    return [name, estimateMonthlyCost(synthObjects(scratch), { extraLines: extraLines(scratch) })];
  }));
  writeFileSync(join(app.outdir, 'cost-presets.md'), renderCostComparison(byPreset, 'Churn platform: monthly cost by preset'));
}
