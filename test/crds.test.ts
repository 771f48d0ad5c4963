import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { CRD_IMPORTS, generateImports } from '../scripts/import-crds';

const ROOT = join(__dirname, '..');
const CRDS = join(ROOT, 'crds');

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('vendored CRDs (crds/)', () => {
  const rows = new Map([...readFileSync(join(CRDS, 'README.md'), 'utf8').matchAll(/^\| `([^`]+\.yaml)` \|.*\| `([0-9a-f]{64})` \|$/gm)].map((m) => [m[1], m[2]]));

  it('lists every vendored file with its sha256, and every file matches it', () => {
    assert.deepEqual(filesBelow(CRDS).filter((f) => f.endsWith('.yaml')), [...rows.keys()].sort());
    for (const [file, sha] of rows) {
      assert.equal(createHash('sha256').update(readFileSync(join(CRDS, file))).digest('hex'), sha, file);
    }
  });

  it('vendors exactly the CRDs the library imports or validates against', () => {
    assert.deepEqual([...new Set(Object.values(CRD_IMPORTS))].sort(), [...rows.keys()].sort());
  });
});

describe('npm run import-crds', () => {
  it('regenerates imports/ byte for byte from crds/ (a fresh clone can rebuild its generated code)', () => {
    const out = mkdtempSync(join(tmpdir(), 'imports-'));
    try {
      generateImports(out);
      const expected = filesBelow(join(ROOT, 'imports'));
      assert.deepEqual(filesBelow(out), expected);
      for (const f of expected) {
        assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(ROOT, 'imports', f), 'utf8'), `imports/${f} is stale: run npm run import-crds`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('leaves imports/ untouched when an import fails', () => {
    const work = mkdtempSync(join(tmpdir(), 'import-crds-fail-'));
    try {
      const crds = join(work, 'crds');
      const imports = join(work, 'imports');
      cpSync(CRDS, crds, { recursive: true });
      writeFileSync(join(crds, CRD_IMPORTS.rollout), 'this is not a CRD\n');
      cpSync(join(ROOT, 'imports'), imports, { recursive: true });
      const before = filesBelow(imports);
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'import-crds.ts')], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, CRDS_DIR: crds, IMPORTS_DIR: imports },
      });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /^import-crds: .*imports\/ left unchanged\n$/);
      assert.deepEqual(filesBelow(imports), before);
      assert.equal(execFileSync('diff', ['-r', imports, join(ROOT, 'imports')], { encoding: 'utf8' }), '');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
