import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AppProps } from 'cdk8s';
import { isKubernetesObject } from '../core/synth';
import { estimateMonthlyCost, renderCostMarkdown } from '../cost/estimate';
import { writeDocuments } from '../monitoring/documents';
import { ObservabilityLinks, setObservabilityLinks } from '../monitoring/links';
import { platformCostLines } from './cost';
import { ModelPlatformChart } from './platform-chart';

/** Options of {@link MlApp}. */
export interface MlAppProps extends AppProps {
  /**
   * Write the documents next to the manifests on every `synth()`: a runbook per
   * alert, restore runbooks, model cards, and the monthly cost estimate
   * (`cost-report.md` and `.json`).
   * @default true
   */
  readonly documents?: boolean;
  /**
   * Where every alert of the app links: the Grafana web URL and the web URL of the
   * synthesized `runbooks/` (usually in the GitOps repository). PRODUCTION presets
   * require both (see `setObservabilityLinks`).
   * @default - none: relative runbook links, dashboard links without host
   */
  readonly links?: ObservabilityLinks;
}

/**
 * A cdk8s `App` whose `synth()` also writes what people read next to the
 * manifests, so every alert's `runbook_url` points at a file that exists in
 * the same commit of the GitOps repository: `runbooks/<file>.md`, restore
 * runbooks, `model-cards/<namespace>-<name>.md` and the cost estimate.
 *
 * Use it in place of `App`; everything else is cdk8s's `App`.
 *
 * @example
 * const app = new MlApp();            // outdir: dist (or CDK8S_OUTDIR)
 * new ModelPlatformChart(app, 'churn', { ... });
 * app.synth();                        // manifests + runbooks + model cards + cost report
 */
export class MlApp extends App {
  /** Whether `synth()` writes the documents. */
  public readonly documents: boolean;
  private written: string[] = [];

  constructor(props: MlAppProps = {}) {
    super(props);
    this.documents = props.documents ?? true;
    if (props.links) {
      setObservabilityLinks(this, props.links);
    }
  }

  /** Paths of the documents the last `synth()` wrote, relative to `outdir`, sorted. */
  public get writtenDocuments(): readonly string[] {
    return this.written;
  }

  /** Synthesizes the manifests (cdk8s), then writes the documents next to them. */
  public override synth(): void {
    super.synth();
    if (!this.documents) {
      return;
    }
    const objects = this.charts.flatMap((chart): unknown[] => chart.toJson()).filter(isKubernetesObject);
    const extraLines = this.charts.filter((c) => ModelPlatformChart.isModelPlatformChart(c)).flatMap((c) => platformCostLines(c));
    const report = estimateMonthlyCost(objects, { extraLines });
    writeFileSync(join(this.outdir, 'cost-report.md'), renderCostMarkdown(report, 'Monthly cost estimate'));
    writeFileSync(join(this.outdir, 'cost-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    this.written = [...writeDocuments(this, this.outdir), 'cost-report.json', 'cost-report.md'].sort();
  }
}
