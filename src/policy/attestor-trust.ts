/**
 * What a keyless attestor trusts: the webhook's trusted root, with the overrides Kyverno lets an attestor
 * make. `roots` (or a `certificates` attestor's `certChain` alone) replaces the certificate authorities,
 * `rekor.pubkey` the transparency logs and `ctlog.pubkey` the CT logs, as cosign's RootCerts,
 * RekorPubKeys and CTLogPubKeys do under Kyverno. The root is built once per attestor: verifiers are
 * cached per root object, and a policy reload brings new attestors.
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { SigilError } from '../core/index.js';
import { certificatesFromPem, loadPublicKeyPem } from '../crypto/index.js';
import { type LogTrust, trustedRootJson } from '../formats/index.js';
import type { CtlogSettings, TlogSettings } from './model.js';

export interface AttestorTrustSettings {
  /** PEM CA certificates (roots and intermediates) that replace the trusted root's authorities. */
  roots?: string;
  tlog: TlogSettings;
  ctlog: CtlogSettings;
}

const built = new WeakMap<AttestorTrustSettings, { base: TrustedRoot | undefined; root: TrustedRoot }>();

/** The trusted root for `attestor`, or undefined when neither the webhook nor the attestor gives one. */
export function attestorTrustedRoot(
  attestor: AttestorTrustSettings,
  base: TrustedRoot | undefined,
): TrustedRoot | undefined {
  const overrides = attestor.roots || attestor.tlog.publicKey || attestor.ctlog.publicKey;
  if (!overrides) return base;
  const cached = built.get(attestor);
  if (cached && cached.base === base) return cached.root;
  const root = buildRoot(attestor, base);
  built.set(attestor, { base, root });
  return root;
}

function buildRoot(attestor: AttestorTrustSettings, base: TrustedRoot | undefined): TrustedRoot {
  const overrides = trustedRootJson({
    certificateAuthorities: attestor.roots ? [authorityOf(attestor.roots)] : [],
    tlogs: attestor.tlog.publicKey
      ? [logOf(attestor.tlog.publicKey, attestor.tlog.url ?? 'https://rekor.attestor', 'rekor.pubkey')]
      : [],
    ctlogs: attestor.ctlog.publicKey
      ? [logOf(attestor.ctlog.publicKey, 'https://ctlog.attestor', 'ctlog.pubkey')]
      : [],
    timestampAuthorities: [],
  });
  const json: Record<string, unknown> = base
    ? (TrustedRoot.toJSON(base) as Record<string, unknown>)
    : { ...overrides, certificateAuthorities: [], tlogs: [], ctlogs: [] };
  return TrustedRoot.fromJSON({
    ...json,
    ...(attestor.roots ? { certificateAuthorities: overrides.certificateAuthorities } : {}),
    ...(attestor.tlog.publicKey ? { tlogs: overrides.tlogs } : {}),
    ...(attestor.ctlog.publicKey ? { ctlogs: overrides.ctlogs } : {}),
  });
}

/** All certificates of `pem` as one authority: verifiers find the path from a leaf through them. */
function authorityOf(pem: string) {
  const chain = certificatesFromPem(pem, 'attestor roots');
  if (chain.length === 0) throw new SigilError('BAD_PEM', 'attestor roots: no CERTIFICATE block found');
  return {
    uri: 'attestor roots',
    chain,
    organization: '',
    commonName: 'attestor roots',
    // Each certificate's own validity is checked on the path; the authority itself is always in force.
    validFrom: new Date(0),
  };
}

function logOf(pem: string, baseUrl: string, where: string): LogTrust {
  return { baseUrl, publicKey: loadPublicKeyPem(pem, `attestor ${where}`), validFrom: new Date(0) };
}
