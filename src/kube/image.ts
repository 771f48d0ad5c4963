import { PropsValidator } from '../core/errors';

/** A container image reference, parsed. */
export interface ImageReference {
  /** Registry host (and port), when the reference names one: `myregistry.io`, `localhost:5000`. */
  readonly domain?: string;
  /** Repository path below the registry: `team/churn-model`. */
  readonly path: string;
  /** The tag, when given. */
  readonly tag?: string;
  /** The digest (`sha256:<64 hex>`), when given. */
  readonly digest?: string;
}

// The OCI distribution reference grammar (github.com/distribution/reference, reference.go):
//   reference := name [ ":" tag ] [ "@" digest ]; name := [domain '/'] path-component ['/' path-component]*
//   path-component := [a-z0-9]+ ([_.]|__|[-]+ [a-z0-9]+)*; tag := [\w][\w.-]{0,127}
//   digest := algorithm ":" hex; algorithm := [A-Za-z][A-Za-z0-9]* ([+._-][A-Za-z][A-Za-z0-9]*)*; hex := [0-9a-fA-F]{32,}
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** Registered algorithms have a fixed length of lower-case hex (OCI image spec, descriptor.md#registered-algorithms). */
const REGISTERED_DIGESTS: Readonly<Record<string, RegExp>> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };

/**
 * Parses a container image reference by the OCI distribution grammar, or
 * returns why it is not one. The first path component is the registry when
 * it has a `.` or `:`, is `localhost` or has an upper-case letter (as Docker
 * and containerd read it); every repository path component is lower case.
 */
export function parseImageReference(image: string): ImageReference | string {
  if (typeof image !== 'string' || image === '' || /\s/.test(image)) {
    return 'must be a non-empty image reference without white space';
  }
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const beforeDigest = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.lastIndexOf(':');
  const tag = colon > lastSlash ? beforeDigest.slice(colon + 1) : undefined;
  const name = colon > lastSlash ? beforeDigest.slice(0, colon) : beforeDigest;
  const parts = name.split('/');
  const first = parts[0];
  const hasDomain = parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  const domain = hasDomain ? first : undefined;
  const path = (hasDomain ? parts.slice(1) : parts).join('/');
  if (domain !== undefined && !DOMAIN.test(domain)) {
    return `the registry '${domain}' is not a host name with an optional port`;
  }
  const bad = path.split('/').find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined) {
    return `the repository path component '${bad}' must be lower-case letters and digits, separated by '.', '_', '__' or '-'`;
  }
  if (name.length > 255) {
    return 'the repository name must be at most 255 characters';
  }
  if (tag !== undefined && !TAG.test(tag)) {
    return `the tag '${tag}' must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
  }
  if (digest !== undefined) {
    const [algorithm] = digest.split(':');
    const hex = digest.slice(algorithm.length + 1);
    if (!DIGEST.test(digest) || (REGISTERED_DIGESTS[algorithm] !== undefined && !REGISTERED_DIGESTS[algorithm].test(hex))) {
      return `the digest '${digest}' must be algorithm:hex, for example sha256: and 64 lower-case hex digits`;
    }
  }
  return { ...(domain !== undefined ? { domain } : {}), path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Validates a container image reference ({@link parseImageReference}) and returns it parsed. */
export function validateImageReference(v: PropsValidator, property: string, image: string): ImageReference {
  const parsed = parseImageReference(image);
  return typeof parsed === 'string' ? v.fail(property, image, `must be an OCI image reference: ${parsed}`) : parsed;
}

/**
 * Validates a container image reference that must be pinned: a tag other than
 * `latest` (`repository:tag`) or a digest (`repository@sha256:...`), by the
 * OCI distribution grammar ({@link parseImageReference}). An unpinned image
 * makes a rollout unreproducible and lets a node pull a different model than
 * the one reviewed.
 */
export function validatePinnedImage(v: PropsValidator, property: string, image: string): string {
  v.nonEmpty(property, image);
  const parsed = validateImageReference(v, property, image);
  v.check(parsed.digest !== undefined || (parsed.tag !== undefined && parsed.tag !== 'latest'), property, image,
    'must be pinned by a tag other than "latest" or by a digest (repository:tag or repository@sha256:...)');
  return image;
}
