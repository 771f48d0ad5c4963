/**
 * Reports of a drift run: the JSON result, a self-contained HTML page (inline
 * CSS and SVG, no scripts, no external assets) and the webhook summary.
 *
 * Output is a pure function of the result: identical input gives
 * byte-identical output (the only time shown is `result.generatedAt`).
 */
import type { AttributionResult } from './attribution';
import type { CategoricalFeatureResult, ConceptResult, DriftCheckResult, FeatureResult, NumericFeatureResult, NumericSummary } from './check';

/** The JSON report: the result, 2-space indented, keys in a fixed order, trailing newline. */
export function renderJsonReport(result: DriftCheckResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Compact JSON summary POSTed to the webhook; `text` makes it usable as a Slack-style message. */
export interface DriftWebhookSummary {
  /** One-line human summary. */
  readonly text: string;
  /** Model name. */
  readonly model: string;
  /** Run time. */
  readonly generatedAt: string;
  /** pass / drift / insufficient_data / insufficient_labels. */
  readonly status: string;
  /** Any drift. */
  readonly driftDetected: boolean;
  /** Drifted feature names. */
  readonly driftedFeatures: string[];
  /** Features without enough rows for a verdict. */
  readonly insufficientFeatures: string[];
  /** Key numbers per feature: raw and corrected p-value, effect size. */
  readonly features: Array<{ name: string; type: string; status: string; drift: boolean; psi: number; pvalue: number; adjustedPvalue: number | null; effect: number }>;
  /** Attribution drift. */
  readonly attribution?: { status: string; ndcg: number | null; threshold: number };
  /** Concept drift outcome. */
  readonly concept?: { status: string; accuracy: number | null; baseline: number; samples: number };
  /** Where the reports were written. */
  readonly reports: { json?: string; html?: string };
}

/** One-line summary of a result, also printed by the CLI. */
export function summaryLine(result: DriftCheckResult): string {
  const n = result.features.length;
  let text: string;
  if (result.driftedFeatures.length > 0) {
    text = `drift detected in ${result.driftedFeatures.length} of ${n} features (${result.driftedFeatures.join(', ')})`;
    if (!result.verdict.dataDrift) text += `, fewer than the ${result.verdict.driftedFeaturesNeeded} needed for data drift`;
  } else {
    const k = n - result.insufficientFeatures.length;
    text = k === n ? `no drift in ${n} feature${n === 1 ? '' : 's'}` : `no drift in ${k} of ${n} features`;
  }
  if (result.insufficientFeatures.length > 0) text += `; insufficient data for ${result.insufficientFeatures.join(', ')}`;
  const a = result.attribution;
  if (a !== undefined) {
    text += a.ndcg === null ? `; attribution drift not evaluated: ${a.reason}` : `; attribution NDCG ${a.ndcg.toFixed(3)} (${a.status === 'drift' ? 'drift' : 'ok'}, threshold ${a.threshold})`;
  }
  const c = result.concept;
  if (c !== undefined) {
    if (c.status === 'degraded') text += `; accuracy degraded: ${c.reason}`;
    else if (c.status === 'insufficient_labels') text += `; concept drift not evaluated: ${c.reason}`;
    else text += `; accuracy ok (${((c.value ?? 0) * 100).toFixed(2)}%)`;
  }
  return `model ${result.model}: ${text}`;
}

/** Builds the webhook payload. */
export function webhookSummary(result: DriftCheckResult, reports: { json?: string; html?: string }): DriftWebhookSummary {
  return {
    text: `ml-drift ${result.status.toUpperCase()}: ${summaryLine(result)}`,
    model: result.model,
    generatedAt: result.generatedAt,
    status: result.status,
    driftDetected: result.driftDetected,
    driftedFeatures: result.driftedFeatures,
    insufficientFeatures: result.insufficientFeatures,
    features: result.features.map((f) => ({
      name: f.name,
      type: f.type,
      status: f.verdict.status,
      drift: f.drift,
      psi: f.psi.value,
      pvalue: f.verdict.pvalue,
      adjustedPvalue: f.verdict.adjustedPvalue,
      effect: f.verdict.effect.value,
    })),
    ...(result.attribution === undefined ? {} : {
      attribution: { status: result.attribution.status, ndcg: result.attribution.ndcg, threshold: result.attribution.threshold },
    }),
    ...(result.concept === undefined ? {} : {
      concept: { status: result.concept.status, accuracy: result.concept.value, baseline: result.concept.baseline, samples: result.concept.samples },
    }),
    reports,
  };
}

// ---------------------------------------------------------------------------
// HTML

const COLORS = {
  drift: '#b42318',
  driftBg: '#fdecea',
  warn: '#9a5b00',
  warnBg: '#fff4e0',
  ok: '#1e7145',
  okBg: '#e7f5ec',
  reference: '#5b7db1',
  current: '#e8833a',
  grid: '#e3e6ea',
  axis: '#6b7280',
  text: '#1f2933',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Compact, deterministic number formatting for tables and axes. */
export function fmtNum(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(2).replace('e+', 'e');
  return String(Number(x.toPrecision(4)));
}

function fmtP(p: number): string {
  if (Number.isNaN(p)) return 'NaN';
  if (p === 0) return '0';
  if (p < 1e-4) return p.toExponential(1).replace('e-', 'e−');
  return p < 0.01 ? p.toFixed(4) : p.toFixed(3);
}

function pct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

function r2(x: number): string {
  return String(Math.round(x * 100) / 100);
}

type Level = 'drift' | 'warn' | 'ok';

function level(f: FeatureResult): Level {
  if (f.drift) return 'drift';
  return f.verdict.status === 'insufficient_data' || f.psi.verdict === 'small' ? 'warn' : 'ok';
}

const LEVEL_TEXT: Record<Level, string> = { drift: 'DRIFT', warn: 'WATCH', ok: 'OK' };

function badgeText(f: FeatureResult): string {
  return f.verdict.status === 'insufficient_data' ? 'TOO FEW ROWS' : LEVEL_TEXT[level(f)];
}

function badge(l: Level, text = LEVEL_TEXT[l]): string {
  return `<span class="badge ${l}">${escapeHtml(text)}</span>`;
}

/** Round step for about `target` ticks between 0 and max. */
function niceStep(max: number, target = 4): number {
  const raw = max / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
}

function legend(x: number, y: number): string {
  return `<g font-size="12" fill="${COLORS.text}">`
    + `<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${COLORS.reference}"/><text x="${x + 17}" y="${y}">reference</text>`
    + `<rect x="${x + 95}" y="${y - 9}" width="12" height="10" fill="${COLORS.current}"/><text x="${x + 112}" y="${y}">current</text></g>`;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((s, v) => s + v, 0);
  return counts.map((c) => (total === 0 ? 0 : c / total));
}

/** Vertical grouped bars over equal-width bins. */
function numericPlot(f: NumericFeatureResult): string {
  const h = f.histogram;
  const ref = shares(h.reference);
  const cur = shares(h.current);
  const bins = ref.length;
  const W = 560;
  const H = 260;
  const left = 48;
  const right = 12;
  const top = 28;
  const bottom = 40;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const maxShare = Math.max(...ref, ...cur, 0.01);
  const step = niceStep(maxShare);
  const yMax = Math.ceil(maxShare / step - 1e-9) * step;
  const y = (v: number): number => top + ph - (v / yMax) * ph;
  const parts: string[] = [];
  parts.push(`<svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`Histogram of ${f.name}: reference vs current`)}">`);
  for (let t = 0; t <= yMax + 1e-12; t += step) {
    const yy = r2(y(t));
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${left - 6}" y="${r2(y(t) + 4)}" text-anchor="end" font-size="11" fill="${COLORS.axis}">${pct(t, step < 0.01 ? 1 : 0)}</text>`);
  }
  const bw = pw / bins;
  const barW = Math.min((bw - 2 * Math.max(1, bw * 0.12)) / 2, 48);
  const gap = (bw - 2 * barW) / 2;
  const single = bins === 1 && h.edges[0] === h.edges[1];
  const binLabel = (i: number): string => {
    if (h.discrete || single) return `value ${fmtNum(h.discrete ? h.edges[i] + 0.5 : h.edges[0])}`;
    return `${i === 0 && h.openLow ? '≤ ' : ''}${fmtNum(h.edges[i])} – ${fmtNum(h.edges[i + 1])}${i === bins - 1 && h.openHigh ? ' and above' : ''}`;
  };
  for (let i = 0; i < bins; i++) {
    const x0 = left + i * bw + gap;
    const range = binLabel(i);
    parts.push(`<rect x="${r2(x0)}" y="${r2(y(ref[i]))}" width="${r2(barW)}" height="${r2(top + ph - y(ref[i]))}" fill="${COLORS.reference}">`
      + `<title>${escapeHtml(`${range}: reference ${pct(ref[i], 2)} (${h.reference[i]} rows)`)}</title></rect>`);
    parts.push(`<rect x="${r2(x0 + barW)}" y="${r2(y(cur[i]))}" width="${r2(barW)}" height="${r2(top + ph - y(cur[i]))}" fill="${COLORS.current}">`
      + `<title>${escapeHtml(`${range}: current ${pct(cur[i], 2)} (${h.current[i]} rows)`)}</title></rect>`);
  }
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${top + ph}" y2="${top + ph}" stroke="${COLORS.axis}"/>`);
  const tickText = (x: number, label: string, anchor: string): string =>
    `<line x1="${r2(x)}" x2="${r2(x)}" y1="${top + ph}" y2="${top + ph + 4}" stroke="${COLORS.axis}"/>`
    + `<text x="${r2(x)}" y="${top + ph + 17}" text-anchor="${anchor}" font-size="11" fill="${COLORS.axis}">${escapeHtml(label)}</text>`;
  if (h.discrete || single) {
    // labels under the bin centres: the values themselves
    const every = Math.max(1, Math.ceil(bins / 12));
    for (let i = 0; i < bins; i += every) parts.push(tickText(left + (i + 0.5) * bw, fmtNum(h.discrete ? h.edges[i] + 0.5 : h.edges[0]), 'middle'));
  } else {
    const tickEvery = bins >= 10 ? Math.ceil(bins / 5) : 1;
    const ticks: number[] = [];
    for (let i = 0; i <= bins; i += tickEvery) ticks.push(i);
    if (ticks[ticks.length - 1] !== bins) {
      if (bins - ticks[ticks.length - 1] < tickEvery / 2) ticks.pop();
      ticks.push(bins);
    }
    for (const i of ticks) {
      let label = fmtNum(h.edges[i]);
      if (i === 0 && h.openLow) label = `≤${label}`;
      if (i === bins && h.openHigh) label = `${label}+`;
      parts.push(tickText(left + i * bw, label, i === 0 ? 'start' : i === bins ? 'end' : 'middle'));
    }
  }
  parts.push(`<text x="${left + pw / 2}" y="${H - 6}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${escapeHtml(f.name)} (share of rows per bin)</text>`);
  parts.push(legend(W - right - 175, 16));
  parts.push('</svg>');
  return parts.join('');
}

/** Categories shown individually; the rest are pooled into one "other" row. */
const MAX_PLOTTED_CATEGORIES = 20;

/** Horizontal grouped bars, one row per category. */
function categoricalPlot(f: CategoricalFeatureResult): string {
  let rows = f.categories.map((c) => ({ label: c.category, ref: c.referenceShare, cur: c.currentShare, refN: c.referenceCount, curN: c.currentCount, other: false }));
  if (rows.length > MAX_PLOTTED_CATEGORIES) {
    const ranked = [...rows].sort((a, b) => Math.max(b.ref, b.cur) - Math.max(a.ref, a.cur) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
    const keep = new Set(ranked.slice(0, MAX_PLOTTED_CATEGORIES - 1).map((r) => r.label));
    const rest = rows.filter((r) => !keep.has(r.label));
    rows = rows.filter((r) => keep.has(r.label));
    rows.push({
      label: `(${rest.length} other categories)`,
      ref: rest.reduce((s, r) => s + r.ref, 0),
      cur: rest.reduce((s, r) => s + r.cur, 0),
      refN: rest.reduce((s, r) => s + r.refN, 0),
      curN: rest.reduce((s, r) => s + r.curN, 0),
      other: true,
    });
  }
  const W = 560;
  const left = 150;
  const right = 56;
  const top = 28;
  const rowH = 24;
  const bottom = 30;
  const H = top + rows.length * rowH + bottom;
  const pw = W - left - right;
  const maxShare = Math.max(...rows.map((r) => Math.max(r.ref, r.cur)), 0.01);
  const step = niceStep(maxShare);
  const xMax = Math.ceil(maxShare / step - 1e-9) * step;
  const x = (v: number): number => left + (v / xMax) * pw;
  const parts: string[] = [];
  parts.push(`<svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`Category shares of ${f.name}: reference vs current`)}">`);
  for (let t = 0; t <= xMax + 1e-12; t += step) {
    const xx = r2(x(t));
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${top}" y2="${top + rows.length * rowH}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${xx}" y="${top + rows.length * rowH + 15}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${pct(t, step < 0.01 ? 1 : 0)}</text>`);
  }
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    const label = r.label.length > 22 ? `${r.label.slice(0, 21)}…` : r.label;
    const isNew = !r.other && r.refN === 0;
    const isGone = !r.other && r.curN === 0;
    const mark = isNew ? ' (new)' : isGone ? ' (gone)' : '';
    parts.push(`<text x="${left - 8}" y="${y0 + 16}" text-anchor="end" font-size="12" fill="${isNew || isGone ? COLORS.drift : COLORS.text}"${r.other ? ' font-style="italic"' : ''}>`
      + `<title>${escapeHtml(r.label)}</title>${escapeHtml(label + mark)}</text>`);
    parts.push(`<rect x="${left}" y="${y0 + 3}" width="${r2(x(r.ref) - left)}" height="9" fill="${COLORS.reference}">`
      + `<title>${escapeHtml(`${r.label}: reference ${pct(r.ref, 2)} (${r.refN} rows)`)}</title></rect>`);
    parts.push(`<rect x="${left}" y="${y0 + 12}" width="${r2(x(r.cur) - left)}" height="9" fill="${COLORS.current}">`
      + `<title>${escapeHtml(`${r.label}: current ${pct(r.cur, 2)} (${r.curN} rows)`)}</title></rect>`);
    const delta = r.cur - r.ref;
    parts.push(`<text x="${r2(Math.max(x(r.ref), x(r.cur)) + 4)}" y="${y0 + 16}" font-size="10" fill="${COLORS.axis}">${delta >= 0 ? '+' : '−'}${pct(Math.abs(delta))}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + rows.length * rowH}" stroke="${COLORS.axis}"/>`);
  parts.push(legend(W - right - 175 + 44, 16));
  parts.push('</svg>');
  return parts.join('');
}

function statTable(f: NumericFeatureResult): string {
  const row = (label: string, pick: (s: NumericSummary) => number): string =>
    `<tr><th>${label}</th><td>${fmtNum(pick(f.summary.reference))}</td><td>${fmtNum(pick(f.summary.current))}</td></tr>`;
  return '<table class="mini"><thead><tr><th></th><th>reference</th><th>current</th></tr></thead><tbody>'
    + row('rows', (s) => s.count) + row('mean', (s) => s.mean) + row('std', (s) => s.std)
    + row('min', (s) => s.min) + row('median', (s) => s.median) + row('max', (s) => s.max)
    + '</tbody></table>';
}

function testCells(f: FeatureResult): { test: string; stat: string; p: string; adj: string; alpha: string; effect: string; testDrift: boolean; effectHit: boolean } {
  const v = f.verdict;
  const adj = v.adjustedPvalue === null ? '—' : fmtP(v.adjustedPvalue);
  const effect = `${v.effect.measure === 'ks_statistic' ? 'D' : 'TV'} ${fmtNum(v.effect.value)} / ${v.effect.floor}`;
  const common = { adj, alpha: String(v.alpha), effect, testDrift: v.significant, effectHit: v.effect.present };
  if (f.type === 'numeric' && (f.chi2 === undefined || f.comparedAs === 'distribution')) {
    return { ...common, test: `KS (${f.ks.method})`, stat: `D = ${fmtNum(f.ks.statistic)}`, p: fmtP(f.ks.pvalue) };
  }
  const chi = f.chi2;
  if (chi === undefined) return { ...common, test: 'χ²', stat: '', p: fmtP(v.pvalue) };
  return { ...common, test: `χ² (dof ${chi.dof})`, stat: `χ² = ${fmtNum(chi.statistic)}`, p: fmtP(chi.pvalue) };
}

function psiLevel(f: FeatureResult): Level {
  return f.psi.verdict === 'significant' ? 'drift' : f.psi.verdict === 'small' ? 'warn' : 'ok';
}

function featureCard(f: FeatureResult, index: number): string {
  const l = level(f);
  const t = testCells(f);
  const plot = f.type === 'numeric' ? numericPlot(f) : categoricalPlot(f);
  const notes: string[] = [];
  if (f.type === 'numeric' && (f.histogram.openLow || f.histogram.openHigh)) {
    notes.push('The outer bins also hold the most extreme 0.1% of values beyond the plotted range.');
  }
  if (f.type === 'categorical') {
    if (f.newCategories.length > 0) notes.push(`New in current: ${f.newCategories.slice(0, 10).map((c) => `“${c}”`).join(', ')}${f.newCategories.length > 10 ? ` and ${f.newCategories.length - 10} more` : ''}.`);
    if (f.missingCategories.length > 0) notes.push(`Missing from current: ${f.missingCategories.slice(0, 10).map((c) => `“${c}”`).join(', ')}${f.missingCategories.length > 10 ? ` and ${f.missingCategories.length - 10} more` : ''}.`);
  }
  if (f.type === 'numeric' && f.comparedAs === 'categories') notes.push(`Few distinct values: compared as categories (chi-square, total variation); KS p-value ${fmtP(f.ks.pvalue)} for reference.`);
  if (f.type === 'numeric' && f.psi.buckets.method === 'point-masses') notes.push(`PSI buckets: ${f.psi.buckets.labels.join(', ')} (point masses have their own bucket).`);
  return `<section class="card ${l}" id="feature-${index}">`
    + `<h3>${badge(l, badgeText(f))} <span class="fname">${escapeHtml(f.name)}</span> <span class="ftype">${f.type}</span></h3>`
    + '<div class="body">'
    + `<div class="plotwrap">${plot}</div>`
    + '<div class="side"><div class="stats">'
    + `<div class="stat ${t.testDrift ? 'drift' : 'ok'}"><div class="k">${escapeHtml(t.test)} p-value (adjusted)</div><div class="v">${t.adj}</div><div class="s">raw ${t.p} · ${escapeHtml(t.stat)} · α ${escapeHtml(t.alpha)}</div></div>`
    + `<div class="stat ${t.effectHit ? 'drift' : 'ok'}"><div class="k">effect / floor</div><div class="v">${escapeHtml(t.effect)}</div><div class="s">rows ${f.verdict.sampleSize.referenceRows} / ${f.verdict.sampleSize.currentRows} · need ${f.verdict.sampleSize.requiredRowsPerWindow} per window</div></div>`
    + `<div class="stat ${psiLevel(f)}"><div class="k">PSI</div><div class="v">${f.psi.value.toFixed(3)}</div><div class="s">${f.psi.verdict} · thresholds ${f.psi.thresholds.small} / ${f.psi.thresholds.significant}</div></div>`
    + '</div>'
    + `<ul class="reasons">${f.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`
    + (notes.length > 0 ? `<p class="note">${notes.map(escapeHtml).join(' ')}</p>` : '')
    + (f.type === 'numeric' ? statTable(f) : '')
    + '</div></div>'
    + '</section>';
}

function conceptSection(c: ConceptResult): string {
  const l: Level = c.status === 'degraded' ? 'drift' : c.status === 'insufficient_labels' ? 'warn' : 'ok';
  const text = c.status === 'degraded' ? 'DEGRADED' : c.status === 'insufficient_labels' ? 'INSUFFICIENT LABELS' : 'OK';
  const value = c.value === null ? '—' : pct(c.value, 2);
  const drop = c.drop === null ? '—' : `${c.drop >= 0 ? '−' : '+'}${pct(Math.abs(c.drop), 2)}`;
  return `<section class="concept ${l}"><h2>Concept drift ${badge(l, text)}</h2>`
    + '<div class="stats">'
    + `<div class="stat ${l}"><div class="k">accuracy (last ${c.samples} labelled rows)</div><div class="v">${value}</div><div class="s">baseline ${pct(c.baseline, 2)} · change ${drop} · max drop ${pct(c.maxDrop, 2)}</div></div>`
    + `<div class="stat ${c.samples >= c.minSamples ? 'ok' : 'warn'}"><div class="k">labelled rows</div><div class="v">${c.samples}</div><div class="s">window ${c.window} · minimum ${c.minSamples} · ${c.labelled} in total</div></div>`
    + `</div><p>${escapeHtml(c.reason)}.</p></section>`;
}

/** Horizontal bars of mean |attribution| per feature, reference vs current, in reference rank order, with both ranks. */
export function attributionPlot(a: AttributionResult): string {
  const rows = [...a.features].sort((x, y) => x.referenceRank - y.referenceRank);
  const W = 560;
  const left = 170;
  const right = 56;
  const top = 28;
  const rowH = 24;
  const H = top + rows.length * rowH + 30;
  const pw = W - left - right;
  const max = Math.max(...rows.map((r) => Math.max(r.reference, r.current)), 1e-12);
  const x = (v: number): number => left + (v / max) * pw;
  const parts: string[] = [`<svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Feature ranking by mean absolute attribution: reference vs current">`];
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    const moved = r.currentRank !== r.referenceRank;
    const label = `#${r.referenceRank} → #${r.currentRank} ${r.feature.length > 16 ? `${r.feature.slice(0, 15)}…` : r.feature}`;
    parts.push(`<text x="${left - 8}" y="${y0 + 16}" text-anchor="end" font-size="12" fill="${moved ? COLORS.drift : COLORS.text}"><title>${escapeHtml(r.feature)}</title>${escapeHtml(label)}</text>`);
    parts.push(`<rect x="${left}" y="${y0 + 3}" width="${r2(x(r.reference) - left)}" height="9" fill="${COLORS.reference}"><title>${escapeHtml(`${r.feature}: reference mean |attribution| ${fmtNum(r.reference)} (rank ${r.referenceRank})`)}</title></rect>`);
    parts.push(`<rect x="${left}" y="${y0 + 12}" width="${r2(x(r.current) - left)}" height="9" fill="${COLORS.current}"><title>${escapeHtml(`${r.feature}: current mean |attribution| ${fmtNum(r.current)} (rank ${r.currentRank})`)}</title></rect>`);
  });
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + rows.length * rowH}" stroke="${COLORS.axis}"/>`);
  parts.push(`<text x="${left + pw / 2}" y="${H - 6}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">mean |attribution| (rank reference → current)</text>`);
  parts.push(legend(W - right - 175 + 44, 16), '</svg>');
  return parts.join('');
}

