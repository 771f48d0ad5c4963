import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  ExternalSecret, ExternalSecretSpecSecretStoreRefKind, ExternalSecretSpecTargetTemplateEngineVersion,
} from '../../imports/externalsecret-external-secrets.io';
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

/** The fields of an {@link EnvSource}, one variant per kind. */
export type EnvSourceSpec =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'secret'; readonly secretName: string; readonly key: string }
  | { readonly kind: 'externalSecret'; readonly remoteKey: string; readonly property?: string };

/** One key of a Secret that External Secrets syncs from AWS Secrets Manager. */
export interface ExternalSecretEntry {
  /** Key in the Kubernetes Secret. */
  readonly secretKey: string;
  /** The Secrets Manager entry (and optionally one JSON property of it). */
  readonly source: EnvSource;
}

/**
 * The source of an environment variable of a model server. Secrets are only
 * accepted by reference: a Kubernetes Secret key, or an AWS Secrets Manager
 * entry synced by External Secrets.
 */
export class EnvSource {
  /** A plain, non-secret value. Names that look like secrets (`*_PASSWORD`, `*_TOKEN`, ...) are refused. */
  public static fromValue(value: string): EnvSource {
    return new EnvSource({ kind: 'value', value });
  }

  /** A key of an existing Kubernetes Secret. */
  public static fromSecret(secretName: string, key: string): EnvSource {
    return new EnvSource({ kind: 'secret', secretName, key });
  }

  /**
   * An AWS Secrets Manager secret (or one JSON property of it), synced into a
   * Kubernetes Secret by an `external-secrets.io/v1` ExternalSecret.
   */
  public static fromAwsSecretsManager(remoteKey: string, property?: string): EnvSource {
    return new EnvSource({ kind: 'externalSecret', remoteKey, ...(property !== undefined ? { property } : {}) });
  }

  private constructor(
    /** The source's fields, by kind. */
    public readonly spec: EnvSourceSpec,
  ) {}

  /** Which kind of source this is. */
  public get kind(): EnvSourceKind {
    return this.spec.kind;
  }

  /**
   * The container env value. A Secret-backed source is a reference by name
   * (`kplus.Secret.fromSecretName`, construct id `id` under `scope`), not an
   * owned Secret. An `externalSecret` source reads key `syncedKey` of the
   * Secret `syncedSecretName` its ExternalSecret writes.
   * @internal
   */
  public _toEnvValue(scope: Construct, id: string, synced?: { readonly secretName: string; readonly key: string }): kplus.EnvValue {
    const s = this.spec;
    if (s.kind === 'value') {
      return kplus.EnvValue.fromValue(s.value);
    }
    const ref = s.kind === 'secret' ? { secretName: s.secretName, key: s.key } : synced;
    if (!ref) {
      throw new Error(`${scope.node.path}: an AWS Secrets Manager env source needs the Secret its ExternalSecret writes`);
    }
    return kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(scope, id, ref.secretName), key: ref.key });
  }

  /** The ExternalSecret `remoteRef` of an `externalSecret` source. @internal */
  public _toRemoteRef(): { key: string; property?: string } {
    if (this.spec.kind !== 'externalSecret') {
      throw new Error(`a '${this.spec.kind}' env source has no AWS Secrets Manager reference`);
    }
    return { key: this.spec.remoteKey, ...(this.spec.property ? { property: this.spec.property } : {}) };
  }
}

/** Props of {@link renderExternalSecret}. */
export interface ExternalSecretOptions {
  /** Name of the ExternalSecret and of the Secret it writes. */
  readonly name: string;
  /** Labels of the ExternalSecret. */
  readonly labels: Readonly<Record<string, string>>;
  /** The keys to sync, each from an `externalSecret` env source. */
  readonly entries: readonly ExternalSecretEntry[];
  /** The (Cluster)SecretStore. @default DEFAULT_SECRET_STORE */
  readonly store?: SecretStoreRef;
  /** A template (engine v2) for the written Secret's data. @default - the synced keys as they are */
  readonly template?: Readonly<Record<string, string>>;
}

/**
 * The one ExternalSecret builder of the library: syncs AWS Secrets Manager
 * entries into a Kubernetes Secret every hour through External Secrets
 * (`external-secrets.io/v1`), so no secret value is ever in a manifest.
 */
export function renderExternalSecret(scope: Construct, id: string, o: ExternalSecretOptions): ExternalSecret {
  const ref = { ...DEFAULT_SECRET_STORE, ...o.store };
  return new ExternalSecret(scope, id, {
    metadata: { name: o.name, labels: { ...o.labels } },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: {
        name: ref.name,
        kind: ref.kind === 'SecretStore' ? ExternalSecretSpecSecretStoreRefKind.SECRET_STORE : ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE,
      },
      target: {
        name: o.name,
        ...(o.template ? { template: { engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2, data: { ...o.template } } } : {}),
      },
      data: o.entries.map((e) => ({ secretKey: e.secretKey, remoteRef: e.source._toRemoteRef() })),
    },
  });
}

/** Environment variables: a plain string is a non-secret value. */
export type EnvMap = Readonly<Record<string, string | EnvSource>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_LIKE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/i;
const SECRET_LIKE_VALUE = /(AKIA|ASIA)[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** A URL with a password in its user info (`postgres://user:password@host/db`), anywhere in the value (RFC 3986 section 3.2.1). */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s/?#@]+@/i;

/** Validates and normalises env: every entry becomes an {@link EnvSource}, sorted by name. */
export function resolveEnv(v: PropsValidator, env: EnvMap | undefined): Array<[string, EnvSource]> {
  const out: Array<[string, EnvSource]> = [];
  for (const name of Object.keys(env ?? {}).sort()) {
    const raw = (env ?? {})[name];
    v.matches(`env.${name}`, name, ENV_NAME, 'environment variable names must match [A-Za-z_][A-Za-z0-9_]*');
    const source = typeof raw === 'string' ? EnvSource.fromValue(raw) : raw;
    const spec = source.spec;
    if (spec.kind === 'value') {
      const value = spec.value;
      v.check(!SECRET_LIKE_NAME.test(name), `env.${name}`, '<redacted>',
        'looks like a secret but is given as plain text; use EnvSource.fromSecret(secretName, key) or EnvSource.fromAwsSecretsManager(remoteKey)');
      v.check(!SECRET_LIKE_VALUE.test(value), `env.${name}`, '<redacted>',
        'contains what looks like an AWS access key or a private key; secrets are accepted by reference only (EnvSource.fromSecret or EnvSource.fromAwsSecretsManager)');
      v.check(!URL_WITH_PASSWORD.test(value), `env.${name}`, '<redacted>',
        'is a URL with a password (scheme://user:password@host); secrets are accepted by reference only: put the URL in a Secret and use EnvSource.fromSecret(secretName, key) or EnvSource.fromAwsSecretsManager(remoteKey)');
    } else if (spec.kind === 'secret') {
      v.dnsSubdomain(`env.${name}.secretName`, spec.secretName);
      v.nonEmpty(`env.${name}.key`, spec.key);
    } else {
      v.nonEmpty(`env.${name}.remoteKey`, spec.remoteKey);
    }
    out.push([name, source]);
  }
  return out;
}
