import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

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

/** cdk8s-plus has no pod-level seccomp setting: add RuntimeDefault at `podSpecPath` by JSON patch. */
export function addPodSeccomp(apiObject: ApiObject, podSpecPath: string): void {
  apiObject.addJsonPatch(JsonPatch.add(`${podSpecPath}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
}
