/**
 * What a drift check on Athena costs a month: the bytes its queries scan per
 * run, at Athena's price per TB, times the runs a month of its schedule. A line
 * for `estimateMonthlyCost`'s `extraLines` (the job's pod is already priced
 * from the manifests).
 */
import { runsPerMonth } from '../core/cron';
import { PropsValidator } from '../core/errors';
import type { CostLine } from '../cost/estimate';
import type { DriftFeatureConfig } from './config';

/**
 * Athena SQL queries: USD 5.00 per TB scanned, at least 10 MB per query
 * (https://aws.amazon.com/athena/pricing/, us-east-1; the same figures in
 * https://rcpedia.stanford.edu/services/athena.html and
 * https://athena.guide/articles/athena-basics-pricing-model).
 */
export const ATHENA_PRICING = { usdPerTb: 5, minBytesPerQuery: 10_000_000, bytesPerTb: 1e12 } as const;

/**
 * Queries one run of the Athena engine makes: a numeric feature takes 3
 * (profile, quantiles, bucket counts; 1 when it has few distinct values: the
 * estimate counts 3), a categorical one 1.
 */
export function athenaDriftQueriesPerRun(features: readonly DriftFeatureConfig[]): number {
  return features.reduce((n, f) => n + (f.type === 'numeric' ? 3 : 1), 0);
}

/** Options of {@link athenaDriftCostLine}. */
export interface AthenaDriftCostOptions {
  /** Name of the line, e.g. `ml-churn/churn-model-drift`. */
  readonly component: string;
  /** Cron expression of the check (`DriftCronJob` schedule). */
  readonly schedule: string;
  /** The configured features. */
  readonly features: readonly DriftFeatureConfig[];
  /**
   * Bytes one query scans: one feature column of both windows for Parquet/ORC
   * (its compressed size), both whole tables for CSV and JSON.
   */
  readonly bytesPerQuery: number;
  /** Price per TB scanned. @default ATHENA_PRICING.usdPerTb */
  readonly usdPerTb?: number;
}

/** Monthly Athena cost of a drift check: queries per run x billed bytes per query x runs per month at the price per TB. */
export function athenaDriftCostLine(options: AthenaDriftCostOptions): CostLine {
  const v: PropsValidator = new PropsValidator(`cost estimate of ${options.component}`);
  v.check(options.bytesPerQuery >= 0 && Number.isFinite(options.bytesPerQuery), 'bytesPerQuery', options.bytesPerQuery, 'must be a finite number >= 0');
  const price = options.usdPerTb ?? ATHENA_PRICING.usdPerTb;
  const queries = athenaDriftQueriesPerRun(options.features);
  const billed = Math.max(options.bytesPerQuery, ATHENA_PRICING.minBytesPerQuery);
  const bytesPerRun = queries * billed;
  const runs = runsPerMonth(options.schedule, `cost estimate of ${options.component}`, 'schedule');
  const monthly = Math.round((runs * bytesPerRun / ATHENA_PRICING.bytesPerTb) * price * 100) / 100;
  const gb = (b: number): string => String(Math.round(b / 1e7) / 100);
  return {
    component: options.component,
    category: 'managed',
    description: `Athena: ${queries} queries/run x ${gb(billed)} GB scanned (${gb(bytesPerRun)} GB/run) x ~${Math.round(runs * 10) / 10} runs/month at $${price}/TB`,
    monthly: { min: monthly, expected: monthly, max: monthly },
  };
}
