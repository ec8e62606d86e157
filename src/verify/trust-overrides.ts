/**
 * A trusted root with some of its parts replaced, as cosign and Kyverno let a verification replace them:
 * CA certificates (cosign's --ca-roots/--ca-intermediates, Kyverno's keyless `roots` or a `certificates`
 * attestor's `certChain`), transparency-log keys (SIGSTORE_REKOR_PUBLIC_KEY, `rekor.pubkey`) and CT-log
 * keys (SIGSTORE_CT_LOG_PUBLIC_KEY_FILE, `ctlog.pubkey`). A root is built once per overrides object:
 * verifiers are cached per root object.
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { SigilError } from '../core/index.js';
import { loadPublicKeyPem, requireCertificates } from '../crypto/index.js';
import { type LogTrust, trustedRootJson } from '../formats/index.js';

export interface TrustOverrides {
  /** PEM CA certificates (roots and intermediates) that replace the base root's authorities. */
  roots?: string;
  tlog: { publicKey?: string; url?: string; ignore: boolean };
  ctlog: { publicKey?: string; ignoreSct: boolean };
}

const built = new WeakMap<TrustOverrides, { base: TrustedRoot | undefined; root: TrustedRoot }>();

/** `base` with the overrides applied; undefined when neither gives a root. */
export function trustedRootWith(
  overrides: TrustOverrides,
  base: TrustedRoot | undefined,
): TrustedRoot | undefined {
  if (!overrides.roots && !overrides.tlog.publicKey && !overrides.ctlog.publicKey) return base;
  const cached = built.get(overrides);
  if (cached && cached.base === base) return cached.root;
  const root = buildRoot(overrides, base);
  built.set(overrides, { base, root });
  return root;
}

/**
 * Refuses a root that cannot check what the verification requires: a log entry (unless ignored) and an
 * SCT (unless ignored). Verifiers would refuse too, but without saying what is missing.
 */
export function requireTrustedLogs(
  root: TrustedRoot,
  overrides: TrustOverrides,
  hints: { tlog: string; ctlog: string },
): void {
  if (!overrides.tlog.ignore && root.tlogs.length === 0) {
    throw new SigilError(
      'TLOG_ENTRY_MISMATCH',
      'no trusted transparency log to check the log entry with',
      hints.tlog,
    );
  }
  if (!overrides.ctlog.ignoreSct && root.ctlogs.length === 0) {
    throw new SigilError('BAD_CERTIFICATE', 'no trusted CT log, so no SCT can be checked', hints.ctlog);
  }
}

function buildRoot(overrides: TrustOverrides, base: TrustedRoot | undefined): TrustedRoot {
  const replaced = trustedRootJson({
    certificateAuthorities: overrides.roots ? [authorityOf(overrides.roots)] : [],
    tlogs: overrides.tlog.publicKey
      ? [logOf(overrides.tlog.publicKey, overrides.tlog.url ?? 'https://rekor.override', 'log key')]
      : [],
    ctlogs: overrides.ctlog.publicKey
      ? [logOf(overrides.ctlog.publicKey, 'https://ctlog.override', 'CT log key')]
      : [],
    timestampAuthorities: [],
  });
  const json: Record<string, unknown> = base
    ? (TrustedRoot.toJSON(base) as Record<string, unknown>)
    : { ...replaced, certificateAuthorities: [], tlogs: [], ctlogs: [] };
  return TrustedRoot.fromJSON({
    ...json,
    ...(overrides.roots ? { certificateAuthorities: replaced.certificateAuthorities } : {}),
    ...(overrides.tlog.publicKey ? { tlogs: replaced.tlogs } : {}),
    ...(overrides.ctlog.publicKey ? { ctlogs: replaced.ctlogs } : {}),
  });
}

/** All certificates of `pem` as one authority: verifiers find the path from a leaf through them. */
function authorityOf(pem: string) {
  const chain = requireCertificates(pem, 'CA certificates');
  return {
    uri: 'overridden CA',
    chain,
    organization: '',
    commonName: 'overridden CA',
    // Each certificate's own validity is checked on the path; the authority itself is always in force.
    validFrom: new Date(0),
  };
}

function logOf(pem: string, baseUrl: string, what: string): LogTrust {
  return { baseUrl, publicKey: loadPublicKeyPem(pem, what), validFrom: new Date(0) };
}
