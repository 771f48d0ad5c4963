/**
 * ml-ab-analysis: the A/B analysis job's command.
 *
 *   node ab-analysis.js run --config config.json [--out DIR]
 *
 * Queries Prometheus (config.prometheusUrl) for each variant's success and
 * total counts, runs the chi-square test (Yates, control vs each treatment,
 * Bonferroni over treatments), prints the Markdown summary, writes
 * result.json and result.md to --out (default /tmp/ab-analysis) and pushes
 * ml_ab_* metrics to config.pushgatewayUrl when set.
 *
 * Exit codes: 0 = analysed (any recommendation); 2 = failed to run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AbAnalysisConfig, analyse, fetchCounts, renderMarkdown, renderMetrics } from '../rollout/ab-analysis';
import { runCommand } from './run-command';

runCommand<AbAnalysisConfig>('ab-analysis', 'run --config FILE [--out DIR]', async ({ config, flag }) => {
  const out = flag('--out') ?? '/tmp/ab-analysis';
  const counts = await fetchCounts(config);
  const result = analyse(config.experimentId, counts, config.alpha);
  const markdown = renderMarkdown(result);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(out, 'result.md'), markdown);
  process.stdout.write(markdown);
  if (config.pushgatewayUrl) {
    const url = `${config.pushgatewayUrl.replace(/\/+$/, '')}/metrics/job/ml-ab-analysis/experiment/${encodeURIComponent(config.experimentId)}`;
    const res = await fetch(url, { method: 'PUT', body: renderMetrics(result), headers: { 'content-type': 'text/plain; version=0.0.4' } });
    if (!res.ok) {
      throw new Error(`Pushgateway answered HTTP ${res.status}`);
    }
  }
  return 0;
});
