import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lintDocuments } from '../support/markdown';

describe('document lint (the check every written runbook passes)', () => {
  it('finds a broken relative link, template syntax, a placeholder and a shell block that does not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-'));
    try {
      writeFileSync(join(dir, 'a.md'), '# A\n\n[b](b.md) [gone](runbooks/b.md) [web](https://example.com/x.md)\n');
      writeFileSync(join(dir, 'b.md'), 'Schedule {{ $labels.schedule }} is late.\n\n```sh\nkubectl logs job/x-<suffix>\n```\n\n```sh\nRESTORE=x\nvelero restore get "$RESTORE"\n```\n');
      const problems = lintDocuments(dir);
      assert.equal(problems.filter((p) => p.startsWith('a.md: link runbooks/b.md does not resolve')).length, 1);
      assert.ok(problems.some((p) => p === 'b.md: template syntax {{ $labels.schedule }}'));
      assert.ok(problems.some((p) => p === 'b.md: placeholder <suffix>'));
      assert.ok(problems.some((p) => p.startsWith('b.md: shell block does not parse')));
      assert.equal(problems.length, 4, problems.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
