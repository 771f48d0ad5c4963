import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse, parseAllDocuments } from 'yaml';
import { buildExamples } from '../../examples/apps';
import { buildLayeredExamples } from '../../examples/gitops/layered';

/**
 * PromQL checks with the Prometheus project's own grammar (`@prometheus-io/lezer-promql`, the
 * parser of the Prometheus UI's editor): an expression is valid when its syntax tree has no
 * error node.
 */

/** The syntax errors of `expr`: one `offset: text` per error node, [] when it parses. */
export function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) {
        errors.push(`${node.from}: '${expr.slice(Math.max(0, node.from - 20), node.to + 20)}'`);
      }
    },
  });
  return errors;
}

/** One PromQL expression found in a rendered object. */
export interface FoundQuery {
  /** `kind/name: json.path` of the field. */
  readonly where: string;
  /** The expression as rendered (templates included). */
  readonly rendered: string;
  /** The expression with the templates of the consuming controller filled in, ready to parse. */
  readonly expr: string;
}

/** Fields that hold PromQL in the objects the library renders. */
const QUERY_KEYS = new Set([
  'expr', // PrometheusRule rules; Grafana panel targets
  'query', // Argo Rollouts AnalysisTemplate prometheus provider; KEDA prometheus trigger metadata
  'successQuery', 'totalQuery', // the A/B analysis job's config.json
  'metricsQuery', 'seriesQuery', // prometheus-adapter rules
]);

/**
 * Fills the templates of the controllers that read the queries: Argo Rollouts `{{args.x}}`
 * (argoproj/argo-rollouts `utils/analysis/helpers.go` resolveArgs), prometheus-adapter
 * `<<.Series>>`, `<<.LabelMatchers>>`, `<<.GroupBy>>` (kubernetes-sigs/prometheus-adapter
 * `docs/config.md`), and Grafana's `$__rate_interval` and `$variable` macros.
 */
export function fillTemplates(q: string): string {
  return q
    .replace(/\{\{\s*args\.window\s*\}\}/g, '1h')
    .replace(/\{\{\s*args\.[a-z0-9-]+\s*\}\}/g, 'x')
    .replace(/<<\.Series>>/g, 'metric_total')
    .replace(/<<\.LabelMatchers>>/g, 'namespace="ns",pod="p"')
    .replace(/<<\.GroupBy>>/g, 'pod')
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{(\w+)\}|\$(\w+)/g, 'x');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Embedded JSON or YAML documents (ConfigMap data, Helm values) as objects, undefined otherwise. */
function embedded(text: string): unknown {
  const trimmed = text.trim();
  if (!/^[{[]/.test(trimmed) && !/^[A-Za-z_][\w-]*:\s/m.test(trimmed)) {
    return undefined;
  }
  try {
    const value: unknown = /^[{[]/.test(trimmed) ? JSON.parse(trimmed) : parse(trimmed);
    return isObject(value) || Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function walk(value: unknown, path: string, out: Array<{ path: string; text: string }>, key = ''): void {
  if (typeof value === 'string') {
    if (QUERY_KEYS.has(key) && value.trim() !== '') {
      out.push({ path, text: value });
    } else if (value.length > 20) {
      const inner = embedded(value);
      if (inner !== undefined) walk(inner, `${path}<embedded>`, out);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, out, key));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      walk(v, path ? `${path}.${k}` : k, out, k);
    }
  }
}

/** Every PromQL expression of the objects (walking embedded JSON/YAML documents too). */
export function renderedQueries(objects: readonly unknown[]): FoundQuery[] {
  const found: FoundQuery[] = [];
  for (const o of objects) {
    if (!isObject(o)) continue;
    const name = isObject(o.metadata) ? String(o.metadata.name) : '?';
    const hits: Array<{ path: string; text: string }> = [];
    walk(o, '', hits);
    for (const h of hits) {
      // Grafana's `expr` under a non-Prometheus datasource, or Argo's `query` of another provider, would be caught
      // by the parse; the library renders Prometheus ones only.
      found.push({ where: `${String(o.kind)}/${name}: ${h.path}`, rendered: h.text, expr: fillTemplates(h.text) });
    }
  }
  return found;
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => join(e.parentPath, e.name)).sort();
}

/** The objects of every cdk8s example (`examples/apps.ts` and the layered platform/team/GitOps example), by file. */
export function allExampleObjects(): Array<{ file: string; objects: Array<Record<string, unknown>> }> {
  const outdir = mkdtempSync(join(tmpdir(), 'examples-promql-'));
  try {
    buildExamples(join(outdir, 'apps')).synth();
    buildLayeredExamples(join(outdir, 'layered'));
    return yamlFilesUnder(outdir).map((file) => ({
      file: file.slice(outdir.length + 1),
      objects: parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as unknown).filter(isObject),
    }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
