/**
 * `notation sign`: the artifact's descriptor (a tag is resolved to the digest it names now), a payload
 * over it with the user metadata, an envelope (JWS or COSE) signed with the key and its chain, optionally
 * countersigned by an RFC 3161 TSA, pushed as a signature manifest referring to the artifact.
 */
import { type Digest, SigilError } from '../core/index.js';
import type { Descriptor, ImageReference, RegistryClient } from '../oci/index.js';
import type { HashName } from './algorithms.js';
import { type NotationCertificate, parseCertificate } from './certificate.js';
import type { NotationSigner, SignRequest } from './envelope-content.js';
import { createCoseEnvelope } from './envelope-cose.js';
import { createJwsEnvelope } from './envelope-jws.js';
import { envelopeMediaType, type SignatureFormat } from './media-types.js';
import { encodePayload } from './payload.js';
import { pushSignature, resolveTarget } from './signature-manifest.js';
import { requestTimestampToken } from './timestamp.js';

export interface NotationSignOptions {
  signer: NotationSigner;
  format: SignatureFormat;
  /** How long the signature stays valid (the expiry attribute); none by default. */
  expiryMs?: number;
  userMetadata?: Record<string, string>;
  timestampUrl?: string;
  /** `--timestamp-root-cert`: the TSA's chain must lead to one of these (required with timestampUrl). */
  timestampRoots?: readonly NotationCertificate[];
  signingAgent: string;
  now?: Date;
}

export interface NotationSignResult {
  target: Descriptor;
  signature: Digest;
  envelope: Buffer;
  mediaType: string;
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
          timestamp: (signature: Buffer, hash: HashName) =>
            requestTimestampToken(timestampUrl, signature, {
              hash,
              tsaRoots: (options.timestampRoots ?? []).map((root) => root.x509),
            }),
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
