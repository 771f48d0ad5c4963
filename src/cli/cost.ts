/**
 * ml-cost: the monthly cost estimate of synthesized manifests.
 *
 *   ml-cost [DIR] [--out PREFIX] [--json]
 *
 * Reads every `*.yaml` manifest of DIR (default `dist`) and prints the
 * Markdown report (or JSON with `--json`). `--out PREFIX` also writes
 * `PREFIX.md` and `PREFIX.json`; nothing is written otherwise, so the fuller
 * report `cdk8s synth` writes next to the manifests is never overwritten.
 *
 * Exit codes: 0 = report printed; 2 = bad arguments or unreadable manifests.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { KubernetesObject } from '../core/synth';
import { estimateMonthlyCost, renderCostMarkdown } from '../cost/estimate';

const USAGE = `usage: ml-cost [DIR] [--out PREFIX] [--json]

Prints the monthly cost estimate of the *.yaml manifests in DIR (default: dist).
  --out PREFIX  also write PREFIX.md and PREFIX.json
  --json        print the report as JSON instead of Markdown
  --help        print this help

Exit codes: 0 report printed, 2 bad arguments or unreadable manifests.
`;

/** Reads every `*.yaml` manifest of a folder (sorted, so the report is stable). */
export function readManifests(dir: string): KubernetesObject[] {
  return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
    .flatMap((f): unknown[] => Yaml.load(join(dir, f)))
    .filter(isKubernetesObject);
}

/** A YAML document that is a Kubernetes object (has a string `kind`; empty documents are skipped). */
function isKubernetesObject(o: unknown): o is KubernetesObject {
  return typeof o === 'object' && o !== null && 'kind' in o && typeof o.kind === 'string';
}

/** Where the CLI writes. */
export interface CostCliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const STDIO: CostCliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Runs the CLI on `argv` (without `node` and the script) and returns the exit code. */
export function main(argv: readonly string[], io: CostCliIo = STDIO): number {
  let dir: string | undefined;
  let outPrefix: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      io.out(USAGE);
      return 0;
    } else if (arg === '--json') {
      json = true;
    } else if (arg === '--out' && i + 1 < argv.length) {
      outPrefix = argv[++i];
    } else if (!arg.startsWith('-') && dir === undefined) {
      dir = arg;
    } else {
      io.err(`ml-cost: unexpected argument '${arg}'\n${USAGE}`);
      return 2;
    }
  }
  const folder = dir ?? 'dist';
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    io.err(`ml-cost: '${folder}' is not a folder of manifests (run \`cdk8s synth\` first, or pass DIR)\n`);
    return 2;
  }
  try {
    const report = estimateMonthlyCost(readManifests(folder));
    const markdown = renderCostMarkdown(report);
    const jsonText = `${JSON.stringify(report, null, 2)}\n`;
    if (outPrefix !== undefined) {
      writeFileSync(`${outPrefix}.md`, markdown);
      writeFileSync(`${outPrefix}.json`, jsonText);
    }
    io.out(json ? jsonText : markdown);
    return 0;
  } catch (err) {
    io.err(`ml-cost: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
