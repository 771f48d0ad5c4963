import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { clusterScoped } from './patches';

/**
 * Container security context of Pod Security "restricted": non-root with a
 * fixed UID, no privilege escalation, every capability dropped, seccomp
 * RuntimeDefault, read-only root filesystem.
 */
export function restrictedContainerSecurity(uid: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: uid,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/** Pod security context of Pod Security "restricted" (seccomp is added by {@link addPodSeccomp}). */
export function restrictedPodSecurity(uid: number): kplus.PodSecurityContextProps {
  return { ensureNonRoot: true, user: uid, group: uid, fsGroup: uid, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH };
}

/** Options of {@link podSecurityNamespace}. */
export interface PodSecurityNamespaceOptions {
  /** Also warn (`kubectl` warnings) on pods that break the `restricted` level. @default false */
  readonly warn?: boolean;
}

/**
 * A Namespace that enforces Pod Security "restricted" (level of Kubernetes
 * 1.28), with the construct id `Namespace`.
 */
export function podSecurityNamespace(scope: Construct, name: string, options: PodSecurityNamespaceOptions = {}): kplus.Namespace {
  const namespace = new kplus.Namespace(scope, 'Namespace', {
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'v1.28',
        ...(options.warn ? { 'pod-security.kubernetes.io/warn': 'restricted' } : {}),
      },
    },
  });
  clusterScoped(ApiObject.of(namespace));
  return namespace;
}

/** cdk8s-plus has no pod-level seccomp setting (only per container): add RuntimeDefault at `podSpecPath` by JSON patch. */
export function addPodSeccomp(apiObject: ApiObject, podSpecPath: string): void {
  apiObject.addJsonPatch(JsonPatch.add(`${podSpecPath}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
}
