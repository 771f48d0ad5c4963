/**
 * Feature-attribution drift as SageMaker Clarify's model monitor measures it
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-feature-attribution-drift.html):
 * with F the features ranked by their baseline attribution, F' ranked by the
 * current attribution and a(f) the BASELINE attribution of f,
 *
 *     DCG = sum_i a(F'_i) / log2(i + 1),  iDCG = sum_i a(F_i) / log2(i + 1),  NDCG = DCG / iDCG.
 *
 * NDCG is 1 when the current ranking equals the baseline's and drops as the
 * features that mattered most move down. Clarify logs a violation below 0.9
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-model-attribution-drift-violations.html).
 * Attributions are global scores: Clarify uses the mean absolute SHAP value.
 */

/** Result of {@link attributionNdcg}. */
export interface NdcgResult {
  /** DCG / iDCG; NaN when every baseline attribution is 0 (iDCG = 0). */
  readonly ndcg: number;
  /** Rank (1 = most important) of each feature by baseline attribution, input order. */
  readonly referenceRanks: number[];
  /** Rank of each feature by current attribution, input order. */
  readonly currentRanks: number[];
}

/** Indices sorted by descending score; ties keep the input order (deterministic). */
function rankOrder(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

function ranksOf(order: readonly number[]): number[] {
  const ranks = new Array<number>(order.length);
  order.forEach((idx, pos) => {
    ranks[idx] = pos + 1;
  });
  return ranks;
}

/**
 * NDCG of the current attribution ranking against the baseline ranking.
 * @param reference global attribution per feature in the baseline (non-negative)
 * @param current global attribution per feature now, same order
 */
export function attributionNdcg(reference: readonly number[], current: readonly number[]): NdcgResult {
  if (reference.length !== current.length || reference.length === 0) {
    throw new RangeError(`reference and current must have the same, non-zero length, got ${reference.length} and ${current.length}`);
  }
  [...reference, ...current].forEach((v) => {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`attributions must be finite and non-negative, got ${v}`);
  });
  const refOrder = rankOrder(reference);
  const curOrder = rankOrder(current);
  let dcg = 0;
  let idcg = 0;
  for (let i = 0; i < reference.length; i++) {
    const discount = Math.log2(i + 2);
    dcg += reference[curOrder[i]] / discount;
    idcg += reference[refOrder[i]] / discount;
  }
  return { ndcg: idcg === 0 ? Number.NaN : dcg / idcg, referenceRanks: ranksOf(refOrder), currentRanks: ranksOf(curOrder) };
}
