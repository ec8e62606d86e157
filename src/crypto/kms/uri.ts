/**
 * cosign's KMS key references, parsed with the same patterns cosign (sigstore/sigstore's kms providers)
 * accepts, so a URI that works with one works with the other:
 *
 *   awskms://[ENDPOINT]/KEY-ID | alias/NAME | arn:aws:kms:REGION:ACCOUNT:key/KEY-ID | …:alias/NAME
 *   gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/N | /versions/N]
 *   azurekms://VAULT-HOST/KEY[/VERSION]
 *   hashivault://KEY (also openbao://KEY)
 */
import { SigilError } from '../../core/index.js';

export type KmsReference = AwsKmsReference | GcpKmsReference | AzureKmsReference | VaultKmsReference;

export interface AwsKmsReference {
  scheme: 'awskms';
  uri: string;
  /** `host[:port]` from the URI, reached over HTTPS as cosign does; empty when the URI has none. */
  endpoint: string;
  /** What KMS calls take as KeyId: a key id, a key or alias ARN, or `alias/NAME`. */
  keyId: string;
  /** The alias (`alias/NAME`) when the URI names one: key creation needs it. */
  alias?: string;
}

export interface GcpKmsReference {
  scheme: 'gcpkms';
  uri: string;
  project: string;
  location: string;
  keyRing: string;
  cryptoKey: string;
  /** The key version; undefined means the newest enabled one, as cosign picks. */
  version?: string;
}

export interface AzureKmsReference {
  scheme: 'azurekms';
  uri: string;
  /** `https://HOST/`, the vault's URL. */
  vaultUrl: string;
  keyName: string;
  /** undefined: the key's current version. */
  version?: string;
}

export interface VaultKmsReference {
  scheme: 'hashivault';
  uri: string;
  keyName: string;
}

export const KMS_SCHEMES = ['awskms://', 'gcpkms://', 'azurekms://', 'hashivault://', 'openbao://'] as const;

/** True when `ref` names a key in one of the KMSs cosign supports (whether or not it is well formed). */
export function isKmsUri(ref: string): boolean {
  return KMS_SCHEMES.some((scheme) => ref.startsWith(scheme));
}

// cosign's patterns (sigstore/sigstore pkg/signature/kms/*/client.go), written out here.
const AWS_UUID = 'm?r?k?-?[A-Fa-f0-9]{8}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{12}';
const AWS_ARN = 'arn:(?:aws|aws-us-gov|aws-cn):kms:[a-z0-9-]+:\\d{12}:';
const AWS_PATTERNS = [
  new RegExp(`^awskms://([^/]*)/(${AWS_UUID})$`),
  new RegExp(`^awskms://([^/]*)/(${AWS_ARN}key/${AWS_UUID})$`),
  /^awskms:\/\/([^/]*)\/((alias\/.*))$/,
  new RegExp(`^awskms://([^/]*)/(${AWS_ARN}(alias/.*))$`),
];
const GCP_PATTERN =
  /^gcpkms:\/\/projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)(?:\/(?:cryptoKeyVersions|versions)\/([^/]+))?$/;
const AZURE_PATTERN = /^azurekms:\/\/([^/]+)\/([^/]+)(\/[a-z0-9]*)?$/;
const VAULT_PATTERN = /^(?:hashivault|openbao):\/\/(\w(?:(?:[\w\-.]+)?\w)?)$/;

const FORMATS: Record<KmsReference['scheme'], string> = {
  awskms:
    'awskms://[ENDPOINT]/KEY-ID, awskms:///alias/NAME or awskms:///arn:aws:kms:REGION:ACCOUNT:key/KEY-ID',
  gcpkms: 'gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/N]',
  azurekms: 'azurekms://VAULT-HOST/KEY[/VERSION]',
  hashivault: 'hashivault://KEY',
};

/** The parts of a KMS URI, or a BAD_INPUT error naming the flag and the form the scheme expects. */
export function parseKmsUri(uri: string, flag = '--key'): KmsReference {
  const scheme = schemeOf(uri);
  const parsed = parseScheme(scheme, uri);
  if (!parsed) {
    throw new SigilError(
      'BAD_INPUT',
      `${flag} ${uri}: not a valid ${scheme} key reference`,
      `use ${FORMATS[scheme]}`,
    );
  }
  return parsed;
}

function schemeOf(uri: string): KmsReference['scheme'] {
  if (uri.startsWith('awskms://')) return 'awskms';
  if (uri.startsWith('gcpkms://')) return 'gcpkms';
  if (uri.startsWith('azurekms://')) return 'azurekms';
  if (uri.startsWith('hashivault://') || uri.startsWith('openbao://')) return 'hashivault';
  throw new SigilError(
    'BAD_INPUT',
    `${uri}: not a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)`,
  );
}

function parseScheme(scheme: KmsReference['scheme'], uri: string): KmsReference | undefined {
  switch (scheme) {
    case 'awskms': {
      for (const pattern of AWS_PATTERNS) {
        const m = pattern.exec(uri);
        if (m?.[1] !== undefined && m[2]) {
          return { scheme, uri, endpoint: m[1], keyId: m[2], ...(m[3] ? { alias: m[3] } : {}) };
        }
      }
      return undefined;
    }
    case 'gcpkms': {
      const m = GCP_PATTERN.exec(uri);
      if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
      const [, project, location, keyRing, cryptoKey, version] = m;
      return { scheme, uri, project, location, keyRing, cryptoKey, ...(version ? { version } : {}) };
    }
    case 'azurekms': {
      const m = AZURE_PATTERN.exec(uri);
      if (!m?.[1] || !m[2]) return undefined;
      const version = m[3]?.slice(1);
      return { scheme, uri, vaultUrl: `https://${m[1]}/`, keyName: m[2], ...(version ? { version } : {}) };
    }
    case 'hashivault': {
      const m = VAULT_PATTERN.exec(uri);
      return m?.[1] ? { scheme, uri, keyName: m[1] } : undefined;
    }
  }
}
