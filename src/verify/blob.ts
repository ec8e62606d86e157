/**
 * Verification of a signature over a blob with a known public key: a bare base64 signature, cosign's
 * legacy bundle, or a Sigstore bundle. Sigstore bundles go through @sigstore/verify (the Sigstore project's
 * verifier) with our key as the only trusted key; our own code adds the checks it does not make.
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, VerificationError, Verifier } from '@sigstore/verify';
import { fromBase64, SigilError, sha256 } from '../core/index.js';
import { keyIdHint, verifySignature } from '../crypto/index.js';
import {
  type BlobBundle,
  layoutSignatureBundle,
  parseRekorBundle,
  rekorBundleToTlogEntryJson,
  trustedRootJson,
} from '../formats/index.js';
import { type KeylessTrust, type KeylessVerification, verifyKeylessBundle } from './keyless.js';

export interface BlobVerification {
  /** Where the signature came from, for the report. */
  source: 'signature' | 'legacy-bundle' | 'sigstore-bundle';
  /** Keyless: the verified certificate and its identity. */
  keyless?: KeylessVerification;
}

export interface BlobVerifyOptions {
  /** The signer's key; or, for keyless signatures, `keyless` with the trusted root and identity policy. */
  publicKey?: KeyObject;
  keyless?: KeylessTrust;
  artifact: Uint8Array;
  /** Accept a signature that carries no transparency-log entry (cosign's --insecure-ignore-tlog). */
  ignoreTlog: boolean;
  /** The trusted transparency log's public key: bundles' log entries are checked against it. */
  tlogKey?: KeyObject;
}

/** A bare signature (the output of `sign-blob` without --bundle) carries no log entry at all. */
export function verifyBlobSignature(options: BlobVerifyOptions, signatureBase64: string): BlobVerification {
  requireNoTlog(options, 'a bare signature');
  checkSignature(options, fromBase64(signatureBase64.trim(), 'signature'));
  return { source: 'signature' };
}

export function verifyBlobBundle(options: BlobVerifyOptions, parsed: BlobBundle): BlobVerification {
  if (options.keyless) return verifyKeylessBlob(options.keyless, options.artifact, parsed);
  if (parsed.format === 'legacy') {
    const { base64Signature, rekorBundle } = parsed.bundle;
    if (rekorBundle === undefined || options.ignoreTlog) {
      if (rekorBundle === undefined) requireNoTlog(options, 'the bundle');
      checkSignature(options, fromBase64(base64Signature, 'bundle base64Signature'));
      return { source: 'legacy-bundle' };
    }
    // A logged key-based signature (cosign v2's `sign-blob --bundle`): its SignedEntryTimestamp is checked
    // like a Sigstore bundle's inclusion promise, and the logged body must be this signature by this key.
    const bundle = layoutSignatureBundle({
      payload: options.artifact,
      signatureBase64: base64Signature,
      keyHint: keyIdHint(requireKey(options)),
      tlogEntries: [legacyTlogEntry(rekorBundle)],
    });
    verifySigstoreBundle(options, bundle);
    return { source: 'legacy-bundle' };
  }
  verifySigstoreBundle(options, parsed.bundle);
  return { source: 'sigstore-bundle' };
}

function verifyKeylessBlob(trust: KeylessTrust, artifact: Uint8Array, parsed: BlobBundle): BlobVerification {
  if (parsed.format === 'sigstore') {
    checkMessageDigest(parsed.bundle, artifact);
    return { source: 'sigstore-bundle', keyless: verifyKeylessBundle(parsed.bundle, artifact, trust) };
  }
  const { base64Signature, cert, rekorBundle } = parsed.bundle;
  if (cert === undefined)
    throw new SigilError('BAD_BUNDLE', 'the bundle has no certificate: it was signed with a key');
  const bundle = layoutSignatureBundle({
    payload: artifact,
    signatureBase64: base64Signature,
    certificates: [fromBase64(cert, 'bundle cert').toString('utf8')],
    tlogEntries: rekorBundle === undefined ? [] : [legacyTlogEntry(rekorBundle)],
  });
  return { source: 'legacy-bundle', keyless: verifyKeylessBundle(bundle, artifact, trust) };
}

/** The legacy bundle's `rekorBundle` as a Sigstore bundle's log entry (its SET as the inclusion promise). */
function legacyTlogEntry(rekorBundle: unknown): Record<string, unknown> {
  return rekorBundleToTlogEntryJson(
    parseRekorBundle(JSON.stringify(rekorBundle), 'rekorBundle'),
    'rekorBundle',
  );
}

