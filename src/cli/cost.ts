/**
 * ml-cost: the monthly cost estimate of synthesized manifests.
 *
 *   npm run cost -- [DIR]      (default dist/) prints the Markdown report and
 *                              writes DIR/cost-report.md and DIR/cost-report.json
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { KubernetesObject } from '../core/synth';
import { estimateMonthlyCost, renderCostMarkdown } from '../cost/estimate';

/** Reads every `*.yaml` manifest of a folder (sorted, so the report is stable). */
export function readManifests(dir: string): KubernetesObject[] {
  return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
    .flatMap((f): unknown[] => Yaml.load(join(dir, f)))
    .filter(isKubernetesObject);
}

/** A YAML document that is a Kubernetes object (has a string `kind`; empty documents are skipped). */
function isKubernetesObject(o: unknown): o is KubernetesObject {
  return typeof o === 'object' && o !== null && 'kind' in o && typeof o.kind === 'string';
}

if (require.main === module) {
  const dir = process.argv[2] ?? 'dist';
  try {
    const report = estimateMonthlyCost(readManifests(dir));
    const markdown = renderCostMarkdown(report);
    writeFileSync(join(dir, 'cost-report.md'), markdown);
    writeFileSync(join(dir, 'cost-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(markdown);
  } catch (err) {
    process.stderr.write(`ml-cost: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
