/**
 * What a Notation signature envelope says, whichever its format (JWS or COSE): the signed payload and
 * attributes, the certificate chain and the signature. parseEnvelope reads one (refusing any malformed or
 * incomplete envelope with the reason); verifyEnvelopeIntegrity is the specification's integrity check.
 */
import { SigilError } from '../core/index.js';
import { algorithmForKey, verifyWith } from './algorithms.js';
import { validateCodeSigningChain } from './cert-chain.js';
import { type EnvelopeContent, invalid } from './envelope-content.js';
import { parseCoseEnvelope } from './envelope-cose.js';
import { parseJwsEnvelope } from './envelope-jws.js';
import { COSE_ENVELOPE, JWS_ENVELOPE, NOTATION_PAYLOAD } from './media-types.js';

export type { EnvelopeContent, ExtendedAttribute } from './envelope-content.js';

export const ENVELOPE_MEDIA_TYPES: readonly string[] = [JWS_ENVELOPE, COSE_ENVELOPE];

export function parseEnvelope(mediaType: string, bytes: Uint8Array, where: string): EnvelopeContent {
  if (mediaType === JWS_ENVELOPE) return parseJwsEnvelope(bytes, where);
  if (mediaType === COSE_ENVELOPE) return parseCoseEnvelope(bytes, where);
  throw new SigilError(
    'UNSUPPORTED',
    `${where}: signature envelope type ${JSON.stringify(mediaType)} is not supported`,
    `Notation signatures are ${JWS_ENVELOPE} or ${COSE_ENVELOPE}`,
  );
}

/**
 * The integrity check: the payload is a Notation payload, the certificate chain is a valid code-signing
 * chain (at no particular time: time is the authentic timestamp check's), its leaf's key fits the
 * algorithm the envelope names, and the signature verifies with that key.
 */
export function verifyEnvelopeIntegrity(content: EnvelopeContent, where: string): void {
  const leaf = content.certificateChain[0];
  if (!leaf) throw invalid(where, 'certificate chain is empty');
  validateCodeSigningChain(content.certificateChain, undefined, where);
  const keyAlgorithm = algorithmForKey(leaf.x509.publicKey, `${where} signing certificate`);
  if (keyAlgorithm.jws !== content.algorithm.jws) {
    throw invalid(
      where,
      `signing certificate's key signs with ${keyAlgorithm.jws}, the envelope says ${content.algorithm.jws}`,
    );
  }
  if (!verifyWith(content.algorithm, leaf.x509.publicKey, content.signedBytes, content.signature)) {
    throw new SigilError(
      'SIGNATURE_MISMATCH',
      `${where}: signature does not verify with its signing certificate`,
    );
  }
  if (content.payloadContentType !== NOTATION_PAYLOAD) {
    throw invalid(
      where,
      `payload content type ${JSON.stringify(content.payloadContentType)} is not ${NOTATION_PAYLOAD}`,
    );
  }
}
