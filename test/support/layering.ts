/**
 * The library's layering, as data, and the checks the layering test runs.
 *
 * Foundations sit at the bottom (`core`, `stats`, then `monitoring`,
 * `policy`, `kube`, `cost`, `aws`, `bridge`), the serving concept above them,
 * the other concepts above serving, the ready platforms above every concept,
 * and the process entry points (`cli/`) and the test kit (`testing/`) on top.
 * A folder may import its own files and the folders listed for it, nothing
 * else: no import runs up the layers, none reaches into `cli/`, and siblings
 * of one layer (for example `drift` and `features`) stay independent.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const FOUNDATIONS = ['core', 'stats', 'monitoring', 'policy', 'kube', 'cost', 'aws', 'bridge', 'traffic'] as const;
const CONCEPTS = ['rollout', 'features', 'drift', 'training', 'dr'] as const;

/** Folder of `src/` -> the folders of `src/` its files may import. `.` is the package entry points. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  core: [],
  stats: [],
  monitoring: ['core'],
  policy: ['core'],
  kube: ['core', 'monitoring'],
  cost: ['core'],
  aws: ['core'],
  bridge: ['core'],
  traffic: ['core', 'monitoring', 'policy', 'kube'],
  serving: [...FOUNDATIONS],
  ...Object.fromEntries(CONCEPTS.map((c) => [c, [...FOUNDATIONS, 'serving']])),
  platform: [...FOUNDATIONS, 'serving', ...CONCEPTS],
  testing: ['core'],
  cli: [...FOUNDATIONS, 'serving', ...CONCEPTS, 'platform'],
  '.': [...FOUNDATIONS, 'serving', ...CONCEPTS, 'platform'],
};

/** One relative import between two files of `src/` (paths relative to the package root). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

/** Every `.ts` file below `dir`, relative to `root`. */
export function sourceFiles(root: string, dir = 'src'): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir)).sort()) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) {
      out.push(...sourceFiles(root, path));
    } else if (path.endsWith('.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** The relative imports (and re-exports) of each file, resolved to files of the package. */
export function importEdges(root: string, files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, text] of files) {
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      if (!ref.fileName.startsWith('.')) {
        continue;
      }
      const base = resolve(root, dirname(from), ref.fileName);
      const target = [`${base}.ts`, join(base, 'index.ts'), base].find((c) => files.has(relative(root, c)) || (existsSync(c) && statSync(c).isFile()));
      edges.push({ from, to: relative(root, target ?? base) });
    }
  }
  return edges;
}

/** Layer of a file: its folder under `src/`, `.` for the entry points, or undefined outside `src/`. */
export function layerOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'src') {
    return undefined;
  }
  return parts.length === 2 ? '.' : parts[1];
}

/** Imports that break {@link LAYERS}, as readable lines. */
export function layeringViolations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === undefined || to.startsWith('imports/')) {
      continue;
    }
    if (b === undefined) {
      out.push(`${from} imports ${to}, outside src/`);
    } else if (a !== b && !(LAYERS[a] ?? []).includes(b)) {
      out.push(`${from} (${a}) imports ${to} (${b}); ${a} may import ${(LAYERS[a] ?? []).join(', ') || 'nothing else'}`);
    }
  }
  return out;
}

/** Import cycles between files, each as the list of files around it. */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(to)), to]);
      } else if (!state.has(to)) {
        visit(to);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...next.keys()].sort()) {
    if (!state.has(file)) {
      visit(file);
    }
  }
  return cycles;
}

/** Reads the files of `src/` into a map (path -> text). */
export function readSources(root: string): Map<string, string> {
  return new Map(sourceFiles(root).map((f) => [f, readFileSync(join(root, f), 'utf8')]));
}

/** Whether a file belongs to the AWS plane (the only files that may import `@pulumi/*`; mirrors eslint.config.mjs). */
export function isAwsPlane(file: string): boolean {
  return /^src\/(aws|bridge|testing)\//.test(file) || /-(aws|stack)\.ts$/.test(file) || file === 'src/pulumi.ts';
}

/** Imports from the Kubernetes plane into the AWS plane (they would make `cdk8s synth` load Pulumi). */
export function planeViolations(edges: readonly ImportEdge[]): string[] {
  return edges
    .filter(({ from, to }) => layerOf(from) !== undefined && layerOf(from) !== 'cli' && !isAwsPlane(from) && isAwsPlane(to))
    .map(({ from, to }) => `${from} (Kubernetes plane) imports ${to} (AWS plane)`);
}
