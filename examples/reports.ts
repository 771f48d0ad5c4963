import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdk8s';
import {
  CostLine, CostPreset, CostPresetSettings, ModelPlatformChart, estimateMonthlyCost, platformCostLines, renderCostComparison, setObservabilityLinks, synthObjects,
} from 'ml-platform-constructs';
import { ChurnChart } from './churn';
import { EXAMPLE_LINKS } from './links';

/** The managed-service lines (feature store, S3, backups, training) of every platform chart in `app`. */
function extraLines(app: App): CostLine[] {
  return app.charts.filter((c) => ModelPlatformChart.isModelPlatformChart(c)).flatMap((c) => platformCostLines(c));
}

/** Writes a comparison of the churn platform's monthly cost under each preset next to the manifests (the estimate itself is written by `MlApp.synth()`). */
export function writeCostReports(app: App): void {
  const presets: Record<string, CostPresetSettings> = {
    DEV: CostPreset.DEV, STAGING: CostPreset.STAGING, PRODUCTION: CostPreset.PRODUCTION, PRODUCTION_SPOT: CostPreset.PRODUCTION_SPOT,
  };
  const byPreset = Object.fromEntries(Object.entries(presets).map(([name, preset]) => {
    const scratch = new App({ outdir: app.outdir });
    setObservabilityLinks(scratch, EXAMPLE_LINKS);
    // The same platform under each preset: the preset's bounds replace the example's explicit ones.
    new ChurnChart(scratch, 'churn', { preset, models: (m) => ({ ...m, preset, autoscaling: undefined }) });
    return [name, estimateMonthlyCost(synthObjects(scratch), { extraLines: extraLines(scratch) })];
  }));
  writeFileSync(join(app.outdir, 'cost-presets.md'), renderCostComparison(byPreset, 'Churn platform: monthly cost by preset'));
}
