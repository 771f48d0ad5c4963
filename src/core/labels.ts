/** Value of `app.kubernetes.io/managed-by` on every object this library renders. */
export const MANAGED_BY = 'ml-platform-constructs';

/** Prefix of the annotations this library writes (model version metadata, preset). */
export const ANNOTATION_PREFIX = 'ml-platform-constructs.dev';
