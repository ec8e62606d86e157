/**
 * Sigstore's trust distribution documents in their protobuf-specs JSON forms: `trusted_root.json`
 * (`dev.sigstore.trustedroot.v0.1`: CA chains, log and CT-log keys, TSA chains, validity windows) that
 * verifiers read, and `signing_config.json` (v0.2: CA, OIDC, log and TSA URLs) that signers read.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { SigilError, sha256 } from '../core/index.js';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

export interface LogTrust {
  baseUrl: string;
  publicKey: KeyObject;
  validFrom: Date;
  /** The end of the period the log is trusted for; none: still trusted. */
  validUntil?: Date;
}

export interface ChainTrust {
  uri: string;
  /** Issuing certificate first, root last. */
  chain: readonly X509Certificate[];
  organization: string;
  commonName: string;
  validFrom: Date;
}

export interface TrustedRootInput {
  tlogs: LogTrust[];
  certificateAuthorities: ChainTrust[];
  ctlogs: LogTrust[];
  timestampAuthorities: ChainTrust[];
}

export function trustedRootJson(input: TrustedRootInput): Record<string, unknown> {
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: input.tlogs.map(logJson),
    certificateAuthorities: input.certificateAuthorities.map(chainJson),
    ctlogs: input.ctlogs.map(logJson),
    timestampAuthorities: input.timestampAuthorities.map(chainJson),
  };
}

function logJson(log: LogTrust) {
  const spki = log.publicKey.export({ type: 'spki', format: 'der' });
  return {
    baseUrl: log.baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: spki.toString('base64'),
      keyDetails: keyDetails(log.publicKey),
      validFor: {
        start: log.validFrom.toISOString(),
        ...(log.validUntil ? { end: log.validUntil.toISOString() } : {}),
      },
    },
    logId: { keyId: sha256(spki).toString('base64') },
  };
}

function chainJson(authority: ChainTrust) {
  return {
    subject: { organization: authority.organization, commonName: authority.commonName },
    uri: authority.uri,
    certChain: { certificates: authority.chain.map((cert) => ({ rawBytes: cert.raw.toString('base64') })) },
    validFor: { start: authority.validFrom.toISOString() },
  };
}

/** protobuf-specs PublicKeyDetails for the key kinds our logs use. */
function keyDetails(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') return 'PKIX_ED25519';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return 'PKIX_ECDSA_P256_SHA_256';
  if (curve === 'secp384r1') return 'PKIX_ECDSA_P384_SHA_384';
  if (curve === 'secp521r1') return 'PKIX_ECDSA_P521_SHA_512';
  throw new SigilError('UNSUPPORTED', `log keys must be ECDSA or Ed25519, not ${key.asymmetricKeyType}`);
}

export interface SigningConfigInput {
  caUrl: string;
  oidcUrl?: string;
  rekorUrl: string;
  /** 1 for the Rekor v1 API, 2 for the v2 (tiles) API, which needs a TSA for signing times. */
  rekorApiVersion: 1 | 2;
  tsaUrl?: string;
  validFrom: Date;
}

export function signingConfigJson(input: SigningConfigInput): Record<string, unknown> {
  const service = (url: string, majorApiVersion: number) => ({
    url,
    majorApiVersion,
    validFor: { start: input.validFrom.toISOString() },
    operator: 'sigil',
  });
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    // Fulcio's REST API v2 is the service's major API version 1 in signing configs.
    caUrls: [service(input.caUrl, 1)],
    oidcUrls: input.oidcUrl ? [service(input.oidcUrl, 1)] : [],
    rekorTlogUrls: [service(input.rekorUrl, input.rekorApiVersion)],
    tsaUrls: input.tsaUrl ? [service(input.tsaUrl, 1)] : [],
    rekorTlogConfig: { selector: 'ANY' },
    // @sigstore/sign requires a TSA whenever tsaConfig is present.
    ...(input.tsaUrl ? { tsaConfig: { selector: 'ANY' } } : {}),
  };
}
