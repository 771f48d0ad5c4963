/**
 * Feature-attribution drift ("feature importance drift"): when the logged
 * data carries a per-row attribution column per feature (e.g. SHAP values
 * written by the model server), the features are ranked by their mean
 * absolute attribution in each window and the agreement of the two rankings
 * is measured by NDCG as SageMaker Clarify's model monitor does
 * (`stats/ndcg.ts`), alerting below a threshold (Clarify: 0.9).
 */
import { attributionNdcg } from '../stats';

/** One feature's attribution in both windows. */
export interface FeatureAttribution {
  /** Feature name. */
  readonly feature: string;
  /** Attribution column. */
  readonly column: string;
  /** Mean absolute attribution in the reference window. */
  readonly reference: number;
  /** Mean absolute attribution in the current window. */
  readonly current: number;
  /** Rank by reference attribution (1 = most important). */
  readonly referenceRank: number;
  /** Rank by current attribution. */
  readonly currentRank: number;
}

/** Attribution drift outcome. */
export interface AttributionResult {
  /** ok, drift (NDCG < threshold) or insufficient_data (every reference attribution is 0). */
  readonly status: 'ok' | 'drift' | 'insufficient_data';
  /** NDCG of the current ranking against the reference ranking; null when undefined. */
  readonly ndcg: number | null;
  /** Configured threshold. */
  readonly threshold: number;
  /** Per feature, in config order. */
  readonly features: FeatureAttribution[];
  /** One sentence explaining the status. */
  readonly reason: string;
}

/** Input of {@link checkAttribution}: raw per-row attributions of one feature. */
export interface AttributionColumns {
  readonly feature: string;
  readonly column: string;
  readonly reference: Float64Array;
  readonly current: Float64Array;
}

/** Mean absolute value of a window's attributions (0 for none). */
export function meanAbs(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return x.length === 0 ? 0 : s / x.length;
}

/** Ranks the features by mean absolute attribution in both windows and compares the rankings by NDCG. */
export function checkAttribution(columns: readonly AttributionColumns[], threshold: number): AttributionResult {
  return attributionFromMeans(columns.map((c) => ({ feature: c.feature, column: c.column, reference: meanAbs(c.reference), current: meanAbs(c.current) })), threshold);
}

/** {@link checkAttribution} from each column's mean absolute attribution ({@link meanAbs}), in config order. */
export function attributionFromMeans(
  columns: ReadonlyArray<{ readonly feature: string; readonly column: string; readonly reference: number; readonly current: number }>, threshold: number,
): AttributionResult {
  const ref = columns.map((c) => c.reference);
  const cur = columns.map((c) => c.current);
  const r = attributionNdcg(ref, cur);
  const features = columns.map((c, i): FeatureAttribution => ({
    feature: c.feature, column: c.column, reference: ref[i], current: cur[i], referenceRank: r.referenceRanks[i], currentRank: r.currentRanks[i],
  }));
  if (Number.isNaN(r.ndcg)) {
    return { status: 'insufficient_data', ndcg: null, threshold, features, reason: 'every reference attribution is 0, so there is no ranking to compare against' };
  }
  const top = (rankOf: (f: FeatureAttribution) => number): string => [...features].sort((a, b) => rankOf(a) - rankOf(b)).slice(0, 3).map((f) => f.feature).join(', ');
  const drift = r.ndcg < threshold;
  return {
    status: drift ? 'drift' : 'ok',
    ndcg: r.ndcg,
    threshold,
    features,
    reason: `NDCG ${r.ndcg.toFixed(4)} ${drift ? '<' : '>='} ${threshold}: top features by mean |attribution| were ${top((f) => f.referenceRank)}, now ${top((f) => f.currentRank)}`,
  };
}
