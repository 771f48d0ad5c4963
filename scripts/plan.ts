// OFFLINE PLAN of the example Pulumi program (examples/pulumi): runs it under
// pulumi.runtime.setMocks and lists every AWS resource and Kubernetes object
// it would create, by type and name. No cloud credentials, no cluster, no
// Pulumi CLI. This is NOT `pulumi preview`: nothing is compared with real
// state, and ids/ARNs are mock values.
//
//   npm run plan                         # with examples/pulumi/plan-config.json
//   npm run plan -- path/to/config.json  # with your own stack config (JSON of key: value)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PulumiMockRecorder, RegisteredResource, promiseOf } from '../src/testing/pulumi-mocks';

interface PlannedObject { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } }

const USAGE = `usage: npm run plan -- [CONFIG.json]

Runs examples/pulumi under Pulumi mocks and lists every resource and Kubernetes object it
would create (an offline plan, NOT \`pulumi preview\`). CONFIG.json holds the stack config as
{ "key": "value" } (default: examples/pulumi/plan-config.json).
Exit codes: 0 plan printed, 1 the program or its config failed, 2 bad arguments.`;

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (argv.length > 1 || argv[0]?.startsWith('-')) {
    console.error(`plan: unexpected arguments: ${argv.join(' ')}\n${USAGE}`);
    return 2;
  }
  const configFile = argv[0] ?? join(__dirname, '..', 'examples', 'pulumi', 'plan-config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, string>;
  const recorder = await PulumiMockRecorder.install({ project: 'ml-platform-churn', stack: 'offline-plan', config });
  const program = (await import('../examples/pulumi/index')) as { bindings: import('@pulumi/pulumi').Output<unknown> };
  await promiseOf(program.bindings);
  await recorder.settle();

  const lines: string[] = [
    '# Offline plan (mocks) of examples/pulumi: NOT `pulumi preview`',
    '',
    `Config: ${configFile}. ARNs, ids and bucket names are mock values; run \`pulumi preview\` against your account for the real plan.`,
    '',
    '## Pulumi resources',
    '',
    '| # | type | name | parent |',
    '|---:|---|---|---|',
  ];
  [...recorder.resources].sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type)).forEach((r: RegisteredResource, i) => lines.push(`| ${i + 1} | ${r.type} | ${r.name} | ${r.parent?.name ?? '-'} |`));
  for (const group of recorder.ofType('kubernetes:yaml/v2:ConfigGroup')) {
    const objs = (group.inputs.objs ?? []) as PlannedObject[];
    lines.push('', `## Kubernetes objects of ${group.name} (${objs.length})`, '', '| # | apiVersion | kind | namespace/name |', '|---:|---|---|---|');
    objs.forEach((o, i) => lines.push(`| ${i + 1} | ${o.apiVersion} | ${o.kind} | ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? ''} |`));
  }
  lines.push('', `${recorder.resources.length} Pulumi resources; ${recorder.ofType('kubernetes:yaml/v2:ConfigGroup')
    .reduce((n, g) => n + ((g.inputs.objs ?? []) as unknown[]).length, 0)} Kubernetes objects.`);
  console.log(lines.join('\n'));
  return 0;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  // One line naming the cause (for example a missing stack config key), not a stack trace.
  console.error(`plan: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exitCode = 1;
});
