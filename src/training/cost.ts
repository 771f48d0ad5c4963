import { PropsValidator } from '../core/errors';
import { TrainingPoolCostProfile } from './cost-profile';
import { CostLine } from '../cost/estimate';
import { PriceTable, US_EAST_1, familyOf } from '../cost/prices';

/** Options of {@link trainingPoolCostLine}. */
export interface TrainingCostOptions {
  /** Prices. @default US_EAST_1 */
  readonly prices?: PriceTable;
  /** Hours a month the pool runs at its full limits on average (expected case). @default 160 (8 hours a working day) */
  readonly busyHoursPerMonth?: number;
}

/**
 * The cost line of a spot training pool: nothing at rest (the pool scales to
 * zero), its limits at the expected spot price for `busyHoursPerMonth` as
 * the expected case, and its limits around the clock as the ceiling. The
 * description states the on-demand price of the same capacity, so the
 * saving is visible.
 */
export function trainingPoolCostLine(profile: TrainingPoolCostProfile, options: TrainingCostOptions = {}): CostLine {
  const prices = options.prices ?? US_EAST_1;
  const busy = options.busyHoursPerMonth ?? 160;
  const sel = profile.instances;
  const candidates = Object.entries(prices.instances).filter(([type, inst]) => {
    const family = familyOf(type);
    if (sel.gpu !== inst.gpus > 0) return false;
    if (sel.instanceTypes) return sel.instanceTypes.includes(type);
    if (sel.families) return sel.families.includes(family);
    const generation = Number(/^[a-z]+(\d+)/.exec(family)?.[1] ?? 0);
    return sel.categories.some((c) => family.startsWith(c) && /^\d/.test(family.slice(c.length))) && generation >= (sel.minGeneration ?? 0);
  });
  const v: PropsValidator = new PropsValidator(`cost estimate of training pool ${profile.pool}`);
  v.check(candidates.length > 0, 'instances', sel, `selects none of the instance types in the ${prices.region} price table`);
  // Price per unit of the limiting resource (GPU for GPU pools, else vCPU), averaged over the candidates.
  const unit = sel.gpu ? 'GPU' : 'vCPU';
  const units = sel.gpu ? profile.limits.gpus : profile.limits.cpu;
  v.check(units !== undefined, sel.gpu ? 'limits.gpus' : 'limits.cpu', units, `is required to price the pool (its ${unit} limit)`);
  const perUnit = candidates.map(([type, inst]) => {
    const od = inst.hourly / (sel.gpu ? inst.gpus : inst.vcpu);
    return { od, spot: od * (1 - (prices.spotDiscount[familyOf(type)] ?? 0)) };
  });
  const od = perUnit.reduce((s, p) => s + p.od, 0) / perUnit.length;
  const spot = perUnit.reduce((s, p) => s + p.spot, 0) / perUnit.length;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    component: `training/${profile.pool}`,
    category: 'training',
    description: `spot pool up to ${units} ${unit}s (${candidates.map(([t]) => t).join(', ')}): $${spot.toFixed(4)}/${unit}-h spot vs $${od.toFixed(4)} on-demand; `
      + `expected ${busy} busy h/month (on-demand would be $${round(units * od * busy)})`,
    monthly: { min: 0, expected: round(units * spot * busy), max: round(units * spot * prices.hoursPerMonth) },
  };
}