function attributionSection(a: AttributionResult): string {
  const l: Level = a.status === 'drift' ? 'drift' : a.status === 'ok' ? 'ok' : 'warn';
  const text = a.status === 'drift' ? 'DRIFT' : a.status === 'ok' ? 'OK' : 'NOT EVALUATED';
  return `<section class="concept ${l}"><h2>Feature attribution drift ${badge(l, text)}</h2>`
    + `<div class="stats"><div class="stat ${l}"><div class="k">NDCG of the ranking</div><div class="v">${a.ndcg === null ? '—' : a.ndcg.toFixed(3)}</div>`
    + `<div class="s">alert below ${a.threshold} (SageMaker Clarify's default)</div></div></div>`
    + `<div class="plotwrap">${attributionPlot(a)}</div><p>${escapeHtml(a.reason)}.</p></section>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:${COLORS.text};background:#f5f6f8}
main{max-width:1220px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:15px;margin:0 0 10px;display:flex;align-items:center;gap:8px;flex-wrap:wrap}
.meta{color:#52606d;margin:0 0 16px;font-size:13px}
.meta code{background:#eceef1;padding:1px 4px;border-radius:3px;font-size:12px;word-break:break-all}
.banner{border-radius:8px;padding:14px 18px;margin:0 0 18px;font-size:16px;border-left:6px solid}
.banner strong{font-size:18px;margin-right:8px}
.banner.drift{background:${COLORS.driftBg};border-color:${COLORS.drift};color:${COLORS.drift}}
.banner.warn{background:${COLORS.warnBg};border-color:${COLORS.warn};color:${COLORS.warn}}
.banner.ok{background:${COLORS.okBg};border-color:${COLORS.ok};color:${COLORS.ok}}
.badge{display:inline-block;border-radius:4px;padding:1px 7px;font-size:11px;font-weight:700;letter-spacing:.04em;color:#fff;white-space:nowrap}
.badge.drift{background:${COLORS.drift}}.badge.warn{background:${COLORS.warn}}.badge.ok{background:${COLORS.ok}}
table.summary{border-collapse:collapse;width:100%;background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.06);margin:0 0 22px}
table.summary th,table.summary td{padding:7px 10px;text-align:left;border-bottom:1px solid #edf0f3;font-size:13px}
table.summary thead th{background:#eef1f5;font-weight:600;color:#3e4c59}
table.summary td.num{text-align:right;font-variant-numeric:tabular-nums}
table.summary tr.drift td:first-child{border-left:4px solid ${COLORS.drift}}
table.summary tr.warn td:first-child{border-left:4px solid ${COLORS.warn}}
table.summary tr.ok td:first-child{border-left:4px solid ${COLORS.ok}}
td.hit{color:${COLORS.drift};font-weight:600}
a{color:#1d4ed8;text-decoration:none}a:hover{text-decoration:underline}
.grid{display:flex;flex-direction:column;gap:16px}
.body{display:flex;gap:20px;flex-wrap:wrap;align-items:flex-start}
.side{flex:1;min-width:280px}
.card,.concept{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.06);border-top:4px solid ${COLORS.ok}}
.card.drift,.concept.drift{border-top-color:${COLORS.drift}}.card.warn,.concept.warn{border-top-color:${COLORS.warn}}
.concept{margin:0 0 22px}
.fname{font-weight:700}.ftype{color:#7b8794;font-weight:400;font-size:12px}
.stats{display:flex;gap:10px;margin:0 0 8px;flex-wrap:wrap}
.stat{flex:1;min-width:170px;border-radius:6px;padding:6px 10px;background:#f7f8fa;border-left:4px solid ${COLORS.ok}}
.stat.drift{border-left-color:${COLORS.drift};background:${COLORS.driftBg}}.stat.warn{border-left-color:${COLORS.warn};background:${COLORS.warnBg}}
.stat .k{font-size:11px;color:#52606d;text-transform:uppercase;letter-spacing:.03em}
.stat .v{font-size:20px;font-weight:700;font-variant-numeric:tabular-nums}
.stat .s{font-size:12px;color:#52606d}
.plotwrap{flex:0 1 560px;overflow-x:auto}
svg.plot{display:block;max-width:100%;height:auto;font-family:inherit}
ul.reasons{margin:6px 0 6px 18px;padding:0;font-size:13px}
p.note{font-size:12px;color:#52606d;margin:4px 0}
table.mini{border-collapse:collapse;font-size:12px;margin-top:6px;font-variant-numeric:tabular-nums}
table.mini th,table.mini td{padding:2px 10px 2px 0;text-align:right}
table.mini th:first-child{text-align:left;color:#52606d;font-weight:400}
footer{margin-top:24px;color:#7b8794;font-size:12px}
`;

/** Drifted features first, then "watch" (small PSI), then OK; by PSI (descending) within a group, ties in config order. */
function displayOrder(features: readonly FeatureResult[]): Array<{ f: FeatureResult; i: number }> {
  const rank: Record<Level, number> = { drift: 0, warn: 1, ok: 2 };
  return features.map((f, i) => ({ f, i })).sort((a, b) =>
    rank[level(a.f)] - rank[level(b.f)] || b.f.psi.value - a.f.psi.value || a.i - b.i);
}

/** The self-contained HTML report. */
export function renderHtmlReport(result: DriftCheckResult): string {
  const order = displayOrder(result.features);
  const bannerLevel: Level = result.driftDetected ? 'drift' : result.passed ? 'ok' : 'warn';
  const insufficient = result.insufficientFeatures;
  const bannerTitle = result.driftDetected ? 'Drift detected' : result.passed ? 'No drift' : 'Inconclusive';
  const nDrift = result.driftedFeatures.length;
  const nFeatures = result.features.length;
  const bannerText = [
    nDrift > 0 ? `${nDrift} of ${nFeatures} features drifted: ${result.driftedFeatures.join(', ')}` : `none of ${nFeatures} features drifted`,
    ...(insufficient.length > 0 ? [`too few rows for a verdict on ${insufficient.join(', ')}`] : []),
    ...(result.attribution === undefined ? [] : [result.attribution.status === 'drift' ? 'feature attribution ranking changed' : result.attribution.status === 'ok' ? 'feature attribution ranking stable' : 'attribution not evaluated']),
    ...(result.concept === undefined ? [] : [
      result.concept.status === 'degraded' ? 'model accuracy degraded'
        : result.concept.status === 'insufficient_labels' ? 'too few labels to evaluate accuracy' : 'model accuracy within bounds',
    ]),
  ].join('; ');
  const rows = order.map(({ f, i }) => {
    const l = level(f);
    const t = testCells(f);
    return `<tr class="${l}"><td><a href="#feature-${i}">${escapeHtml(f.name)}</a></td><td>${f.type}</td><td>${badge(l, badgeText(f))}</td>`
      + `<td>${escapeHtml(t.test)}</td><td class="num">${escapeHtml(t.stat)}</td><td class="num">${t.p}</td><td class="num${t.testDrift ? ' hit' : ''}">${t.adj}</td><td class="num">${escapeHtml(t.alpha)}</td>`
      + `<td class="num${t.effectHit ? ' hit' : ''}">${escapeHtml(t.effect)}</td>`
      + `<td class="num${f.psi.verdict === 'significant' ? ' hit' : ''}">${f.psi.value.toFixed(3)}</td><td>${f.psi.verdict}</td></tr>`;
  });
  const title = `Drift report: ${result.model}`;
  return '<!DOCTYPE html>\n'
    + '<html lang="en"><head><meta charset="utf-8">'
    + '<meta name="viewport" content="width=device-width, initial-scale=1">'
    + `<title>${escapeHtml(`${title} (${result.status})`)}</title>`
    + `<style>${CSS}</style></head><body><main>\n`
    + `<h1>${escapeHtml(title)}</h1>\n`
    + `<p class="meta">Run ${escapeHtml(result.generatedAt)} · reference <code>${escapeHtml(result.reference.uri)}</code> (${result.reference.rows} rows, ${escapeHtml(result.reference.format)})`
    + ` · current <code>${escapeHtml(result.current.uri)}</code> (${result.current.rows} rows, ${escapeHtml(result.current.format)})</p>\n`
    + `<div class="banner ${bannerLevel}"><strong>${bannerTitle}</strong>${escapeHtml(bannerText)}</div>\n`
    + `<p class="meta">${escapeHtml(result.verdict.rule)}.</p>\n`
    + (result.concept === undefined ? '' : `${conceptSection(result.concept)}\n`)
    + (result.attribution === undefined ? '' : `${attributionSection(result.attribution)}\n`)
    + '<h2>Features</h2>\n'
    + '<table class="summary"><thead><tr><th>Feature</th><th>Type</th><th>Verdict</th><th>Test</th><th>Statistic</th><th>p-value</th><th>adjusted p</th><th>α</th><th>effect / floor</th><th>PSI</th><th>PSI verdict</th></tr></thead><tbody>\n'
    + `${rows.join('\n')}\n</tbody></table>\n`
    + `<div class="grid">\n${order.map(({ f, i }) => featureCard(f, i)).join('\n')}\n</div>\n`
    + '<footer>Generated by ml-drift. Numeric features: two-sample Kolmogorov-Smirnov test and PSI over reference-quantile buckets; '
    + 'categorical features (and numeric ones with few distinct values): chi-square test and PSI over categories. '
    + 'A feature drifts when it has enough rows for its test, its p-value corrected over the features is below α, and its effect size (or PSI) reaches the floor; '
    + '“WATCH” marks a small PSI shift or too few rows; neither alerts as drift.</footer>\n'
    + '</main></body></html>\n';
}
