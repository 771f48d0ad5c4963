// Builds the self-contained scripts that the library's jobs run from a
// ConfigMap on the official Node.js image (no custom image to build):
//   npm run bundle      writes bundles/<name>.js
// The files are generated and committed; a test fails when one is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** How one bundle is built. */
interface BundleSpec {
  /** Entry point, relative to the package root. */
  readonly entry: string;
  /** Package fields esbuild resolves, in order. @default esbuild's default for node */
  readonly mainFields?: string[];
  /** Compile-time constants. @default - none */
  readonly define?: Record<string, string>;
}

/** Build settings of the drift checker's bundles. */
const DRIFT_BUILD: Omit<BundleSpec, 'entry'> = {
  // The AWS SDK's ESM builds tree-shake far better than its CommonJS builds (754 KB -> 595 KB).
  mainFields: ['module', 'main'],
  define: {
    'process.env.NODE_ENV': '"production"',
    // The SDK prints a multi-line warning on Node < 22 that would break the CLI's one-line stderr contract.
    'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"',
  },
};

/** Bundle name -> how to build it. */
export const BUNDLES: Readonly<Record<string, BundleSpec>> = {
  'ab-analysis': { entry: 'src/cli/ab-analysis.ts' },
  'spot-fallback-controller': { entry: 'src/cli/spot-fallback-controller.ts' },
  'restore-drill': { entry: 'src/cli/restore-drill.ts' },
  'ml-drift': { entry: 'src/cli/drift.ts', ...DRIFT_BUILD },
  // engine 'athena' (the SDK's Athena client, no file readers): its own bundle keeps each below the ConfigMap's 256 KiB annotation
  'ml-drift-athena': { entry: 'src/cli/drift-athena.ts', ...DRIFT_BUILD },
};

const ROOT = join(__dirname, '..');

/** Builds one bundle in memory: CommonJS for Node 20+, minified, deterministic. */
export async function buildBundle(name: string): Promise<string> {
  const spec = BUNDLES[name];
  if (!spec) {
    throw new Error(`unknown bundle ${name}; known: ${Object.keys(BUNDLES).join(', ')}`);
  }
  const result = await build({
    entryPoints: [join(ROOT, spec.entry)],
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
    ...(spec.mainFields ? { mainFields: spec.mainFields } : {}),
    ...(spec.define ? { define: spec.define } : {}),
  });
  const header = `// ${name}: generated from ${spec.entry} by \`npm run bundle\`; do not edit.\n`;
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
