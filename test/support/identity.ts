// Which rendered workloads call AWS, and whether their ServiceAccount says how they get credentials.
const IRSA = 'eks.amazonaws.com/role-arn';
const DECLARED = 'ml-platform-constructs.dev/aws-identity';
/** What in a pod (or a ConfigMap it mounts) shows that it calls AWS: S3 URIs, DynamoDB, Redshift, Athena, Secrets Manager. */
const CALLS_AWS = /s3:\/\/|"?type"?:\s*"?(dynamodb|redshift|athena)|secretsmanager/i;

type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

/** The pod spec of a workload object, if it has one. */
function podSpec(o: Obj): any {
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  if (['Deployment', 'StatefulSet', 'Job', 'Rollout', 'DaemonSet'].includes(o.kind)) return o.spec?.template?.spec;
  return undefined;
}

/**
 * Workloads (`Kind/namespace/name -> ServiceAccount`) whose pods call AWS but
 * whose ServiceAccount has neither an IRSA role annotation nor a declared
 * identity (`pod-identity` / `external`). A Feast operator FeatureStore runs
 * as `feast-<name>`. Every object passed must be namespaced as applied.
 */
export function workloadsWithoutAwsIdentity(manifests: readonly object[]): string[] {
  const objects = manifests as readonly Obj[];
  const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [key(o.metadata.namespace, o.metadata.name), JSON.stringify(o.data ?? {})]));
  const accounts = new Map(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => [key(o.metadata.namespace, o.metadata.name), o.metadata.annotations ?? {}]));
  const missing: string[] = [];
  for (const o of objects) {
    const ns = o.metadata.namespace;
    let text: string;
    let account: string;
    const spec = podSpec(o);
    if (spec) {
      const mounted = (spec.volumes ?? []).flatMap((v: any) => (v.configMap ? [configMaps.get(key(ns, v.configMap.name)) ?? ''] : []));
      text = JSON.stringify(spec) + mounted.join('');
      account = spec.serviceAccountName ?? 'default';
    } else if (o.kind === 'FeatureStore') {
      text = JSON.stringify(o.spec);
      account = `feast-${o.metadata.name}`;
    } else {
      continue;
    }
    if (!CALLS_AWS.test(text)) continue;
    const annotations = accounts.get(key(ns, account));
    if (!annotations || (annotations[IRSA] === undefined && annotations[DECLARED] === undefined)) {
      missing.push(`${o.kind}/${ns ?? ''}/${o.metadata.name} -> ${account}`);
    }
  }
  return missing;
}
