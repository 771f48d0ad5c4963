// Regenerates the typed CRD classes in imports/ from the vendored upstream CRD
// files in crds/ (see crds/README.md):
//   npm run import-crds
// Offline (`--no-check-upgrade`), one file per command (cdk8s-cli reads only
// the first spec of a command line), and `NAME:=` module names so two kinds of
// one API group do not overwrite each other's module file. Everything is
// generated into a temporary folder first: imports/ is replaced only after
// every import has succeeded.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Module name -> CRD file under crds/: one generated `imports/<module>-<group>.ts` each. */
export const CRD_IMPORTS: Readonly<Record<string, string>> = {
  rollout: 'argo-rollouts/rollout-crd.yaml',
  analysistemplate: 'argo-rollouts/analysis-template-crd.yaml',
  virtualservice: 'istio/networking.istio.io_virtualservices.yaml',
  destinationrule: 'istio/networking.istio.io_destinationrules.yaml',
  gateway: 'istio/networking.istio.io_gateways.yaml',
  envoyfilter: 'istio/networking.istio.io_envoyfilters.yaml',
  telemetry: 'istio/telemetry.istio.io_telemetries.yaml',
  nodepool: 'karpenter/karpenter.sh_nodepools.yaml',
  ec2nodeclass: 'karpenter/karpenter.k8s.aws_ec2nodeclasses.yaml',
  scaledobject: 'keda/keda.sh_scaledobjects.yaml',
  servicemonitor: 'prometheus-operator/monitoring.coreos.com_servicemonitors.yaml',
  prometheusrule: 'prometheus-operator/monitoring.coreos.com_prometheusrules.yaml',
  schedule: 'velero/velero.io_schedules.yaml',
  restore: 'velero/velero.io_restores.yaml',
  externalsecret: 'external-secrets/external-secrets.io_externalsecrets.yaml',
  featurestore: 'feast/feast.dev_featurestores.yaml',
  application: 'argo-cd/application-crd.yaml',
  kustomization: 'flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
};

/** Runs `cdk8s import` for every CRD of `crdsDir` into `outDir` (which must exist); throws on the first failure. */
export function generateImports(outDir: string, crdsDir = join(ROOT, 'crds')): void {
  // cdk8s-cli exports no subpaths: find its bin from the package folder.
  const cli = join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');
  for (const [module, file] of Object.entries(CRD_IMPORTS)) {
    execFileSync(process.execPath, [cli, 'import', `${module}:=${join(crdsDir, file)}`, '--language', 'typescript', '--output', outDir, '--no-save', '--no-check-upgrade'], {
      cwd: outDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
}

/** `CRDS_DIR` and `IMPORTS_DIR` override the folders (the tests use them). */
function main(): void {
  const tmp = mkdtempSync(join(tmpdir(), 'import-crds-'));
  try {
    generateImports(tmp, process.env.CRDS_DIR ?? join(ROOT, 'crds'));
    const out = process.env.IMPORTS_DIR ?? join(ROOT, 'imports');
    rmSync(out, { recursive: true, force: true });
    cpSync(tmp, out, { recursive: true });
    console.log(readdirSync(out).sort().join('\n'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main();
  } catch (err: unknown) {
    console.error(`import-crds: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; imports/ left unchanged`);
    process.exitCode = 1;
  }
}
