/**
 * Verification of a signature over a blob with a known public key: a bare base64 signature, cosign's
 * legacy bundle, or a Sigstore bundle. Sigstore bundles go through @sigstore/verify (the Sigstore project's
 * verifier) with our key as the only trusted key; our own code adds the checks it does not make.
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, VerificationError, Verifier } from '@sigstore/verify';
import { fromBase64, SigilError } from '../core/index.js';
import { keyIdHint, verifyPrehashed, verifySignature } from '../crypto/index.js';
import {
  type BlobBundle,
  IN_TOTO_PAYLOAD_TYPE,
  layoutSignatureBundle,
  parseRekorBundle,
  parseStatement,
  rekorBundleToTlogEntryJson,
  statementCovers,
  subjectDigests,
  trustedRootJson,
} from '../formats/index.js';
import { type KeylessTrust, type KeylessVerification, verifyKeylessBundle } from './keyless.js';
import type { TrustedLogKey } from './log-keys.js';
import { artifactSha256, type SignedArtifact, signedEntity } from './signed-entity.js';

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
  /**
   * The file (or only its SHA-256) the signature must be over. Absent for a DSSE envelope verified for
   * itself (an attestation, whose subjects the caller checks); a DSSE bundle verified *for a file* must
   * name that file's digest among its statement's subjects.
   */
  artifact?: SignedArtifact;
  /** Accept a signature that carries no transparency-log entry (cosign's --insecure-ignore-tlog). */
  ignoreTlog: boolean;
  /** The trusted transparency logs: a bundle's log entries are checked against the one each names. */
  tlogKeys?: readonly TrustedLogKey[];
  /**
   * With a key: the trusted root whose logs (and timestamp authorities) a bundle's log entries are
   * checked against, as cosign does with --key and --trusted-root. `tlogKeys` take precedence.
   */
  trustedRoot?: TrustedRoot;
}

/** A bare signature (the output of `sign-blob` without --bundle) carries no log entry at all. */
export function verifyBlobSignature(options: BlobVerifyOptions, signatureBase64: string): BlobVerification {
  requireNoTlog(options, 'a bare signature');
  checkSignature(options, fromBase64(signatureBase64.trim(), 'signature'));
  return { source: 'signature' };
}

export function verifyBlobBundle(options: BlobVerifyOptions, parsed: BlobBundle): BlobVerification {
  if (parsed.format === 'sigstore') checkDsseSubject(parsed.bundle, options.artifact);
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
      payload: fileBytes(options.artifact),
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

function verifyKeylessBlob(
  trust: KeylessTrust,
  artifact: SignedArtifact | undefined,
  parsed: BlobBundle,
): BlobVerification {
  if (parsed.format === 'sigstore') {
    const signed = checkMessageDigest(parsed.bundle, artifact);
    return { source: 'sigstore-bundle', keyless: verifyKeylessBundle(parsed.bundle, signed, trust) };
  }
  const signed = fileBytes(artifact);
  const { base64Signature, cert, rekorBundle } = parsed.bundle;
  if (cert === undefined)
    throw new SigilError('BAD_BUNDLE', 'the bundle has no certificate: it was signed with a key');
  const bundle = layoutSignatureBundle({
    payload: signed,
    signatureBase64: base64Signature,
    certificates: [fromBase64(cert, 'bundle cert').toString('utf8')],
    tlogEntries: rekorBundle === undefined ? [] : [legacyTlogEntry(rekorBundle)],
  });
  return { source: 'legacy-bundle', keyless: verifyKeylessBundle(bundle, signed, trust) };
}

/** The legacy bundle's `rekorBundle` as a Sigstore bundle's log entry (its SET as the inclusion promise). */
function legacyTlogEntry(rekorBundle: unknown): Record<string, unknown> {
  return rekorBundleToTlogEntryJson(
    parseRekorBundle(JSON.stringify(rekorBundle), 'rekorBundle'),
    'rekorBundle',
  );
}

/**
 * A message signature must be over the artifact (its digest, when the bundle states one, must be the
 * artifact's); a DSSE envelope carries what was signed, so the artifact is not needed to verify it.
 */
function checkMessageDigest(bundle: Bundle, artifact: SignedArtifact | undefined): SignedArtifact {
  if (bundle.content.$case !== 'messageSignature') return artifact ?? new Uint8Array();
  const signed = requireArtifact(artifact);
  const claimed = bundle.content.messageSignature.messageDigest?.digest;
  if (claimed && !artifactSha256(signed).equals(claimed)) {
    throw new SigilError(
      'DIGEST_MISMATCH',
      'the bundle is for a different artifact: its message digest does not match the file',
    );
  }
  return signed;
}

/**
 * A DSSE bundle verified for a file vouches for that file only through its in-toto statement: one of the
 * statement's subjects must carry the file's SHA-256 (cosign v3's verify-blob does the same).
 */
function checkDsseSubject(bundle: Bundle, artifact: SignedArtifact | undefined): void {
  if (bundle.content.$case !== 'dsseEnvelope' || artifact === undefined) return;
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SigilError(
      'BAD_BUNDLE',
      `the bundle's DSSE payload is ${payloadType}, not an in-toto statement naming the file`,
    );
  }
  const statement = parseStatement(payload, "the bundle's DSSE payload");
  const digest = `sha256:${artifactSha256(artifact).toString('hex')}` as const;
  if (!statementCovers(statement, digest)) {
    throw new SigilError(
      'DIGEST_MISMATCH',
      `the bundle's statement is about ${subjectDigests(statement).join(', ') || 'no subject'}, not the file (${digest})`,
    );
  }
}

