/**
 * `notation sign`: the artifact's descriptor (a tag is resolved to the digest it names now), a payload
 * over it with the user metadata, an envelope (JWS or COSE) signed with the key and its chain, optionally
 * countersigned by an RFC 3161 TSA, pushed as a signature manifest referring to the artifact.
 */
import { type Digest, loadAsn1Schema, loadAsn1Tsp, SigilError } from '../core/index.js';
import type { Descriptor, ImageReference, RegistryClient } from '../oci/index.js';
import { parseTimestampToken, requestTimestamp } from '../tsa/index.js';
import type { HashName } from './algorithms.js';
import { isIssuedBy, type NotationCertificate, parseCertificate } from './certificate.js';
import type { NotationSigner, SignRequest } from './envelope-content.js';
import { createCoseEnvelope } from './envelope-cose.js';
import { createJwsEnvelope } from './envelope-jws.js';
import { envelopeMediaType, type SignatureFormat } from './media-types.js';
import { encodePayload } from './payload.js';
import { pushSignature, resolveTarget } from './signature-manifest.js';

export interface NotationSignOptions {
  signer: NotationSigner;
  format: SignatureFormat;
  /** How long the signature stays valid (the expiry attribute); none by default. */
  expiryMs?: number;
  userMetadata?: Record<string, string>;
  timestampUrl?: string;
  /** The TSA's root (--timestamp-root-cert): the token's certificates must lead to it. */
  timestampRoots?: NotationCertificate[];
  signingAgent: string;
  now?: Date;
}

export interface NotationSignResult {
  target: Descriptor;
  signature: Digest;
  envelope: Buffer;
  mediaType: string;
}

/**
 * The TimeStampToken (CMS ContentInfo) out of a TSA's TimeStampResp: what the envelope carries. With
 * `roots`, the TSA's signing certificate must be issued, through the certificates the token carries, by
 * one of them (a TSA other than the one configured is refused before anything is pushed); the token's own
 * signature is the verifier's to check.
 */
export function timestampToken(response: Uint8Array, roots: readonly NotationCertificate[] = []): Buffer {
  const { AsnConvert } = loadAsn1Schema();
  const parsed = AsnConvert.parse(response, loadAsn1Tsp().TimeStampResp);
  if (!parsed.timeStampToken) {
    throw new SigilError('SERVICE_ERROR', 'the timestamp response carries no token');
  }
  if (roots.length > 0) {
    const carried = parseTimestampToken(response).certificates.map((der, i) =>
      parseCertificate(der, `TSA certificate ${i + 1}`),
    );
    if (!leadsToRoot(carried, roots)) {
      throw new SigilError(
        'SERVICE_ERROR',
        "the timestamp authority's certificate is not issued by --timestamp-root-cert",
      );
    }
  }
  return Buffer.from(AsnConvert.serialize(parsed.timeStampToken));
}

/** Whether a certificate of `carried` reaches one of `roots` by issuance, through the others. */
function leadsToRoot(
  carried: readonly NotationCertificate[],
  roots: readonly NotationCertificate[],
): boolean {
  let frontier = [...carried];
  for (let hop = 0; hop <= carried.length && frontier.length > 0; hop++) {
    if (frontier.some((cert) => roots.some((root) => root.der.equals(cert.der) || isIssuedBy(cert, root)))) {
      return true;
    }
    frontier = carried.filter((parent) =>
      frontier.some((cert) => cert !== parent && isIssuedBy(cert, parent)),
    );
  }
  return false;
}

export async function signArtifact(
  client: RegistryClient,
  ref: ImageReference,
  options: NotationSignOptions,
): Promise<NotationSignResult> {
  if (options.expiryMs !== undefined && options.expiryMs < 1000) {
    // Both envelopes carry whole seconds: a shorter expiry would not be after the signing time.
    throw new SigilError('BAD_INPUT', `--expiry ${options.expiryMs}ms: the expiry must be at least 1s`);
  }
  const target = await resolveTarget(client, ref);
  const signingTime = options.now ?? new Date();
  const timestampUrl = options.timestampUrl;
  const request: SignRequest = {
    payload: encodePayload(target, options.userMetadata),
    signer: options.signer,
    signingTime,
    signingScheme: 'notary.x509',
    signingAgent: options.signingAgent,
    ...(options.expiryMs === undefined ? {} : { expiry: new Date(signingTime.getTime() + options.expiryMs) }),
    ...(timestampUrl
      ? {
          timestamp: async (signature: Buffer, hash: HashName) =>
            timestampToken(await requestTimestamp(timestampUrl, signature, { hash }), options.timestampRoots),
        }
      : {}),
  };
  const envelope =
    format(options.format) === 'jws' ? await createJwsEnvelope(request) : await createCoseEnvelope(request);
  const mediaType = envelopeMediaType(options.format);
  const thumbprints = options.signer.certificateChain.map(
    (der, i) => parseCertificate(der, `certificate ${i + 1}`).sha256,
  );
  const signature = await pushSignature(client, ref, target, {
    envelope,
    envelopeMediaType: mediaType,
    thumbprints,
    signingTime,
  });
  return { target, signature, envelope, mediaType };
}

function format(value: SignatureFormat): SignatureFormat {
  if (value !== 'jws' && value !== 'cose')
    throw new SigilError('BAD_INPUT', `--signature-format ${value}: jws or cose`);
  return value;
}