function checkMessageDigest(bundle: Bundle, artifact: Uint8Array): void {
  if (bundle.content.$case !== 'messageSignature') return;
  const claimed = bundle.content.messageSignature.messageDigest?.digest;
  if (claimed && !sha256(artifact).equals(claimed)) {
    throw new SigilError(
      'DIGEST_MISMATCH',
      'the bundle is for a different artifact: its message digest does not match the file',
    );
  }
}

function verifySigstoreBundle(options: BlobVerifyOptions, bundle: Bundle): void {
  const publicKey = requireKey(options);
  if (bundle.verificationMaterial.content.$case !== 'publicKey') {
    throw new SigilError(
      'BAD_INPUT',
      'the bundle is signed with a certificate (keyless)',
      'verify with --certificate-identity and --certificate-oidc-issuer instead of --key',
    );
  }
  const entries = bundle.verificationMaterial.tlogEntries;
  if (entries.length === 0) requireNoTlog(options, 'the bundle');
  else if (!options.ignoreTlog && !options.tlogKey) throw noLogTrust();
  checkMessageDigest(bundle, options.artifact);
  // With the log ignored, entries are dropped rather than half-checked: @sigstore/verify would otherwise
  // try to verify them against a log we have no key for.
  const checked = options.ignoreTlog
    ? { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] } }
    : bundle;
  const logKey = options.ignoreTlog ? undefined : options.tlogKey;
  // With a trusted log, every entry must be proven by it (SET and inclusion proof with checkpoint).
  const verifier = logKey
    ? keyVerifier(
        publicKey,
        trustedRootWithLog(logKey, checkpointName(entries[0]?.inclusionProof?.checkpoint?.envelope)),
        entries.length,
      )
    : (keyOnlyVerifiers.get(publicKey) ?? cacheKeyOnlyVerifier(publicKey));
  try {
    verifier.verify(toSignedEntity(checked, Buffer.from(options.artifact)));
  } catch (err) {
    if (err instanceof VerificationError) {
      throw new SigilError('SIGNATURE_MISMATCH', `bundle verification failed: ${err.message}`);
    }
    throw err;
  }
}

function requireKey(options: BlobVerifyOptions): KeyObject {
  if (!options.publicKey) throw new SigilError('BAD_INPUT', 'no public key to verify with');
  return options.publicKey;
}

function checkSignature(options: BlobVerifyOptions, signature: Buffer): void {
  if (!verifySignature(requireKey(options), options.artifact, signature)) {
    throw new SigilError('SIGNATURE_MISMATCH', 'invalid signature when validating ASN.1 encoded signature');
  }
}

function requireNoTlog(options: BlobVerifyOptions, what: string): void {
  if (!options.ignoreTlog) {
    throw new SigilError(
      'TLOG_ENTRY_MISMATCH',
      `${what} has no transparency log entry`,
      'sign with a transparency log, or pass --insecure-ignore-tlog to accept signatures that were never logged',
    );
  }
}

function noLogTrust(): SigilError {
  return new SigilError(
    'UNSUPPORTED',
    'the signature carries a transparency log entry, but no trusted log key is configured to check it',
    'pass --insecure-ignore-tlog to skip the log check',
  );
}

// Building trust material costs as much as a verification; verifying many bundles with one key reuses it.
const keyOnlyVerifiers = new WeakMap<KeyObject, Verifier>();

function cacheKeyOnlyVerifier(publicKey: KeyObject): Verifier {
  const verifier = keyVerifier(publicKey, EMPTY_TRUSTED_ROOT, 0);
  keyOnlyVerifiers.set(publicKey, verifier);
  return verifier;
}

function keyVerifier(publicKey: KeyObject, root: TrustedRoot, tlogThreshold: number): Verifier {
  const trust = toTrustMaterial(root, () => ({ publicKey, validFor: () => true }));
  return new Verifier(trust, { tlogThreshold, ctlogThreshold: 0, timestampThreshold: 0 });
}

/** The name a Rekor checkpoint is signed under (`<name> - <tree ID>`), which verifiers match to the log URL. */
function checkpointName(envelope: string | undefined): string {
  return /^(\S+) - /.exec(envelope ?? '')?.[1] ?? 'unknown';
}

/** A trust root holding only the configured log key, valid from the epoch. */
function trustedRootWithLog(logKey: KeyObject, name: string): TrustedRoot {
  return TrustedRoot.fromJSON(
    trustedRootJson({
      tlogs: [{ baseUrl: `https://${name}`, publicKey: logKey, validFrom: new Date(0) }],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    }),
  );
}

const EMPTY_TRUSTED_ROOT = TrustedRoot.fromJSON(
  trustedRootJson({ tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }),
);
