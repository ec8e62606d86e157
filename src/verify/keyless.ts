/**
 * Keyless verification: a bundle whose signer is a certificate is checked by @sigstore/verify (with the
 * per-certificate checks remembered, see keyless-verifier.ts) against a trusted root (chain to a trusted
 * CA valid at the logged or timestamped signing time, SCT from a trusted CT log, log entry promised or
 * proven by a trusted log and matching this signature), and then the certificate's identity is matched
 * against the caller's policy, which @sigstore/verify alone would match unanchored and without the GitHub
 * workflow fields.
 */
import type { X509Certificate } from 'node:crypto';
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type SignedEntity, VerificationError } from '@sigstore/verify';
import { type ErrorCode, isRecord, parseJson, SigilError } from '../core/index.js';
import type { CertificateIdentity } from './certificate-identity.js';
import type { CompiledIdentityPolicy } from './identity-policy.js';
import { keylessVerifier } from './keyless-verifier.js';
import { type SignedArtifact, signedEntity } from './signed-entity.js';
import { type SigningCertificate, signingCertificate } from './signing-certificate.js';

export interface KeylessTrust {
  root: TrustedRoot;
  policy: CompiledIdentityPolicy;
  /** cosign's --insecure-ignore-tlog: no log entry required (a signed timestamp still is). */
  ignoreTlog?: boolean;
  /** cosign's --insecure-ignore-sct: no SCT required in the certificate. */
  ignoreSct?: boolean;
  /**
   * With ignoreTlog, check a signature that carries no signing time at all at the current time, as cosign
   * does. Only for a certificate the user handed over (`verify-blob --certificate`, from their own CA):
   * a bundle without log entry or timestamp is refused otherwise, since nothing says when it was signed.
   */
  untimedAtCurrentTime?: boolean;
}

export interface KeylessVerification {
  certificate: X509Certificate;
  identity: CertificateIdentity;
}

export function parseTrustedRoot(text: string | Uint8Array, where: string): TrustedRoot {
  const json = parseJson(text, where);
  if (!isRecord(json) || typeof json.mediaType !== 'string' || !json.mediaType.includes('trustedroot')) {
    throw new SigilError(
      'BAD_JSON',
      `${where}: not a Sigstore trusted root (mediaType ${String(isRecord(json) && json.mediaType)})`,
    );
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
  } catch (err) {
    throw new SigilError('BAD_JSON', `${where}: invalid trusted root: ${(err as Error).message}`);
  }
  requireLogValidityStarts(root, where);
  return root;
}

/**
 * A log key without `validFor.start` is a malformed trusted root, refused as sigstore-go refuses it, rather
 * than read as trusted since the beginning of time: the start is what keeps a retired or rotated key
 * from vouching for entries outside its period.
 */
function requireLogValidityStarts(root: TrustedRoot, where: string): void {
  const logs = [
    ...root.tlogs.map((log, i) => ({ log, name: `tlogs[${i}]` })),
    ...root.ctlogs.map((log, i) => ({ log, name: `ctlogs[${i}]` })),
  ];
  for (const { log, name } of logs) {
    if (!log.publicKey?.validFor?.start) {
      throw new SigilError(
        'BAD_JSON',
        `${where}: ${name} (${log.baseUrl || 'no baseUrl'}) has no publicKey.validFor.start`,
      );
    }
  }
}

export function verifyKeylessBundle(
  bundle: Bundle,
  artifact: SignedArtifact,
  trust: KeylessTrust,
): KeylessVerification {
  const signer = signingCertificate(bundle);
  const verifier = keylessVerifier(trust.root, {
    ignoreTlog: trust.ignoreTlog === true,
    ignoreSct: trust.ignoreSct === true,
  });
  try {
    const entity = signedEntity(keyedByFingerprint(bundle, signer), artifact);
    verifier.verify(atCurrentTimeWhenUntimed(entity, trust), signer);
  } catch (err) {
    if (err instanceof VerificationError)
      throw new SigilError(codeFor(err.code), `keyless verification failed: ${err.message}`);
    throw err;
  }
  const identity = signer.identity();
  const mismatch = trust.policy.matches(identity);
  if (mismatch) throw new SigilError('IDENTITY_MISMATCH', `certificate identity rejected: ${mismatch}`);
  // A copy: the parsed certificate's identity is shared by every bundle it signed.
  return {
    certificate: signer.certificate,
    identity: { ...identity, subjects: [...identity.subjects], extensions: { ...identity.extensions } },
  };
}

/**
 * The bundle as the keyless verifier takes it: its certificate, already parsed, named by fingerprint
 * (the verifier checks the chain; @sigstore/verify would parse the certificate again for each bundle).
 */
function keyedByFingerprint(bundle: Bundle, signer: SigningCertificate): Bundle {
  return {
    ...bundle,
    verificationMaterial: {
      ...bundle.verificationMaterial,
      content: { $case: 'publicKey', publicKey: { hint: signer.fingerprint } },
    },
  };
}

/**
 * See `untimedAtCurrentTime`: cosign checks such a certificate chain at the current time; @sigstore/verify
 * checks it only at the signature's timestamps, so the current time is given to it as the one timestamp
 * (log entries are verified from `tlogEntries`, not from this list, so it adds no log evidence).
 */
function atCurrentTimeWhenUntimed(entity: SignedEntity, trust: KeylessTrust): SignedEntity {
  if (!trust.ignoreTlog || !trust.untimedAtCurrentTime || entity.timestamps.length > 0) return entity;
  const now: TransparencyLogEntry = {
    logIndex: '0',
    logId: { keyId: Buffer.from('current time') },
    kindVersion: { kind: 'none', version: '0' },
    integratedTime: String(Math.floor(Date.now() / 1000)),
    inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) },
    inclusionProof: undefined,
    canonicalizedBody: Buffer.alloc(0),
  };
  return { ...entity, timestamps: [{ $case: 'transparency-log', tlogEntry: now }] };
}

function codeFor(code: string): ErrorCode {
  if (code.startsWith('CERTIFICATE')) return 'BAD_CERTIFICATE';
  if (code.startsWith('TLOG') || code.startsWith('TIMESTAMP')) return 'TLOG_ENTRY_MISMATCH';
  return 'SIGNATURE_MISMATCH';
}
