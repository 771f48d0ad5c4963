import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IConstruct } from 'constructs';
import { PropsValidator } from '../core/errors';
import { isRecord } from '../core/json';
import { collectRunbooks, renderRunbookMarkdown, runbookFileName } from './runbooks';

/** A construct that renders a model card. */
interface ModelCardSource {
  readonly name: string;
  readonly namespace?: string;
  modelCardMarkdown(): string;
}

/** A construct that renders a further Markdown document next to the manifests (for example a restore runbook). */
interface DocumentSource {
  readonly runbookPath: string;
  runbookMarkdown(): string;
}

function isDocumentSource(x: unknown): x is DocumentSource {
  return isRecord(x) && typeof x.runbookPath === 'string' && typeof x.runbookMarkdown === 'function';
}

function isModelCardSource(x: unknown): x is ModelCardSource {
  return isRecord(x) && typeof x.modelCardMarkdown === 'function';
}

/**
 * Writes the human-facing documents of everything under `root` next to the
 * manifests: `runbooks/<file>.md` for every alert (the file each alert's
 * `runbook_url` names), restore runbooks (`runbookPath` of backups), and
 * `model-cards/<namespace>-<name>.md` for every model card. Returns the paths written, relative to `outdir`.
 */
export function writeDocuments(root: IConstruct, outdir: string): string[] {
  const written: string[] = [];
  const runbooks = collectRunbooks(root);
  if (runbooks.length > 0) {
    mkdirSync(join(outdir, 'runbooks'), { recursive: true });
  }
  for (const rb of runbooks) {
    const file = join('runbooks', runbookFileName(rb));
    if (written.includes(file)) {
      new PropsValidator(`alert ${rb.alert.name}`).fail('runbook', file, 'is written by two alerts: give the constructs distinct names');
    }
    writeFileSync(join(outdir, file), renderRunbookMarkdown(rb));
    written.push(file);
  }
  for (const c of root.node.findAll()) {
    if (isDocumentSource(c)) {
      mkdirSync(join(outdir, dirname(c.runbookPath)), { recursive: true });
      writeFileSync(join(outdir, c.runbookPath), c.runbookMarkdown());
      written.push(c.runbookPath);
    }
    if (!isModelCardSource(c)) continue;
    const markdown = c.modelCardMarkdown();
    if (!markdown) continue;
    mkdirSync(join(outdir, 'model-cards'), { recursive: true });
    const file = join('model-cards', `${c.namespace ? `${c.namespace}-` : ''}${c.name}.md`);
    writeFileSync(join(outdir, file), markdown);
    written.push(file);
  }
  return written.sort();
}
