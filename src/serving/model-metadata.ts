import { PropsValidator } from '../core/errors';

/** Value of one hyperparameter. */
export type HyperparameterValue = string | number | boolean;

/**
 * What identifies a trained model: the guide's "track model file, training
 * code commit, training data version, hyperparameters".
 */
export interface ModelVersion {
  /** Semantic version of the model (major: retraining or breaking change; minor: compatible; patch: fixes), for example `1.2.0`. */
  readonly model: string;
  /** Git commit of the training code (7 to 40 hex digits). */
  readonly trainingCommit: string;
  /** Version or snapshot id of the training data, for example `churn-2026-11-01`. */
  readonly dataVersion: string;
  /**
   * Hyperparameters the model was trained with.
   * @default - none recorded
   */
  readonly hyperparameters?: Readonly<Record<string, HyperparameterValue>>;
}

/**
 * A model card: what the model is for, what it was trained on, how good it is
 * and where it must not be used. Mandatory for production models.
 */
export interface ModelCard {
  /** What the model predicts and why it exists. */
  readonly purpose: string;
  /** The data it was trained on (source, period, size, known gaps). */
  readonly trainingData: string;
  /** Evaluation metrics, for example `{ auc: 0.91 }`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Known limitations and failure modes. */
  readonly limitations: string;
  /** Intended use cases. */
  readonly intendedUse: string;
  /** Uses the model is NOT intended for. */
  readonly notIntendedFor: string;
  /**
   * Ethical considerations (bias, fairness, privacy).
   * @default - section omitted
   */
  readonly ethicalConsiderations?: string;
  /**
   * Who owns the model and answers for it.
   * @default - section omitted
   */
  readonly owners?: readonly string[];
}

/** Official semver 2.0.0 regular expression (semver.org), without a leading `v`. */
// eslint-disable-next-line max-len
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const COMMIT = /^[0-9a-f]{7,40}$/;
/** Kubernetes label values: at most 63 characters, alphanumerics, '-', '_' and '.', alphanumeric at both ends. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Validates a model version; `prefix` is the property path (`version`). */
export function validateModelVersion(v: PropsValidator, prefix: string, version: ModelVersion): void {
  v.matches(`${prefix}.model`, version.model, SEMVER, 'must be a semantic version such as 1.2.0 (https://semver.org, no leading "v")');
  v.check(version.model.length <= 63 && LABEL_VALUE.test(version.model), `${prefix}.model`, version.model,
    'must also be a valid label value (at most 63 characters; "+" build metadata is not allowed in labels)');
  v.matches(`${prefix}.trainingCommit`, version.trainingCommit, COMMIT, 'must be a git commit: 7 to 40 lower-case hex digits');
  v.nonEmpty(`${prefix}.dataVersion`, version.dataVersion);
  for (const [key, value] of Object.entries(version.hyperparameters ?? {})) {
    v.check(key.length > 0, `${prefix}.hyperparameters`, key, 'names must be non-empty');
    v.check(typeof value !== 'number' || Number.isFinite(value), `${prefix}.hyperparameters.${key}`, value, 'must be a finite number, a string or a boolean');
  }
}

/** Validates a model card: every text section non-empty, metrics finite. */
export function validateModelCard(v: PropsValidator, prefix: string, card: ModelCard): void {
  for (const key of ['purpose', 'trainingData', 'limitations', 'intendedUse', 'notIntendedFor'] as const) {
    v.check(typeof card[key] === 'string' && card[key].trim().length > 0, `${prefix}.${key}`, card[key], 'must be a non-empty text');
  }
  v.check(Object.keys(card.metrics).length > 0, `${prefix}.metrics`, card.metrics, 'must name at least one evaluation metric');
  for (const [key, value] of Object.entries(card.metrics)) {
    v.check(Number.isFinite(value), `${prefix}.metrics.${key}`, value, 'must be a finite number');
  }
}

/** Input of {@link renderModelCardMarkdown}. */
export interface ModelCardDocument {
  /** Model (service) name. */
  readonly name: string;
  /** Namespace it serves in. */
  readonly namespace?: string;
  /** The model version. */
  readonly version: ModelVersion;
  /** The card. */
  readonly card: ModelCard;
}

/** Renders a model card as Markdown (deterministic: metrics and hyperparameters sorted by name). */
export function renderModelCardMarkdown(doc: ModelCardDocument): string {
  const { card, version } = doc;
  const lines: string[] = [
    `# Model card: ${doc.name} ${version.model}`,
    '',
    '| field | value |',
    '|---|---|',
    `| model version | ${version.model} |`,
    `| training commit | ${version.trainingCommit} |`,
    `| data version | ${version.dataVersion} |`,
  ];
  if (doc.namespace) {
    lines.push(`| namespace | ${doc.namespace} |`);
  }
  if (card.owners && card.owners.length > 0) {
    lines.push(`| owners | ${card.owners.join(', ')} |`);
  }
  lines.push('', '## Purpose', '', card.purpose, '', '## Intended use', '', card.intendedUse, '',
    '## Not intended for', '', card.notIntendedFor, '', '## Training data', '', card.trainingData, '',
    '## Performance metrics', '', '| metric | value |', '|---|---|');
  for (const key of Object.keys(card.metrics).sort()) {
    lines.push(`| ${key} | ${card.metrics[key]} |`);
  }
  const hyper = version.hyperparameters ?? {};
  if (Object.keys(hyper).length > 0) {
    lines.push('', '## Hyperparameters', '', '| name | value |', '|---|---|');
    for (const key of Object.keys(hyper).sort()) {
      lines.push(`| ${key} | ${String(hyper[key])} |`);
    }
  }
  lines.push('', '## Limitations', '', card.limitations);
  if (card.ethicalConsiderations) {
    lines.push('', '## Ethical considerations', '', card.ethicalConsiderations);
  }
  lines.push('');
  return lines.join('\n');
}
