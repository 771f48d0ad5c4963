/**
 * ml-ab-analysis: the A/B analysis job's command.
 *
 *   node ab-analysis.js run --config config.json [--out DIR]
 *
 * Queries Prometheus (config.prometheusUrl) for each variant's success and
 * total counts, runs the chi-square test (Yates, control vs each treatment,
 * Bonferroni over treatments), prints the Markdown summary, writes
 * result.json and result.md to --out (default /tmp/ab-analysis) and pushes
 * ml_ab_* metrics to config.pushgatewayUrl when set. A query that returns no
 * series makes the recommendation `insufficient_data` (never "continue"),
 * named on stderr. Prometheus and Pushgateway calls have a deadline
 * (config.requestTimeoutSeconds, default 30) and are retried on connection
 * errors, 5xx and 429.
 *
 * Exit codes: 0 = analysed (any recommendation, `insufficient_data` included);
 * 2 = failed to run (for example Prometheus unreachable: the message names it,
 * its URL and the query).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushMetrics } from '../kube/pushgateway';
import { AbAnalysisConfig, analyse, fetchCounts, renderMarkdown, renderMetrics } from '../rollout/ab-analysis';
import { runCommand } from './run-command';

runCommand<AbAnalysisConfig>('ab-analysis', 'run --config FILE [--out DIR]', async ({ config, flag }) => {
  const out = flag('--out') ?? '/tmp/ab-analysis';
  const { counts, missingSeries } = await fetchCounts(config);
  const result = analyse(config.experimentId, counts, config.alpha, missingSeries);
  const markdown = renderMarkdown(result);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(out, 'result.md'), markdown);
  process.stdout.write(markdown);
  if (result.recommendation === 'insufficient_data') {
    process.stderr.write(`ab-analysis: insufficient data: ${result.reason}\n`);
  }
  if (config.pushgatewayUrl) {
    const url = `${config.pushgatewayUrl.replace(/\/+$/, '')}/metrics/job/ml-ab-analysis/experiment/${encodeURIComponent(config.experimentId)}`;
    await pushMetrics(url, renderMetrics(result), { method: 'PUT', retry: { requestTimeoutMs: (config.requestTimeoutSeconds ?? 30) * 1000 } });
  }
  return 0;
});
