// Builds the self-contained scripts that the library's jobs run from a
// ConfigMap on the official Node.js image (no custom image to build):
//   npm run bundle      writes bundles/<name>.js
// The files are generated and committed; a test fails when one is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Bundle name -> entry point. */
export const BUNDLES: Readonly<Record<string, string>> = {
  'ab-analysis': 'src/cli/ab-analysis.ts',
  'spot-fallback-controller': 'src/training/spot-fallback-controller.ts',
};

const ROOT = join(__dirname, '..');

/** Builds one bundle in memory: CommonJS for Node 20+, minified, deterministic. */
export async function buildBundle(name: string): Promise<string> {
  const entry = BUNDLES[name];
  if (!entry) {
    throw new Error(`unknown bundle ${name}; known: ${Object.keys(BUNDLES).join(', ')}`);
  }
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const header = `// ${name}: generated from ${entry} by \`npm run bundle\`; do not edit.\n`;
  return header + result.outputFiles[0].text;
}

async function main(): Promise<void> {
  for (const name of Object.keys(BUNDLES)) {
    const code = await buildBundle(name);
    writeFileSync(join(ROOT, 'bundles', `${name}.js`), code);
    console.log(`bundles/${name}.js ${code.length} bytes`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
