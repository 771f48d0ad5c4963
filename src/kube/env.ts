import { PropsValidator } from '../core/errors';

/** Where an ExternalSecret reads from. */
export interface SecretStoreRef {
  /** Name of the (Cluster)SecretStore. */
  readonly name: string;
  /**
   * Kind of the store.
   * @default 'ClusterSecretStore'
   */
  readonly kind?: 'ClusterSecretStore' | 'SecretStore';
}

/** The store assumed when none is given: a ClusterSecretStore named `aws-secrets-manager`. */
export const DEFAULT_SECRET_STORE: Required<SecretStoreRef> = { name: 'aws-secrets-manager', kind: 'ClusterSecretStore' };

/** The three ways an environment variable can be sourced. */
export type EnvSourceKind = 'value' | 'secret' | 'externalSecret';

/**
 * The source of an environment variable of a model server. Secrets are only
 * accepted by reference: a Kubernetes Secret key, or an AWS Secrets Manager
 * entry synced by External Secrets.
 */
export class EnvSource {
  /** A plain, non-secret value. Names that look like secrets (`*_PASSWORD`, `*_TOKEN`, ...) are refused. */
  public static fromValue(value: string): EnvSource {
    return new EnvSource('value', { value });
  }

  /** A key of an existing Kubernetes Secret. */
  public static fromSecret(secretName: string, key: string): EnvSource {
    return new EnvSource('secret', { secretName, key });
  }

  /**
   * An AWS Secrets Manager secret (or one JSON property of it), synced into a
   * Kubernetes Secret by an `external-secrets.io/v1` ExternalSecret.
   */
  public static fromAwsSecretsManager(remoteKey: string, property?: string): EnvSource {
    return new EnvSource('externalSecret', { remoteKey, property });
  }

  private constructor(
    /** Which kind of source this is. */
    public readonly kind: EnvSourceKind,
    /** The source's fields. */
    public readonly spec: { readonly value?: string; readonly secretName?: string; readonly key?: string; readonly remoteKey?: string; readonly property?: string },
  ) {}
}

/** Environment variables: a plain string is a non-secret value. */
export type EnvMap = Readonly<Record<string, string | EnvSource>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_LIKE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/i;
const SECRET_LIKE_VALUE = /(AKIA|ASIA)[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Validates and normalises env: every entry becomes an {@link EnvSource}, sorted by name. */
export function resolveEnv(v: PropsValidator, env: EnvMap | undefined): Array<[string, EnvSource]> {
  const out: Array<[string, EnvSource]> = [];
  for (const name of Object.keys(env ?? {}).sort()) {
    const raw = env![name];
    v.matches(`env.${name}`, name, ENV_NAME, 'environment variable names must match [A-Za-z_][A-Za-z0-9_]*');
    const source = typeof raw === 'string' ? EnvSource.fromValue(raw) : raw;
    if (source.kind === 'value') {
      const value = source.spec.value ?? '';
      v.check(!SECRET_LIKE_NAME.test(name), `env.${name}`, '<redacted>',
        'looks like a secret but is given as plain text; use EnvSource.fromSecret(secretName, key) or EnvSource.fromAwsSecretsManager(remoteKey)');
      v.check(!SECRET_LIKE_VALUE.test(value), `env.${name}`, '<redacted>',
        'contains what looks like an AWS access key or a private key; secrets are accepted by reference only (EnvSource.fromSecret or EnvSource.fromAwsSecretsManager)');
    } else if (source.kind === 'secret') {
      v.dnsSubdomain(`env.${name}.secretName`, source.spec.secretName ?? '');
      v.nonEmpty(`env.${name}.key`, source.spec.key ?? '');
    } else {
      v.nonEmpty(`env.${name}.remoteKey`, source.spec.remoteKey ?? '');
    }
    out.push([name, source]);
  }
  return out;
}
