/**
 * Checks for the Markdown documents written next to the manifests (runbooks,
 * model cards, cost reports, prerequisites): every relative link resolves to a
 * file that was written, no Alertmanager/Go template syntax or `<placeholder>`
 * is left for the reader to fill in, and every shell block parses (`bash -n`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Every `.md` file below `dir`. */
export function markdownFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? markdownFiles(path) : path.endsWith('.md') ? [path] : [];
  });
}

/** The fenced blocks of a Markdown text with their info string (`sh`, `promql`, ...). */
export function fencedBlocks(text: string): Array<{ lang: string; body: string }> {
  return [...text.matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
}

/** Problems of one document, each prefixed with the file (relative to `root`). */
export function lintMarkdown(root: string, file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const name = relative(root, file);
  const problems: string[] = [];
  for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^([a-z]+:|#)/i.test(target)) continue;
    const path = join(dirname(file), decodeURI(target.split('#')[0]));
    if (!existsSync(path)) problems.push(`${name}: link ${target} does not resolve`);
  }
  for (const m of text.matchAll(/\{\{[^}]*\}\}/g)) problems.push(`${name}: template syntax ${m[0]}`);
  for (const m of text.matchAll(/<[a-z][a-z0-9-]*>/g)) problems.push(`${name}: placeholder ${m[0]}`);
  for (const block of fencedBlocks(text).filter((b) => b.lang === 'sh' || b.lang === 'bash')) {
    const r = spawnSync('bash', ['-n'], { input: block.body, encoding: 'utf8' });
    if (r.status !== 0) problems.push(`${name}: shell block does not parse: ${r.stderr.trim()}\n${block.body}`);
  }
  return problems;
}

/** Problems of every Markdown document below `root`. */
export function lintDocuments(root: string): string[] {
  return markdownFiles(root).flatMap((f) => lintMarkdown(root, f));
}
