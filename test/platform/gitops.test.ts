import assert from 'node:assert/strict';
import { linkedApp } from '../support/synth';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { PLATFORM_CONTRACT_VERSION, TeamChart, ValidationError, readPlatformContract, synthObjects } from '../../src';
import { CHURN_MODEL, ChurnChart } from '../../examples/churn';
import { buildLayeredExamples } from '../../examples/gitops/layered';
import { ManifestObject, validateManifests } from '../support/schema';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => join(e.parentPath, e.name)).sort();
}

describe('the example split by ownership (cdk8s and GitOps)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'layered-'));
  const built = buildLayeredExamples(outdir);
  const read = (file: string) => parseAllDocuments(readFileSync(join(outdir, file), 'utf8')).map((d) => d.toJS() as ManifestObject & Record<string, any>);

  it('writes the platform, the team and the GitOps objects to separate folders, every object schema-valid', async () => {
    assert.deepEqual(yamlFiles(outdir).map((f) => relative(outdir, f)),
      ['addons/addons.k8s.yaml', 'gitops/argocd/applications.k8s.yaml', 'gitops/flux/kustomizations.k8s.yaml', 'platform/platform.k8s.yaml', 'teams/churn/churn.k8s.yaml']);
    assert.ok(built.prerequisites.prerequisites.length > 0 && existsSync(join(outdir, 'prerequisites.md')) && existsSync(join(outdir, 'prerequisites.json')));
    for (const file of yamlFiles(outdir)) {
      await validateManifests(read(relative(outdir, file)));
    }
    assert.deepEqual(readPlatformContract(join(outdir, 'contracts', 'platform.json')), JSON.parse(JSON.stringify(built.platform.contract)));
    rmSync(outdir, { recursive: true, force: true });
  });

  it('renders an Argo CD Application per folder, in waves: add-ons, then the platform, then the teams', () => {
    const apps = built.argoCd.toJson();
    assert.deepEqual(apps.map((a: any) => [a.metadata.name, a.spec.source.path, a.metadata.annotations['argocd.argoproj.io/sync-wave']]), [
      ['cluster-addons', 'dist/addons', '-10'], ['ml-platform-platform', 'dist/platform', '0'], ['ml-churn', 'dist/teams/churn', '10'],
    ]);
    for (const a of apps) {
      assert.ok(a.spec.syncPolicy.syncOptions.includes('ServerSideApply=true'), a.metadata.name);
    }
    const team = apps.find((a: any) => a.metadata.name === 'ml-churn');
    assert.deepEqual(team.spec.ignoreDifferences, built.team.canaries['churn-model'].argoCdIgnoreDifferences(), 'the Rollout\'s ignoreDifferences, not copied by hand');
    assert.ok(team.spec.syncPolicy.syncOptions.includes('RespectIgnoreDifferences=true'), 'else a sync resets the weights Argo Rollouts set');
    const platformNamespaces = synthObjects(built.platform.node.root as App).filter((o) => o.kind === 'Namespace');
    assert.deepEqual(platformNamespaces.map((n) => [n.metadata?.name, (n.metadata?.labels as Record<string, string>)['pod-security.kubernetes.io/enforce']]),
      [['ml-platform', 'restricted'], ['ml-churn', 'restricted']], 'the platform (an earlier wave) creates the team namespaces with Pod Security labels');
  });

  it('renders Flux Kustomizations whose dependsOn chain follows the waves', () => {
    const ks = built.flux.toJson();
    assert.deepEqual(ks.map((k: any) => [k.metadata.name, k.spec.dependsOn?.map((d: any) => d.name) ?? []]), [
      ['cluster-addons', []], ['ml-platform-platform', ['cluster-addons']], ['ml-churn', ['ml-platform-platform']],
    ]);
    assert.ok(ks.every((k: any) => k.spec.wait === true && k.spec.prune === true), 'a dependency is Ready only once its objects are healthy');
  });

  it('schema-validates Argo CD and Flux objects strictly against their vendored CRDs', async () => {
    const app = built.argoCd.toJson()[0];
    await assert.rejects(validateManifests([{ ...app, spec: { ...app.spec, syncPolicy: { ...app.spec.syncPolicy, syncOption: [] } } }]), /additionalProperty[\s\S]*syncOption/);
    const k = built.flux.toJson()[0];
    await assert.rejects(validateManifests([{ ...k, spec: { ...k.spec, prune: undefined } }]), /prune/);
  });

  it('renders a team model with the objects ModelPlatformChart renders for it', () => {
    const single = linkedApp();
    new ChurnChart(single);
    const names = (objs: readonly ManifestObject[]) => objs.filter((o) => o.metadata?.name?.startsWith('churn-model')).map((o) => `${o.kind}/${o.metadata?.name}`).sort();
    assert.deepEqual(names(synthObjects(built.team.node.root as App)), names(synthObjects(single)));
  });

  it('refuses a contract of another version, or a team the platform does not know, naming the property', () => {
    const contract = built.platform.contract;
    assert.throws(() => new TeamChart(linkedApp(), 'churn', { team: 'churn', platform: { ...contract, contractVersion: PLATFORM_CONTRACT_VERSION + 1 }, models: [CHURN_MODEL] }),
      (e: unknown) => e instanceof ValidationError && e.property === 'contractVersion' && e.message.includes(`version ${PLATFORM_CONTRACT_VERSION}`));
    assert.throws(() => new TeamChart(linkedApp(), 'fraud', { team: 'fraud', platform: contract, models: [CHURN_MODEL] }),
      (e: unknown) => e instanceof ValidationError && e.property === 'team' && e.message.includes('teams: churn'));
    assert.throws(() => new TeamChart(linkedApp(), 'churn', { team: 'churn', platform: contract, models: [{ ...CHURN_MODEL, features: { featureService: 'nope' } }] }),
      (e: unknown) => e instanceof ValidationError && e.property === 'models[0].features.featureService');
  });
});
