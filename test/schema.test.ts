import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdk8s';
import { CostPreset, ModelService } from '../src';
import { IMAGE, VERSION } from './support/fixtures';
import { ManifestObject, SchemaValidationError, validateManifests } from './support/schema';
import { testChart } from './support/synth';

function validObjects(): ManifestObject[] {
  const { chart } = testChart();
  new ModelService(chart, 'm', { image: IMAGE, version: VERSION, preset: CostPreset.DEV });
  return Testing.synth(chart) as ManifestObject[];
}

describe('schema validation helper', () => {
  it('accepts valid core and CRD objects and counts them', async () => {
    const objects = validObjects();
    assert.equal(await validateManifests(objects), objects.length);
    assert.ok(objects.some((o) => o.apiVersion === 'monitoring.coreos.com/v1'), 'CRD objects are included');
  });

  it('fails a core object that breaks its schema, naming it', async () => {
    const objects = structuredClone(validObjects()) as any[];
    objects.find((o) => o.kind === 'Deployment').spec.replicas = 'three';
    await assert.rejects(validateManifests(objects), (e: Error) =>
      e instanceof SchemaValidationError && e.message.includes('apps/v1/Deployment ml-test/m') && e.message.includes('replicas'));
  });

  it('fails a CRD object that breaks its schema', async () => {
    const objects = structuredClone(validObjects()) as any[];
    objects.find((o) => o.kind === 'ServiceMonitor').spec.endpoints = 'not-a-list';
    await assert.rejects(validateManifests(objects), /monitoring\.coreos\.com\/v1\/ServiceMonitor ml-test\/m/);
  });

  it('validates kinds without a models package against their CRD file, rejecting unknown fields', async () => {
    const schedule = { apiVersion: 'velero.io/v1', kind: 'Schedule', metadata: { name: 's', namespace: 'velero' }, spec: { schedule: '0 * * * *', template: { ttl: '720h0m0s' } } };
    assert.equal(await validateManifests([schedule]), 1);
    const typo = { ...schedule, spec: { ...schedule.spec, template: { ttl: '720h0m0s', includedNamespace: ['ml'] } } };
    await assert.rejects(validateManifests([typo]), /velero\.io\/v1\/Schedule velero\/s: Schedule\/s does not match its CRD schema[\s\S]*additionalProperty[\s\S]*includedNamespace/);
  });

  it('fails a kind it cannot validate unless it is listed', async () => {
    const odd = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    await assert.rejects(validateManifests([odd]), /no schema to validate this kind against/);
    assert.equal(await validateManifests([odd], ['example.com/v1/Widget']), 1);
  });
});