/** cosign's legacy bundle re-laid as a Sigstore bundle needs the file's bytes, not only its digest. */
function fileBytes(artifact: SignedArtifact | undefined): Uint8Array {
  const signed = requireArtifact(artifact);
  if (!(signed instanceof Uint8Array)) {
    throw new SigilError(
      'UNSUPPORTED',
      "cosign's legacy bundle can only be verified against the file itself",
    );
  }
  return signed;
}

function requireArtifact(artifact: SignedArtifact | undefined): SignedArtifact {
  if (artifact === undefined) throw new SigilError('BAD_INPUT', 'no artifact to verify the signature over');
  return artifact;
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
  else if (!options.ignoreTlog && !options.tlogKeys && !options.trustedRoot) throw noLogTrust();
  const signed = checkMessageDigest(bundle, options.artifact);
  // A key has no validity period, so no signing time is needed: RFC 3161 timestamps are dropped rather
  // than checked, as sigstore-go (cosign) skips a timestamp it cannot verify when none is required
  // (@sigstore/verify would fail on one from a TSA the trusted root does not list). With the log ignored,
  // entries are dropped too rather than half-checked against a log we have no key for.
  const checked = {
    ...bundle,
    verificationMaterial: {
      ...bundle.verificationMaterial,
      tlogEntries: options.ignoreTlog ? [] : entries,
      timestampVerificationData: undefined,
    },
  };
  try {
    keyVerifierFor(options, publicKey, entries).verify(signedEntity(checked, signed));
  } catch (err) {
    if (err instanceof VerificationError) {
      throw new SigilError('SIGNATURE_MISMATCH', `bundle verification failed: ${err.message}`);
    }
    throw err;
  }
}

/**
 * With a trusted log (SIGSTORE_REKOR_PUBLIC_KEY, else the trusted root's logs) every entry must be proven by
 * it: SET, or inclusion proof with a signed checkpoint.
 */
function keyVerifierFor(
  options: BlobVerifyOptions,
  publicKey: KeyObject,
  entries: Bundle['verificationMaterial']['tlogEntries'],
): Verifier {
  if (options.ignoreTlog) return keyOnlyVerifiers.get(publicKey) ?? cacheKeyOnlyVerifier(publicKey);
  if (options.tlogKeys) {
    const name = checkpointName(entries[0]?.inclusionProof?.checkpoint?.envelope);
    return keyVerifier(publicKey, trustedRootWithLogs(options.tlogKeys, name), entries.length);
  }
  return keyVerifier(publicKey, options.trustedRoot ?? EMPTY_TRUSTED_ROOT, entries.length);
}

function requireKey(options: BlobVerifyOptions): KeyObject {
  if (!options.publicKey) throw new SigilError('BAD_INPUT', 'no public key to verify with');
  return options.publicKey;
}

function checkSignature(options: BlobVerifyOptions, signature: Buffer): void {
  const key = requireKey(options);
  const artifact = requireArtifact(options.artifact);
  const valid =
    artifact instanceof Uint8Array
      ? verifySignature(key, artifact, signature)
      : verifyPrehashed(key, 'sha256', artifact.sha256, signature);
  if (!valid) {
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

/** A trust root holding only the configured logs, each for its period (a bare key: from the epoch on). */
function trustedRootWithLogs(logs: readonly TrustedLogKey[], name: string): TrustedRoot {
  return TrustedRoot.fromJSON(
    trustedRootJson({
      tlogs: logs.map((log) => ({
        baseUrl: `https://${name}`,
        publicKey: log.publicKey,
        validFrom: log.validFor?.start ?? new Date(0),
        ...(log.validFor?.end ? { validUntil: log.validFor.end } : {}),
      })),
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    }),
  );
}

const EMPTY_TRUSTED_ROOT = TrustedRoot.fromJSON(
  trustedRootJson({ tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }),
);
