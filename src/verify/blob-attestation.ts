/**
 * An attestation bundle (a Sigstore bundle whose content is a DSSE envelope): the signature checks of
 * verify-blob, then what makes it an attestation about *this* artifact: an in-toto payload, a subject with
 * the artifact's digest, and the predicate type asked for.
 */
import { type Digest, fromBase64, SigilError } from '../core/index.js';
import {
  type BlobBundle,
  envelopeAttestationBundle,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  parseStatement,
  statementCovers,
  subjectDigests,
} from '../formats/index.js';
import { type BlobVerification, type BlobVerifyOptions, verifyBlobBundle } from './blob.js';

export interface BlobAttestationOptions extends Omit<BlobVerifyOptions, 'artifact'> {
  /** The artifact the statement must be about. */
  subjectDigest?: Digest;
  predicateType?: string;
}

export interface BlobAttestationVerification extends BlobVerification {
  statement: InTotoStatement;
}

export function verifyBlobAttestation(
  options: BlobAttestationOptions,
  parsed: BlobBundle,
  where: string,
): BlobAttestationVerification {
  if (parsed.format === 'legacy') {
    // cosign v2's `attest-blob --bundle`: the signed envelope is the legacy bundle's base64Signature.
    const { base64Signature, ...legacy } = parsed.bundle;
    const envelope = fromBase64(base64Signature, `${where}: base64Signature`);
    return verifyBlobAttestation(options, envelopeAttestationBundle(envelope, where, legacy), where);
  }
  const content = parsed.bundle.content;
  if (content?.$case !== 'dsseEnvelope') {
    throw new SigilError('BAD_BUNDLE', `${where}: not an attestation bundle (it holds no DSSE envelope)`);
  }
  const envelope = content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SigilError(
      'BAD_BUNDLE',
      `${where}: DSSE payloadType is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  // The envelope carries what was signed, so there is no separate artifact to hand to the verifier; the
  // subject is checked below, and only when asked for (--check-claims).
  const verification = verifyBlobBundle(options, parsed);
  const statement = parseStatement(envelope.payload, `${where}: DSSE payload`);
  if (options.subjectDigest && !statementCovers(statement, options.subjectDigest)) {
    throw new SigilError(
      'DIGEST_MISMATCH',
      `${where}: the statement is about ${subjectDigests(statement).join(', ')}, not ${options.subjectDigest}`,
    );
  }
  if (options.predicateType && statement.predicateType !== options.predicateType) {
    throw new SigilError(
      'SIGNATURE_MISMATCH',
      `${where}: predicate type ${statement.predicateType}, not ${options.predicateType}`,
    );
  }
  return { ...verification, statement };
}
