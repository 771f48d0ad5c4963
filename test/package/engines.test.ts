/**
 * `engines` that tell the truth: every package a user of this library installs
 * with it (dependencies and peers, with what they pull in, as this repo's
 * lockfile resolves them) runs on the Node.js versions `engines.node` admits,
 * and this test runs on that floor in CI (.ci/run uses the machine's Node 20).
 * `@pulumi/pulumi` 3.249 raised its floor to Node 22, so the repo develops
 * against 3.248 (`~3.248.0`); a consumer on Node 22 may take any newer 3.x.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { minVersion, satisfies } from 'semver';

const ROOT = join(__dirname, '..', '..');

interface LockPackage { readonly version?: string; readonly dev?: boolean; readonly engines?: unknown }
interface Manifest { readonly engines: { readonly node: string }; readonly peerDependencies: Readonly<Record<string, string>> }

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;
}

const manifest = readJson<Manifest>('package.json');
const lock = readJson<{ packages: Readonly<Record<string, LockPackage>> }>('package-lock.json');

/** `engines.node` of a lockfile entry (engines may also be an array of strings in old packages). */
function nodeRange(entry: LockPackage): string | undefined {
  const engines = entry.engines;
  if (typeof engines === 'object' && engines !== null && !Array.isArray(engines) && 'node' in engines && typeof engines.node === 'string') {
    return engines.node;
  }
  return undefined;
}

describe('engines', () => {
  it('runs the suite on a Node.js version the package admits', () => {
    assert.ok(satisfies(process.version, manifest.engines.node), `${process.version} satisfies engines.node ${manifest.engines.node}`);
  });

  it('admits no Node.js version that a runtime dependency or peer (or what they pull in) refuses', () => {
    const floor = minVersion(manifest.engines.node);
    assert.ok(floor, manifest.engines.node);
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.dev !== true)
      .flatMap(([path, entry]) => {
        const range = nodeRange(entry);
        return range !== undefined && !satisfies(floor, range) ? [`${path}@${entry.version ?? '?'} needs node ${range}`] : [];
      });
    assert.deepEqual(refusing, [], `engines.node ${manifest.engines.node} admits Node ${floor.version}`);
  });

  it('develops against the newest @pulumi/pulumi that still runs on the engines floor, within the peer range', () => {
    const installed = readJson<{ version: string; engines: { node: string } }>('node_modules/@pulumi/pulumi/package.json');
    assert.ok(satisfies(installed.version, manifest.peerDependencies['@pulumi/pulumi']), `${installed.version} in the peer range`);
    const floor = minVersion(manifest.engines.node);
    assert.ok(floor && satisfies(floor, installed.engines.node), `@pulumi/pulumi ${installed.version} runs on Node ${floor?.version} (needs ${installed.engines.node})`);
  });
});
