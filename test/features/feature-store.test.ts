import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App, Chart, Cron, Duration, Size, Testing, YamlOutputType } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { parse, parseAllDocuments } from 'yaml';
import { AwsIdentity, CostPreset, EnvSource, ModelService } from '../../src';
import {
  FEAST_IMAGE, FeastProjectDir, FeatureStore, FeatureStoreProps,
} from '../../src/features/feature-store';
import { BatchSource, FeatureDefinitions } from '../../src/features/definitions';
import { FeatureStoreAwsBinding, FeatureStoreMode, OfflineStore, OnlineStore } from '../../src/features/stores';
import { ChurnFeaturesChart } from '../../examples/churn-features';
import { assertMatchesCrd } from '../support/crd-schema';
import { CHURN_FEATURES } from '../../examples/churn-feature-definitions';
import { CARD, IMAGE, VERSION } from '../support/fixtures';
import { ManifestObject, validateManifests } from '../support/schema';
import { findObject, inventory, objectsOfKind, synthValid, testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';

/** The FeatureStore CR has no @kubernetes-models package: it is validated against the CRD schema in these tests instead. */
const UNVALIDATED: string[] = [];

const STORES: Partial<FeatureStoreProps> = {
  offlineStore: OfflineStore.file({ baseUri: 's3://ml-features/offline/' }),
  registry: { path: 's3://ml-features/registry/registry.db' },
  awsIdentity: AwsIdentity.irsa('arn:aws:iam::123456789012:role/ml-features'),
};

const REDIS_BINDING: FeatureStoreAwsBinding = {
  region: 'eu-west-1',
  registryPath: 's3://churn-features-abc123/registry/registry.db',
  offlineBaseUri: 's3://churn-features-abc123/offline/',
  serverRoleArn: 'arn:aws:iam::123456789012:role/features-server',
  materializationRoleArn: 'arn:aws:iam::123456789012:role/features-materialize',
  redis: { host: 'master.features-redis.abc123.euw1.cache.amazonaws.com', port: 6379, authTokenSecretName: 'features-redis-auth-1a2b3c' },
};

const DYNAMO_BINDING: FeatureStoreAwsBinding = {
  region: 'eu-west-1',
  registryPath: 's3://churn-features-abc123/registry/registry.db',
  offlineBaseUri: 's3://churn-features-abc123/offline/',
  serverRoleArn: 'arn:aws:iam::123456789012:role/features-server',
  materializationRoleArn: 'arn:aws:iam::123456789012:role/features-materialize',
  dynamoDb: { tableNamePrefix: 'features-aws.' },
};

function store(props: Partial<FeatureStoreProps> = {}, namespace = 'ml-churn') {
  const { app, chart } = testChart(namespace);
  const features = new FeatureStore(chart, 'features', { features: CHURN_FEATURES, preset: CostPreset.DEV, project: 'churn', ...STORES, ...props });
  return { app, chart, features };
}

/** Asserts that building the store throws a ValidationError whose message contains every fragment. */
function assertInvalid(props: Partial<FeatureStoreProps>, ...fragments: string[]): void {
  assertValidationError(() => store(props), 'test/features', ...fragments);
}

/** The `auth` section of an authenticated feature server (Feast 0.66: ServiceAccount tokens reviewed by the API server). */
const FEAST_AUTH = {
  type: 'oidc',
  auth_discovery_url: 'https://kubernetes.default.svc/.well-known/openid-configuration',
  ca_cert_path: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
};

function configOf(objects: readonly unknown[], name = 'features-config'): Record<string, any> {
  const cm = findObject(objects as any, 'ConfigMap', name);
  return parse(cm.data['feature_store.yaml'] as string) as Record<string, any>;
}

function onlyFeatureStore(objects: readonly unknown[]): Record<string, any> {
  const [cr] = objectsOfKind(objects as any, 'FeatureStore');
  assert.ok(cr, 'a FeatureStore object is rendered');
  return cr;
}

describe('FeatureStore (plain Kubernetes mode)', () => {
  it('makes the feature server Deployment the default child', () => {
    const { features } = store();
    assert.ok(features.deployment);
    assert.equal(features.node.defaultChild, features.deployment);
  });

  it('renders the DEV object set with an in-cluster Redis, every object schema-valid', async () => {
    const objects = await synthValid(store().chart);
    const apply = objectsOfKind(objects, 'Job')[0].metadata.name as string;
    assert.match(apply, /^features-apply-[0-9a-f]{10}$/);
    assert.deepEqual(inventory(objects), [
      'ClusterRole/ml-churn-features-feast-tokenreview',
      'ClusterRoleBinding/ml-churn-features-feast-tokenreview',
      'ConfigMap/features-config',
      'ConfigMap/features-repo',
      'CronJob/features-materialize',
      'Deployment/features',
      'HorizontalPodAutoscaler/features',
      `Job/${apply}`,
      'NetworkPolicy/features',
      'NetworkPolicy/features-jobs',
      'NetworkPolicy/features-redis',
      'PodDisruptionBudget/features', // the DEV server autoscales to 3 replicas
      'PrometheusRule/features',
      'Service/features',
      'Service/features-redis',
      'ServiceAccount/features',
      'ServiceAccount/features-materialize',
      'ServiceMonitor/features',
      'StatefulSet/features-redis',
    ]);
    for (const o of objects) {
      assert.equal(o.metadata?.namespace, o.kind.startsWith('Cluster') ? undefined : 'ml-churn', `${o.kind} is in the chart namespace or cluster-scoped`);
    }
  });

  it('renders feature_store.yaml for the in-cluster Redis, files on S3 and the S3 registry (parsed)', async () => {
    const objects = await synthValid(store().chart);
    assert.deepEqual(configOf(objects), {
      project: 'churn',
      provider: 'local',
      registry: { registry_type: 'file', path: 's3://ml-features/registry/registry.db', cache_ttl_seconds: 60 },
      online_store: { type: 'redis', redis_type: 'redis', connection_string: 'features-redis.ml-churn.svc.cluster.local:6379' },
      offline_store: { type: 'file' },
      entity_key_serialization_version: 3,
      auth: FEAST_AUTH,
    });
  });

  it('renders feature_store.yaml for ElastiCache from the AWS binding with the password as an environment reference', async () => {
    const { chart, features } = store({ preset: CostPreset.PRODUCTION, aws: REDIS_BINDING, offlineStore: undefined, registry: undefined });
    const objects = await synthValid(chart);
    assert.deepEqual(configOf(objects), {
      project: 'churn',
      provider: 'local',
      registry: { registry_type: 'file', path: 's3://churn-features-abc123/registry/registry.db', cache_ttl_seconds: 60 },
      online_store: {
        type: 'redis',
        redis_type: 'redis',
        connection_string: 'master.features-redis.abc123.euw1.cache.amazonaws.com:6379,ssl=true,password=${FEAST_REDIS_PASSWORD}',
      },
      offline_store: { type: 'file' },
      entity_key_serialization_version: 3,
      auth: FEAST_AUTH,
    });
    assert.deepEqual(features.featureStoreConfig, configOf(objects), 'the public field is what the ConfigMap holds');
  });

  it('renders feature_store.yaml for DynamoDB with the table prefix and region, and for Athena', async () => {
    const { chart } = store({
      preset: CostPreset.PRODUCTION,
      features: withSources(athena),
      onlineStore: OnlineStore.dynamoDb({ region: 'eu-west-1', tableNamePrefix: 'prod.' }),
      offlineStore: OfflineStore.athena({ region: 'eu-west-1', database: 'features', s3StagingLocation: 's3://athena-results/feast/' }),
    });
    const config = configOf(await synthValid(chart));
    assert.equal(config.provider, 'aws');
    assert.deepEqual(config.online_store, { type: 'dynamodb', region: 'eu-west-1', table_name_template: 'prod.{project}.{table_name}', consistent_reads: false });
    assert.deepEqual(config.offline_store, {
      type: 'athena', region: 'eu-west-1', database: 'features', workgroup: 'primary', data_source: 'AwsDataCatalog', s3_staging_location: 's3://athena-results/feast/',
    });
  });

  it('renders feature_store.yaml for Redshift serverless', async () => {
    const { chart } = store({
      features: withSources(redshift),
      offlineStore: OfflineStore.redshift({
        region: 'eu-west-1', database: 'dev', workgroup: 'features', s3StagingLocation: 's3://redshift-unload/feast/', iamRole: 'arn:aws:iam::123456789012:role/redshift-s3',
      }),
    });
    const config = configOf(await synthValid(chart));
    assert.deepEqual(config.offline_store, {
      type: 'redshift', region: 'eu-west-1', database: 'dev', s3_staging_location: 's3://redshift-unload/feast/', iam_role: 'arn:aws:iam::123456789012:role/redshift-s3', workgroup: 'features',
    });
  });

  it('ships the generated repository file, line by line equal to the reviewed fixture', async () => {
    const { chart, features } = store();
    const objects = await synthValid(chart);
    const actual = (findObject(objects, 'ConfigMap', 'features-repo').data['features.py'] as string).split('\n');
    const expected = readFileSync(join(__dirname, '..', 'fixtures', 'feature-store', 'churn_features.py'), 'utf8').split('\n');
    for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
      assert.equal(actual[i], expected[i], `line ${i + 1} of features.py`);
    }
    assert.equal(features.repositoryPython, actual.join('\n'));
  });

  it('runs feast apply in a Job named after a hash of what it applies, with both files mounted', async () => {
    const name = (props: Partial<FeatureStoreProps>) => objectsOfKind(Testing.synth(store(props).chart), 'Job')[0].metadata.name as string;
    assert.equal(name({}), name({}), 'the same definitions give the same Job');
    const [first, ...rest] = CHURN_FEATURES.featureViews;
    const changed = { ...CHURN_FEATURES, featureViews: [{ ...first, ttl: Duration.days(2) }, ...rest] };
    assert.notEqual(name({}), name({ features: changed }), 'changed definitions give a new Job (Jobs are immutable)');
    const objects = await synthValid(store().chart);
    const job = objectsOfKind(objects, 'Job')[0];
    const pod = job.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.serviceAccountName, 'features-materialize');
    assert.equal(job.spec.ttlSecondsAfterFinished, undefined, 'a finished Job stays: GitOps would recreate a deleted one');
    const c = pod.containers[0];
    assert.deepEqual(c.command, ['feast', 'apply']);
    assert.equal(c.image, FEAST_IMAGE);
    assert.equal(c.workingDir, '/feast/repo');
    assert.deepEqual(c.volumeMounts.map((m: any) => [m.mountPath, m.subPath ?? null]), [
      ['/feast/repo/feature_store.yaml', 'feature_store.yaml'],
      ['/feast/repo/features.py', 'features.py'],
      ['/tmp', null],
    ]);
  });

  it('serves with feast serve: /health probes, ports, restricted pods and the config by subPath', async () => {
    const objects = await synthValid(store().chart);
    const deployment = findObject(objects, 'Deployment', 'features');
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    assert.deepEqual(c.command, ['feast', 'serve', '--host', '0.0.0.0', '--port', '6566', '--metrics', '--workers', '1', '--registry_ttl_sec', '60']);
    assert.deepEqual(c.ports, [{ containerPort: 6566, name: 'http' }, { containerPort: 8000, name: 'metrics' }]);
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      assert.deepEqual(probe.httpGet, { path: '/health', port: 6566, scheme: 'HTTP' });
    }
    assert.equal(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds, 300, 'five minutes to load the registry');
    assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1024Mi' } }, 'the DEV preset sizing');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
    assert.equal(pod.automountServiceAccountToken, true, 'the server reviews callers\' tokens with its own');
    assert.deepEqual(c.volumeMounts[0], { mountPath: '/feast/repo/feature_store.yaml', name: 'config', readOnly: true, subPath: 'feature_store.yaml' });
    assert.match(deployment.spec.template.metadata.annotations['ml-platform-constructs.dev/config-sha256'], /^[0-9a-f]{64}$/);
    assert.deepEqual(c.env.map((e: any) => e.name), ['FEAST_USAGE', 'HOME', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED']);
    const svc = findObject(objects, 'Service', 'features');
    assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80, targetPort: 6566 }, { name: 'metrics', port: 8000, targetPort: 8000 }]);
    assert.deepEqual(svc.spec.selector, { 'app.kubernetes.io/component': 'feature-server', 'app.kubernetes.io/instance': 'features', 'app.kubernetes.io/name': 'features' });
  });

  it('scales with an HPA, protects with a PDB and spreads over zones in production', async () => {
    const objects = await synthValid(store({ preset: CostPreset.PRODUCTION, onlineStore: OnlineStore.dynamoDb({ region: 'eu-west-1' }) }).chart);
    const deployment = findObject(objects, 'Deployment', 'features');
    assert.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count');
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'features');
    assert.equal(hpa.spec.minReplicas, 3);
    assert.equal(hpa.spec.maxReplicas, 20);
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'features' });
    assert.deepEqual(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    const pdb = findObject(objects, 'PodDisruptionBudget', 'features');
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    assert.equal(deployment.spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable, 'DoNotSchedule');
    assert.equal(objectsOfKind(objects, 'StatefulSet').length, 0, 'no in-cluster Redis with DynamoDB');
  });

  it('runs a fixed replica count without an HPA when min equals max', async () => {
    const objects = await synthValid(store({ server: { minReplicas: 2, maxReplicas: 2 }, preset: CostPreset.STAGING, onlineStore: OnlineStore.inClusterRedis() }).chart);
    assert.equal(findObject(objects, 'Deployment', 'features').spec.replicas, 2);
    assert.equal(objectsOfKind(objects, 'HorizontalPodAutoscaler').length, 0);
    assert.equal(objectsOfKind(objects, 'PodDisruptionBudget').length, 1);
  });

  it('materializes incrementally up to the run time on a schedule, one run at a time', async () => {
    const objects = await synthValid(store({
      materialization: { schedule: Cron.schedule({ minute: '*/15' }), timeZone: 'Europe/Berlin', featureViews: ['customer_statistics'], backoffLimit: 1 },
    }).chart);
    const cron = findObject(objects, 'CronJob', 'features-materialize');
    assert.equal(cron.spec.schedule, '*/15 * * * *');
    assert.equal(cron.spec.timeZone, 'Europe/Berlin');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    assert.equal(cron.spec.startingDeadlineSeconds, 7 * 60, 'half an interval');
    assert.equal(cron.spec.jobTemplate.spec.backoffLimit, 1);
    const c = cron.spec.jobTemplate.spec.template.spec.containers[0];
    assert.deepEqual(c.command, ['/bin/sh', '-c', 'exec feast materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)" --views customer_statistics']);
    assert.equal(c.workingDir, '/feast/repo');
    assert.equal(cron.spec.jobTemplate.spec.template.spec.serviceAccountName, 'features-materialize');
    assert.equal(cron.spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot, true);
  });

  it('runs the in-cluster Redis as a StatefulSet with a PVC, reachable only from the feature store pods', async () => {
    const objects = await synthValid(store({ onlineStore: OnlineStore.inClusterRedis({ storage: Size.gibibytes(5), storageClassName: 'gp3' }) }).chart);
    const sts = findObject(objects, 'StatefulSet', 'features-redis');
    assert.equal(sts.spec.replicas, 1);
    assert.equal(sts.spec.serviceName, 'features-redis');
    assert.deepEqual(sts.spec.volumeClaimTemplates[0].spec, { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '5120Mi' } } });
    const c = sts.spec.template.spec.containers[0];
    assert.equal(c.image, 'redis:7.4.2-alpine');
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(sts.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.deepEqual(c.volumeMounts, [{ name: 'data', mountPath: '/data' }]);
    assert.equal(findObject(objects, 'Service', 'features-redis').spec.clusterIP, 'None');
    const np = findObject(objects, 'NetworkPolicy', 'features-redis');
    assert.deepEqual(np.spec.ingress[0].from[0].podSelector.matchExpressions[0].values, ['feature-server', 'feature-apply', 'feature-materialization']);
    assert.deepEqual(np.spec.egress, []);
  });

  it('takes the Redis password by reference only: an ExternalSecret for Secrets Manager, a secretKeyRef in every pod', async () => {
    const { chart } = store({ preset: CostPreset.PRODUCTION, aws: REDIS_BINDING, offlineStore: undefined, registry: undefined });
    const objects = await synthValid(chart);
    const es = findObject(objects, 'ExternalSecret', 'features-online-store');
    assert.deepEqual(es.spec.data, [{ secretKey: 'password', remoteRef: { key: 'features-redis-auth-1a2b3c' } }]);
    assert.deepEqual(es.spec.secretStoreRef, { name: 'aws-secrets-manager', kind: 'ClusterSecretStore' });
    const pods = [
      findObject(objects, 'Deployment', 'features').spec.template.spec,
      objectsOfKind(objects, 'Job')[0].spec.template.spec,
      findObject(objects, 'CronJob', 'features-materialize').spec.jobTemplate.spec.template.spec,
    ];
    for (const pod of pods) {
      const password = pod.containers[0].env.find((e: any) => e.name === 'FEAST_REDIS_PASSWORD');
      assert.deepEqual(password, { name: 'FEAST_REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'features-online-store', key: 'password' } } });
    }
    assert.equal(objectsOfKind(objects, 'Secret').length, 0, 'no Secret object is rendered');
  });

  it('uses an existing Kubernetes Secret for the Redis password', async () => {
    const objects = await synthValid(store({ onlineStore: OnlineStore.redis({ host: 'redis.data.svc', ssl: false, password: EnvSource.fromSecret('redis-auth', 'password') }) }).chart);
    assert.equal(objectsOfKind(objects, 'ExternalSecret').length, 0);
    const env = findObject(objects, 'Deployment', 'features').spec.template.spec.containers[0].env;
    assert.deepEqual(env.find((e: any) => e.name === 'FEAST_REDIS_PASSWORD').valueFrom, { secretKeyRef: { name: 'redis-auth', key: 'password' } });
    assert.equal(configOf(objects).online_store.connection_string, 'redis.data.svc:6379,password=${FEAST_REDIS_PASSWORD}');
  });

  it('annotates both ServiceAccounts with their IRSA roles and sets the region from the AWS binding', async () => {
    const objects = await synthValid(store({ preset: CostPreset.PRODUCTION, aws: DYNAMO_BINDING, offlineStore: undefined, registry: undefined }).chart);
    assert.equal(findObject(objects, 'ServiceAccount', 'features').metadata.annotations['eks.amazonaws.com/role-arn'], DYNAMO_BINDING.serverRoleArn);
    assert.equal(findObject(objects, 'ServiceAccount', 'features-materialize').metadata.annotations['eks.amazonaws.com/role-arn'], DYNAMO_BINDING.materializationRoleArn);
    const env = findObject(objects, 'Deployment', 'features').spec.template.spec.containers[0].env;
    assert.deepEqual(env.find((e: any) => e.name === 'AWS_REGION'), { name: 'AWS_REGION', value: 'eu-west-1' });
    assert.equal(configOf(objects).online_store.table_name_template, 'features-aws.{project}.{table_name}');
  });

  it('admits the server port from its own jobs and connected models only (not the namespace), metrics from monitoring; egress DNS, the online store and HTTPS only', async () => {
    const { chart, features } = store({ onlineStore: OnlineStore.redis({ host: 'redis.example.com', port: 6380, egressCidr: '10.0.0.0/16' }) });
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
    features.connect(model);
    const objects = await synthValid(chart);
    const np = findObject(objects, 'NetworkPolicy', 'features');
    const jobsSelector = {
      matchLabels: { 'app.kubernetes.io/name': 'features', 'app.kubernetes.io/instance': 'features' },
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['feature-apply', 'feature-materialization'] }],
    };
    assert.deepEqual(np.spec.ingress, [
      { from: [{ podSelector: jobsSelector }], ports: [{ protocol: 'TCP', port: 6566 }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }], ports: [{ protocol: 'TCP', port: 8000 }] },
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'churn-model', 'app.kubernetes.io/instance': 'churn-model' } } }], ports: [{ protocol: 'TCP', port: 6566 }] },
    ]);
    assert.deepEqual(np.spec.egress.slice(1), [
      { to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 6380 }] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] }, // the API server: TokenReviews
    ]);
    const jobs = findObject(objects, 'NetworkPolicy', 'features-jobs');
    assert.deepEqual(jobs.spec.ingress, [], 'nothing may connect to the jobs');
    assert.deepEqual(jobs.spec.egress, np.spec.egress.slice(0, -1), 'the jobs call no API server');

    const narrowed = await synthValid(store({ network: { awsCidrs: ['10.1.0.0/24', '10.1.1.0/24'], apiServerCidrs: ['10.0.5.0/28'] } }).chart);
    assert.deepEqual(findObject(narrowed, 'NetworkPolicy', 'features').spec.egress.slice(-2), [
      { to: [{ ipBlock: { cidr: '10.1.0.0/24' } }, { ipBlock: { cidr: '10.1.1.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ ipBlock: { cidr: '10.0.5.0/28' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
    ]);
    assertValidationError(() => store({ network: { awsCidrs: ['10.1.0.0'] } }), 'test/features', "'network.awsCidrs[0].cidr'", 'CIDR');
  });

  describe('connect()', () => {
    it('gives a model service the feature server URL, project and feature service, and an egress rule to the server pods', async () => {
      const { chart, features } = store();
      const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
      features.connect(model, { featureService: 'churn_v1' });
      const objects = await synthValid(chart);
      const env = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0].env;
      const value = (name: string) => env.find((e: any) => e.name === name)?.value;
      assert.equal(value('FEAST_FEATURE_SERVER_URL'), 'http://features.ml-churn.svc.cluster.local:80');
      assert.equal(value('FEAST_PROJECT'), 'churn');
      assert.equal(value('FEAST_FEATURE_SERVICE'), 'churn_v1');
      const np = findObject(objects, 'NetworkPolicy', 'churn-model');
      assert.deepEqual(np.spec.egress.at(-1), {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'features', 'app.kubernetes.io/instance': 'features', 'app.kubernetes.io/component': 'feature-server' } } }],
        ports: [{ protocol: 'TCP', port: 6566 }],
      });
      assert.equal(np.spec.egress.length, 2, 'DNS and the feature server');
    });

    it('opens both network policies across namespaces', async () => {
      const app = Testing.app();
      const featureChart = new Chart(app, 'features-chart', { namespace: 'ml-features' });
      const modelChart = new Chart(app, 'models', { namespace: 'ml-models' });
      const features = new FeatureStore(featureChart, 'features', {
        features: CHURN_FEATURES, preset: CostPreset.DEV, ...STORES, serverAuth: { clientNamespaces: ['ml-models', 'ml-features'] },
      });
      const model = new ModelService(modelChart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
      features.connect(model);
      const objects = await synthValid(featureChart); // every chart of the app
      const egress = findObject(objects, 'NetworkPolicy', 'churn-model').spec.egress.at(-1);
      assert.deepEqual(egress.to[0].namespaceSelector, { matchLabels: { 'kubernetes.io/metadata.name': 'ml-features' } });
      const ingress = findObject(objects, 'NetworkPolicy', 'features').spec.ingress.at(-1);
      assert.deepEqual(ingress, {
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ml-models' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'churn-model', 'app.kubernetes.io/instance': 'churn-model' } },
        }],
        ports: [{ protocol: 'TCP', port: 6566 }],
      });
      const url = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0].env.find((e: any) => e.name === 'FEAST_FEATURE_SERVER_URL');
      assert.equal(url.value, 'http://features.ml-features.svc.cluster.local:80');
    });

    it('rejects a second connection of the same model and an unknown feature service', () => {
      const { chart, features } = store();
      const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
      assert.throws(() => features.connect(model, { featureService: 'fraud_v1' }),
        /test\/features: invalid 'connect.featureService' \("fraud_v1"\): names no feature service of the repository \(feature services: churn_v1\)/);
      features.connect(model);
      assert.throws(() => features.connect(model), /invalid 'connect' \("churn-model"\): this model service is already connected/);
    });
  });

  describe('server authentication', () => {
    it('authenticates callers by their ServiceAccount token, reviewed by the API server, and lets only client namespaces read', async () => {
      const { chart, features } = store();
      const objects = await synthValid(chart);
      assert.deepEqual(features.featureStoreConfig.auth, FEAST_AUTH);
      assert.deepEqual(features.clientNamespaces, ['ml-churn']);
      const role = findObject(objects, 'ClusterRole', 'ml-churn-features-feast-tokenreview');
      assert.deepEqual(role.rules, [{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }], 'nothing but TokenReviews');
      const binding = findObject(objects, 'ClusterRoleBinding', 'ml-churn-features-feast-tokenreview');
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'features', namespace: 'ml-churn' }]);
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ml-churn-features-feast-tokenreview' });
      assert.equal(findObject(objects, 'ServiceAccount', 'features').automountServiceAccountToken, true);
      assert.equal(findObject(objects, 'ServiceAccount', 'features-materialize').automountServiceAccountToken, false, 'the jobs call no API server');
      assert.equal(findObject(objects, 'CronJob', 'features-materialize').spec.jobTemplate.spec.template.spec.automountServiceAccountToken, false);
      // Feast enforces registered permissions: reads (describe, online) for the client namespaces; writes match none and are denied.
      assert.ok(features.repositoryPython.endsWith([
        'permission_readers = Permission(',
        '    name="features-readers",',
        '    types=ALL_RESOURCE_TYPES,',
        '    actions=[AuthzedAction.DESCRIBE, AuthzedAction.READ_ONLINE],',
        '    policy=NamespaceBasedPolicy(namespaces=["ml-churn"]),',
        ')\n',
      ].join('\n')), features.repositoryPython);
      const wide = store({ serverAuth: { clientNamespaces: ['ml-teams-b', 'ml-teams-a', 'ml-teams-b'] } }).features;
      assert.deepEqual(wide.clientNamespaces, ['ml-teams-a', 'ml-teams-b'], 'sorted and deduplicated: deterministic');
      assert.match(wide.repositoryPython, /NamespaceBasedPolicy\(namespaces=\["ml-teams-a", "ml-teams-b"\]\)/);
    });

    it('gives a connected model a projected token of its own ServiceAccount where the Feast client reads it', async () => {
      const { chart, features } = store();
      const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
      features.connect(model);
      const objects = await synthValid(chart);
      const pod = findObject(objects, 'Deployment', 'churn-model').spec.template.spec;
      assert.deepEqual(pod.volumes.find((vol: any) => vol.name === 'feature-server-token'), {
        name: 'feature-server-token',
        projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
      });
      assert.deepEqual(pod.containers[0].volumeMounts.find((m: any) => m.name === 'feature-server-token'),
        { name: 'feature-server-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
      assert.equal(pod.automountServiceAccountToken, false, 'no automounted token: only the projected one');
      assert.equal(findObject(objects, 'ServiceAccount', 'churn-model').automountServiceAccountToken, false);
    });

    it('refuses a model outside the client namespaces, empty or invalid client namespaces, and serverAuth in operator mode', () => {
      const app = Testing.app();
      const features = new FeatureStore(new Chart(app, 'features-chart', { namespace: 'ml-features' }), 'features', { features: CHURN_FEATURES, preset: CostPreset.DEV, ...STORES });
      const model = new ModelService(new Chart(app, 'models', { namespace: 'ml-models' }), 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
      assertValidationError(() => features.connect(model), 'features-chart/features', "'connect' (\"churn-model\")",
        "is in namespace 'ml-models', whose ServiceAccounts may not read from the feature server: add it to 'serverAuth.clientNamespaces' (ml-features)");
      assertInvalid({ serverAuth: { clientNamespaces: [] } }, "'serverAuth.clientNamespaces' ([])", 'at least one namespace');
      assertInvalid({ serverAuth: { clientNamespaces: ['ML_Models'] } }, "'serverAuth.clientNamespaces[0]' (\"ML_Models\")");
      const operator = { projectDir: FeastProjectDir.git({ url: 'https://github.com/acme/features.git', ref: 'v1' }) };
      assertInvalid({ mode: FeatureStoreMode.OPERATOR, operator, serverAuth: {} }, "'serverAuth' ({})", 'has no effect in operator mode');
    });

    it('serves unauthenticated with serverAuth: false (no auth section, permission, RBAC or token)', async () => {
      const { chart, features } = store({ serverAuth: false });
      const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
      features.connect(model);
      const objects = await synthValid(chart);
      assert.equal(features.clientNamespaces, undefined);
      assert.equal(configOf(objects).auth, undefined);
      assert.doesNotMatch(features.repositoryPython, /Permission/);
      assert.deepEqual(objectsOfKind(objects, 'ClusterRole'), []);
      assert.equal(findObject(objects, 'Deployment', 'features').spec.template.spec.automountServiceAccountToken, false);
      assert.equal(findObject(objects, 'NetworkPolicy', 'features').spec.egress.length, 3, 'DNS, Redis and AWS: no API server');
      assert.equal(findObject(objects, 'Deployment', 'churn-model').spec.template.spec.volumes.some((vol: any) => vol.name === 'feature-server-token'), false);
    });
  });

  describe('monitoring', () => {
    it('alerts when materialization has not succeeded for N times its schedule, and on feature server errors, with runbook links', async () => {
      const { chart, features } = store({ materialization: { schedule: Cron.schedule({ minute: '*/15' }), staleAfterIntervals: 3 }, monitoring: { runbookBaseUrl: 'https://runbooks.example.com/ml/', serverErrorRate: 0.05 } });
      const objects = await synthValid(chart);
      const rule = findObject(objects, 'PrometheusRule', 'features');
      assert.equal(rule.metadata.labels.release, 'kube-prometheus-stack');
      const rules = rule.spec.groups[0].rules as any[];
      assert.deepEqual(rules.map((r) => r.alert), ['FeatureMaterializationStale', 'FeatureServerHighErrorRate']);
      const stale = rules[0];
      const sel = '{cronjob="features-materialize",namespace="ml-churn"}';
      assert.equal(stale.expr, `((time() - max(kube_cronjob_status_last_successful_time${sel})) > 2700)`
        + ` or ((time() - max(kube_cronjob_created${sel})) > 2700 unless max(kube_cronjob_status_last_successful_time${sel}))`);
      assert.equal(stale.labels.severity, 'critical');
      assert.equal(stale.annotations.runbook_url, 'https://runbooks.example.com/ml/ml-churn-features-feature-materialization-stale.md');
      const errors = rules[1];
      assert.equal(errors.expr, '(sum(rate(feast_feature_server_request_total{namespace="ml-churn",service="features",status=~"error|5.."}[5m]))'
        + ' / sum(rate(feast_feature_server_request_total{namespace="ml-churn",service="features"}[5m]))) > 0.05');
      assert.equal(errors.annotations.runbook_url, 'https://runbooks.example.com/ml/ml-churn-features-feature-server-high-error-rate.md');
      assert.equal(features.materializationIntervalMinutes, 15);
      const sm = findObject(objects, 'ServiceMonitor', 'features');
      assert.deepEqual(sm.spec.endpoints, [{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    });

    it('uses the longest interval of an irregular schedule and renders nothing when disabled', async () => {
      const weekdays = store({ materialization: { schedule: Cron.schedule({ minute: '0', hour: '6', weekDay: '1-5' }) } }).features;
      assert.equal(weekdays.materializationIntervalMinutes, 3 * 24 * 60, 'Friday 06:00 to Monday 06:00');
      assert.equal(weekdays.alerts[0].expr.includes(`> ${2 * 3 * 86400})`), true);
      const objects = await synthValid(store({ monitoring: { enabled: false } }).chart);
      assert.equal(objectsOfKind(objects, 'PrometheusRule').length + objectsOfKind(objects, 'ServiceMonitor').length, 0);
    });
  });

  describe('validation', () => {
    it('rejects a bad name, project and image', () => {
      assertInvalid({ name: 'a-feature-store-name-that-is-far-too-long-x' }, "'name'", 'at most 40 characters');
      assertInvalid({ project: 'Churn-Project' }, "'project' (\"Churn-Project\")", 'Feast project name');
      assertInvalid({ image: 'feastdev/feature-server:latest' }, "'image'", 'pinned');
    });

    it('requires an online store outside DEV, and an offline store and a registry without AWS values', () => {
      assertInvalid({ preset: CostPreset.PRODUCTION }, "'onlineStore' (unset)", "only 'dev' defaults to an in-cluster Redis");
      assertInvalid({ offlineStore: undefined }, "'offlineStore' (unset)", "is required without 'aws'");
      assertInvalid({ registry: undefined }, "'registry' (unset)", "is required without 'aws'");
    });

    it('rejects batch sources the offline store cannot read', () => {
      assertInvalid({ offlineStore: OfflineStore.athena({ region: 'eu-west-1', database: 'f', s3StagingLocation: 's3://athena-results/x/' }) },
        "'features.featureViews[0].source' (\"customer_stats\")", "is a file source but the offline store is 'athena'");
    });

    it('rejects invalid store settings', () => {
      assertInvalid({ registry: { path: '/var/feast/registry.db' } }, "'registry.path'", 's3://bucket/key');
      assertInvalid({ offlineStore: OfflineStore.file({ baseUri: 'https://bucket/x' }) }, "'offlineStore.baseUri'", 's3://bucket/prefix/');
      assertInvalid({ onlineStore: OnlineStore.dynamoDb({ region: 'Ireland' }) }, "'onlineStore.region' (\"Ireland\")", 'AWS region');
      assertInvalid({ onlineStore: OnlineStore.redis({ host: 'r.example.com', password: EnvSource.fromValue('hunter2') }) }, "'onlineStore.password' (\"<redacted>\")", 'never a plain value');
      assertInvalid({ onlineStore: OnlineStore.redis({ host: 'r.example.com', egressCidr: 'everywhere' }) }, "'onlineStore.egressCidr'", 'CIDR');
      assertInvalid({ onlineStore: OnlineStore.inClusterRedis({ image: 'redis:latest' }) }, "'onlineStore.image'", 'pinned');
      assertInvalid({
        features: withSources(redshift),
        offlineStore: OfflineStore.redshift({ region: 'eu-west-1', database: 'dev', s3StagingLocation: 's3://unload/x/', iamRole: 'arn:aws:iam::123456789012:role/r', clusterId: 'c1' }),
      }, "'offlineStore' (\"redshift\")", "'clusterId' and 'user'");
    });

    it('rejects an invalid materialization schedule, time zone and feature view', () => {
      assertInvalid({ materialization: { schedule: Cron.schedule({ minute: '61' }) } }, "'materialization.schedule' (\"61 * * * *\")", "minute field '61': '61' is not a value, range or step: values must be from 0 to 59");
      assertInvalid({ materialization: { timeZone: 'Mars/Olympus' } }, "'materialization.timeZone'", 'IANA time zone');
      assertInvalid({ materialization: { featureViews: ['customer_lifetime'] } }, "'materialization.featureViews[0]' (\"customer_lifetime\")", 'names no online feature view');
      assertInvalid({ materialization: { staleAfterIntervals: 0 } }, "'materialization.staleAfterIntervals' (0)", 'from 1 to 100');
      const offlineOnly: FeatureDefinitions = { ...CHURN_FEATURES, featureViews: CHURN_FEATURES.featureViews.map((fv) => ({ ...fv, online: false })), featureServices: [] };
      assertInvalid({ features: offlineOnly }, "'features.featureViews'", 'at least one online feature view');
    });

    it('rejects inconsistent server scaling and resources', () => {
      assertInvalid({ server: { minReplicas: 5, maxReplicas: 2 } }, "'server.minReplicas' (5)", "must be <= 'server.maxReplicas' (2)");
      assertInvalid({ server: { resources: { cpu: { request: Cpu.millis(500), limit: Cpu.millis(100) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) } } } },
        "'server.resources.cpu.limit' (\"100m\")", "must be >= 'server.resources.cpu.request' (500m)");
      assertInvalid({ server: { cpuUtilization: 0 } }, "'server.cpuUtilization' (0)", 'from 1 to 100');
    });

    it('rejects operator settings outside operator mode, and operator mode without them', () => {
      assertInvalid({ operator: { projectDir: FeastProjectDir.git({ url: 'https://github.com/acme/features.git', ref: 'v1' }) } }, "'operator' (\"set\")",
        "has no effect unless 'mode' is FeatureStoreMode.OPERATOR");
      assertInvalid({ mode: FeatureStoreMode.OPERATOR }, "'operator' (unset)", 'is required in operator mode');
      const operator = { projectDir: FeastProjectDir.git({ url: 'https://github.com/acme/features.git', ref: 'v1' }) };
      assertInvalid({ mode: FeatureStoreMode.OPERATOR, operator, allowFrom: [{ namespace: 'ml-models' }] }, "'allowFrom'", 'has no effect in operator mode');
      assertInvalid({ mode: FeatureStoreMode.OPERATOR, operator, monitoring: { namespace: 'prometheus' } }, "'monitoring.namespace' (\"prometheus\")", 'has no effect in operator mode');
      assertInvalid({ mode: FeatureStoreMode.OPERATOR, operator: { projectDir: FeastProjectDir.git({ url: 'github.com/acme/features', ref: 'v1' }) } },
        "'operator.projectDir.url'", 'https://, ssh:// or git@');
      assertInvalid({ mode: FeatureStoreMode.OPERATOR, operator: { projectDir: FeastProjectDir.packaged({ featureRepoPath: 'feature_repo' }) } },
        "'operator.projectDir.featureRepoPath'", 'absolute path');
      assertInvalid({
        mode: FeatureStoreMode.OPERATOR,
        operator: { projectDir: FeastProjectDir.packaged({ featureRepoPath: '/app/feature_repo' }) },
        onlineStore: OnlineStore.redis({ host: 'r.example.com', password: EnvSource.fromSecret('redis-auth', 'password') }),
      }, "'onlineStore.password'", 'must be EnvSource.fromAwsSecretsManager in operator mode');
    });
  });
});

describe('FeatureStore (Feast operator mode)', () => {
  const git = FeastProjectDir.git({ url: 'https://github.com/acme/feature-repo.git', ref: '4f2a9c1', featureRepoPath: 'churn' });

  it('makes the operator FeatureStore object the default child', () => {
    const { features } = store({ mode: FeatureStoreMode.OPERATOR, operator: { projectDir: git } });
    assert.ok(features.featureStoreResource);
    assert.equal(features.node.defaultChild, features.featureStoreResource);
  });

  it('exposes the project directory as a typed variant', () => {
    const packaged = FeastProjectDir.packaged({ featureRepoPath: '/app/repo' });
    assert.equal(git.kind, 'git');
    assert.equal(git.spec.kind === 'git' ? git.spec.options.ref : undefined, '4f2a9c1');
    assert.equal(packaged.kind, 'packaged');
    assert.deepEqual(packaged.options, { featureRepoPath: '/app/repo' });
  });

  it('renders a feast.dev/v1 FeatureStore valid against the CRD schema, with the same stores, scaling and cron materialization', async () => {
    const { chart } = store({
      mode: FeatureStoreMode.OPERATOR, operator: { projectDir: git }, preset: CostPreset.PRODUCTION, aws: DYNAMO_BINDING, offlineStore: undefined, registry: undefined,
      materialization: { schedule: Cron.schedule({ minute: '30', hour: '*/6' }) },
    });
    const objects = await synthValid(chart, UNVALIDATED);
    assert.deepEqual(inventory(objects), [
      'FeatureStore/features',
      'PrometheusRule/features',
      'Secret/features-online-store',
      'ServiceAccount/feast-features',
      'ServiceMonitor/features',
    ]);
    const cr = onlyFeatureStore(objects);
    assertMatchesCrd(cr as never);
    const spec = cr.spec;
    assert.equal(spec.feastProject, 'churn');
    assert.deepEqual(spec.feastProjectDir, { git: { url: 'https://github.com/acme/feature-repo.git', ref: '4f2a9c1', featureRepoPath: 'churn' } });
    assert.deepEqual(spec.services.onlineStore.persistence, { store: { type: 'dynamodb', secretRef: { name: 'features-online-store' } } });
    assert.deepEqual(spec.services.registry, { local: { persistence: { file: { path: 's3://churn-features-abc123/registry/registry.db', cache_ttl_seconds: 60 } } } });
    assert.equal(spec.services.offlineStore, undefined, 'Parquet on S3 is read by the default file offline store');
    // Quantities and int-or-string values go through wrapper classes: make sure none was dropped.
    assert.deepEqual(spec.services.onlineStore.server.resources, { requests: { cpu: '1000m', memory: '2048Mi' }, limits: { cpu: '2000m', memory: '4096Mi' } });
    assert.deepEqual(spec.services.podDisruptionBudgets, { maxUnavailable: 1 });
    assert.deepEqual(spec.services.scaling.autoscaling, {
      minReplicas: 3, maxReplicas: 20, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    assert.equal(spec.replicas, undefined);
    assert.equal(spec.services.onlineStore.server.metrics, true);
    assert.deepEqual(spec.services.onlineStore.server.env, [{ name: 'AWS_DEFAULT_REGION', value: 'eu-west-1' }, { name: 'AWS_REGION', value: 'eu-west-1' }]);
    assert.deepEqual(spec.services.securityContext, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(spec.cronJob, {
      schedule: '30 */6 * * *',
      timeZone: 'UTC',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobSpec: { backoffLimit: 2, activeDeadlineSeconds: 3600 },
      containerConfigs: {
        commands: ["feast materialize-incremental $(date -u +'%Y-%m-%dT%H:%M:%S')"],
        resources: { requests: { cpu: '500m', memory: '1024Mi' }, limits: { cpu: '2000m', memory: '4096Mi' } },
      },
    });
    // The CRD's CEL rules the object must meet (not checked by the JSON schema validation).
    assert.ok(!(spec.replicas > 1 && spec.services.scaling), 'replicas > 1 and autoscaling are mutually exclusive');
    assert.ok(spec.services.onlineStore.persistence.store, 'scaling needs DB-backed online store persistence');
    assert.ok(spec.services.registry.local.persistence.file.path.startsWith('s3://'), 'scaling needs an S3-backed registry');
    assert.equal(Object.keys(spec.services.onlineStore.persistence).length, 1, 'exactly one of file and store');
  });

  it('passes the store parameters in the operator format, with no credentials, and the IRSA role on the operator ServiceAccount', async () => {
    const objects = await synthValid(store({
      mode: FeatureStoreMode.OPERATOR, operator: { projectDir: git }, preset: CostPreset.PRODUCTION, aws: DYNAMO_BINDING, offlineStore: undefined, registry: undefined,
    }).chart, UNVALIDATED);
    const secret = findObject(objects, 'Secret', 'features-online-store');
    assert.deepEqual(parse(secret.stringData.dynamodb as string), { region: 'eu-west-1', table_name_template: 'features-aws.{project}.{table_name}', consistent_reads: false });
    const sa = findObject(objects, 'ServiceAccount', 'feast-features');
    assert.equal(sa.metadata.annotations['eks.amazonaws.com/role-arn'], DYNAMO_BINDING.serverRoleArn);
  });

  it('renders the ElastiCache connection string only inside an ExternalSecret template', async () => {
    const objects = await synthValid(store({
      mode: FeatureStoreMode.OPERATOR, operator: { projectDir: git }, preset: CostPreset.PRODUCTION, aws: REDIS_BINDING, offlineStore: undefined, registry: undefined,
    }).chart, UNVALIDATED);
    assert.equal(objectsOfKind(objects, 'Secret').length, 0);
    const es = findObject(objects, 'ExternalSecret', 'features-online-store');
    assert.equal(es.spec.target.template.engineVersion, 'v2');
    assert.deepEqual(parse(es.spec.target.template.data.redis as string), {
      redis_type: 'redis',
      connection_string: 'master.features-redis.abc123.euw1.cache.amazonaws.com:6379,ssl=true,password={{ .password }}',
    });
    assert.deepEqual(es.spec.data, [{ secretKey: 'password', remoteRef: { key: 'features-redis-auth-1a2b3c' } }]);
    const cr = onlyFeatureStore(objects);
    assertMatchesCrd(cr as never);
    assert.deepEqual(cr.spec.services.onlineStore.persistence.store, { type: 'redis', secretRef: { name: 'features-online-store' } });
  });

  it('declares a warehouse offline store, a packaged repository and a fixed replica count', async () => {
    const features = withSources(redshift);
    const objects = await synthValid(store({
      mode: FeatureStoreMode.OPERATOR,
      operator: { projectDir: FeastProjectDir.packaged({ featureRepoPath: '/app/feature_repo', image: 'registry.example.com/churn-features:1.4.0' }) },
      features,
      server: { minReplicas: 1, maxReplicas: 1 },
      offlineStore: OfflineStore.redshift({
        region: 'eu-west-1', database: 'dev', clusterId: 'warehouse', user: 'feast', s3StagingLocation: 's3://unload/feast/', iamRole: 'arn:aws:iam::123456789012:role/redshift-s3',
      }),
    }).chart, UNVALIDATED);
    const cr = onlyFeatureStore(objects);
    assertMatchesCrd(cr as never);
    assert.deepEqual(cr.spec.feastProjectDir, { packaged: { featureRepoPath: '/app/feature_repo', image: 'registry.example.com/churn-features:1.4.0' } });
    assert.equal(cr.spec.replicas, 1);
    assert.equal(cr.spec.services.scaling, undefined);
    assert.equal(cr.spec.services.podDisruptionBudgets, undefined);
    assert.deepEqual(cr.spec.services.offlineStore, { persistence: { store: { type: 'redshift', secretRef: { name: 'features-offline-store' } } } });
    const secret = findObject(objects, 'Secret', 'features-offline-store');
    assert.deepEqual(parse(secret.stringData.redshift as string), {
      region: 'eu-west-1', database: 'dev', s3_staging_location: 's3://unload/feast/', iam_role: 'arn:aws:iam::123456789012:role/redshift-s3', cluster_id: 'warehouse', user: 'feast',
    });
    // The in-cluster Redis of DEV is reachable from the operator's pods.
    const redis = findObject(objects, 'NetworkPolicy', 'features-redis');
    assert.deepEqual(redis.spec.ingress[0].from, [{ podSelector: { matchLabels: { 'feast.dev/name': 'features' } } }]);
    assert.deepEqual(parse(findObject(objects, 'Secret', 'features-online-store').stringData.redis as string),
      { redis_type: 'redis', connection_string: 'features-redis.ml-churn.svc.cluster.local:6379' });
  });

  it('monitors the operator\'s online Service and CronJob and connects models to its pods', async () => {
    const { chart, features } = store({ mode: FeatureStoreMode.OPERATOR, operator: { projectDir: git } });
    const model = new ModelService(chart, 'churn-model', { image: IMAGE, version: VERSION, modelCard: CARD, preset: CostPreset.DEV });
    features.connect(model);
    const objects = await synthValid(chart, UNVALIDATED);
    assert.deepEqual(findObject(objects, 'ServiceMonitor', 'features').spec.selector.matchLabels, { 'feast.dev/name': 'features', 'feast.dev/service-type': 'online' });
    const rules = findObject(objects, 'PrometheusRule', 'features').spec.groups[0].rules;
    assert.match(rules[0].expr, /cronjob="feast-features"/);
    assert.match(rules[1].expr, /service="feast-features-online"/);
    const env = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0].env;
    assert.equal(env.find((e: any) => e.name === 'FEAST_FEATURE_SERVER_URL').value, 'http://feast-features-online.ml-churn.svc.cluster.local:80');
    assert.deepEqual(findObject(objects, 'NetworkPolicy', 'churn-model').spec.egress.at(-1).to, [{ podSelector: { matchLabels: { 'feast.dev/name': 'features' } } }]);
    assert.equal(objectsOfKind(objects, 'Deployment').length, 1, 'the operator renders the feature server, not the chart');
  });
});

describe('the churn features example platform', () => {
  it('synthesizes the feature store and the connected model into one schema-valid manifest file', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'churn-features-'));
    try {
      const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.k8s.yaml' });
      new ChurnFeaturesChart(app);
      app.synth();
      assert.deepEqual(readdirSync(outdir), ['churn-features.k8s.yaml']);
      const objects = parseAllDocuments(readFileSync(join(outdir, 'churn-features.k8s.yaml'), 'utf8')).map((d) => d.toJS() as ManifestObject);
      await validateManifests(objects);
      assert.ok(objects.some((o) => o.kind === 'CronJob') && objects.some((o) => o.kind === 'StatefulSet'), 'the feature store objects');
      const env = findObject(objects, 'Deployment', 'churn-model').spec.template.spec.containers[0].env;
      assert.equal(env.find((e: any) => e.name === 'FEAST_FEATURE_SERVICE').value, 'churn_v1');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

/** CHURN_FEATURES with every source replaced by a warehouse source of the same name (one object per name, as views share sources). */
function withSources(make: (name: string) => BatchSource): FeatureDefinitions {
  const sources = new Map<string, BatchSource>();
  const of = (name: string) => sources.get(name) ?? sources.set(name, make(name)).get(name)!;
  return { ...CHURN_FEATURES, featureViews: CHURN_FEATURES.featureViews.map((fv) => ({ ...fv, source: of(fv.source.name) })) };
}

const athena = (name: string) => BatchSource.athena({ name, table: name, database: 'features', timestampField: 'event_timestamp' });
const redshift = (name: string) => BatchSource.redshift({ name, table: name, timestampField: 'event_timestamp' });
