/**
 * The JSON patches the library applies to its own objects, one function per
 * field that cdk8s and cdk8s-plus-28 have no API for. Everything else is set
 * through props or cdk8s-plus APIs; user patches still apply after these.
 */
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/**
 * Makes objects cluster-scoped (Namespaces, NodePools, cluster RBAC): cdk8s
 * stamps a namespaced chart's namespace on every object and has no API to
 * leave one object without it (`metadata.namespace: undefined` falls back to
 * the chart's), so the stamped field is removed.
 */
export function clusterScoped(...objects: readonly ApiObject[]): void {
  for (const o of objects) {
    if (Chart.of(o).namespace) {
      o.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }
}

/**
 * Requests and limits an extended resource (for example `nvidia.com/gpu`) on
 * the first container of the pod spec at `podSpecPath`: cdk8s-plus's
 * resource props know only CPU, memory and ephemeral storage.
 */
export function addExtendedResource(apiObject: ApiObject, podSpecPath: string, resourceName: string, count: number): void {
  const escaped = resourceName.replace(/~/g, '~0').replace(/\//g, '~1');
  // The generated L1 classes map resource quantities through `Quantity.value`
  // after patches are applied, so the patch carries a Quantity.
  const quantity = kplus.k8s.Quantity.fromNumber(count);
  apiObject.addJsonPatch(JsonPatch.add(`${podSpecPath}/containers/0/resources/limits/${escaped}`, quantity));
  apiObject.addJsonPatch(JsonPatch.add(`${podSpecPath}/containers/0/resources/requests/${escaped}`, quantity));
}

/** Sets `nodeSelector` on the pod spec at `podSpecPath`: cdk8s-plus's `scheduling.attract` renders node affinity instead. */
export function addNodeSelector(apiObject: ApiObject, podSpecPath: string, selector: Readonly<Record<string, string>>): void {
  apiObject.addJsonPatch(JsonPatch.add(`${podSpecPath}/nodeSelector`, { ...selector }));
}
