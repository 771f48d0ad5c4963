import { PropsValidator } from '../core/errors';

/**
 * Validates a container image reference that must be pinned: a tag other than
 * `latest` (`repository:tag`) or a digest (`repository@sha256:...`), no white
 * space. An unpinned image makes a rollout unreproducible and lets a node pull
 * a different model than the one reviewed.
 */
export function validatePinnedImage(v: PropsValidator, property: string, image: string): string {
  v.nonEmpty(property, image);
  const lastSegment = image.split('/').pop() ?? '';
  v.check(!/\s/.test(image) && !/:latest$/.test(image) && /[:@]/.test(lastSegment), property, image,
    'must be pinned by a tag other than "latest" or by a digest (repository:tag or repository@sha256:...)');
  return image;
}
