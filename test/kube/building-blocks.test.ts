import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdk8s';
import { PropsValidator } from '../../src/core/errors';
import { EnvSource, renderExternalSecret } from '../../src/kube/env';
import { validatePinnedImage } from '../../src/kube/image';
import { clusterLocalHost, dnsEgressRule, tcpPort } from '../../src/kube/network';
import { assertValidationError } from '../support/assert';

describe('kube building blocks', () => {
  it('an image must be pinned by a tag other than latest or by a digest', () => {
    const v = new PropsValidator('test/x');
    const digest = `sha256:${'a1'.repeat(32)}`;
    for (const ok of ['repo/model:v1.2.0', 'registry.io:5000/model:1', `repo/model@${digest}`, `repo/model:v1@${digest}`]) {
      assert.equal(validatePinnedImage(v, 'image', ok), ok);
    }
    // OCI distribution grammar: a sha256 digest has 64 hex digits; repository paths are lower case.
    for (const bad of ['repo/model', 'repo/model:latest', 'registry.io:5000/model', 'repo/model :v1', '', 'repo/model@sha256:abc', 'registry.io/Repo/model:1']) {
      assertValidationError(() => validatePinnedImage(v, 'image', bad), 'test/x', "'image'");
    }
  });

  it('DNS egress reaches kube-dns on UDP and TCP 53; hosts are cluster-local when the namespace is known', () => {
    const rule = dnsEgressRule();
    assert.deepEqual(rule.to, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
    assert.deepEqual(rule.ports?.map((p) => [p.protocol, p.port?.value]), [['UDP', 53], ['TCP', 53]]);
    assert.equal(tcpPort(8080).port?.value, 8080);
    assert.equal(clusterLocalHost('churn', 'ml'), 'churn.ml.svc.cluster.local');
    assert.equal(clusterLocalHost('churn', undefined), 'churn');
  });

  it('env sources render themselves; only AWS Secrets Manager sources have a remote reference', () => {
    const chart = Testing.chart();
    assert.deepEqual(EnvSource.fromAwsSecretsManager('prod/db', 'password')._toRemoteRef(), { key: 'prod/db', property: 'password' });
    assert.throws(() => EnvSource.fromSecret('s', 'k')._toRemoteRef(), /'secret' env source has no AWS Secrets Manager reference/);
    assert.throws(() => EnvSource.fromAwsSecretsManager('prod/db')._toEnvValue(chart, 'X'), /needs the Secret its ExternalSecret writes/);
    assert.equal(EnvSource.fromValue('info')._toEnvValue(chart, 'Y').value, 'info');
    const es = renderExternalSecret(chart, 'ES', {
      name: 'm-env', labels: { app: 'm' }, entries: [{ secretKey: 'DB', source: EnvSource.fromAwsSecretsManager('prod/db') }], store: { name: 'own', kind: 'SecretStore' },
    });
    const json = es.toJson();
    assert.deepEqual(json.spec, { refreshInterval: '1h', secretStoreRef: { name: 'own', kind: 'SecretStore' }, target: { name: 'm-env' }, data: [{ secretKey: 'DB', remoteRef: { key: 'prod/db' } }] });
  });
});
