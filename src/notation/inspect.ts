/**
 * `notation inspect` output: each signature's algorithm, signed and unsigned attributes, user metadata,
 * certificate chain and signed artifact, in the JSON shape notation prints with `--output json`. Reading
 * is not verifying: nothing here is trusted.
 */
import type { Descriptor } from '../oci/index.js';
import type { EnvelopeContent } from './envelope.js';
import { parsePayload } from './payload.js';

export interface InspectedSignature {
  mediaType: string;
  digest: string;
  signatureAlgorithm: string;
  signedAttributes: Record<string, string>;
  /** null when there are none, as notation prints it. */
  userDefinedAttributes: Record<string, string> | null;
  unsignedAttributes: Record<string, unknown>;
  certificates: { SHA256Fingerprint: string; issuedTo: string; issuedBy: string; expiry: string }[];
  signedArtifact: Descriptor;
}

const ALGORITHM_NAMES: Record<string, string> = {
  PS256: 'RSASSA-PSS-SHA-256',
  PS384: 'RSASSA-PSS-SHA-384',
  PS512: 'RSASSA-PSS-SHA-512',
  ES256: 'ECDSA-SHA-256',
  ES384: 'ECDSA-SHA-384',
  ES512: 'ECDSA-SHA-512',
};

function time(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

export function inspectSignature(
  digest: string,
  mediaType: string,
  content: EnvelopeContent,
): InspectedSignature {
  const payload = parsePayload(content.payload, `signature ${digest}`);
  const signedAttributes: Record<string, string> = {
    [content.signingScheme === 'notary.x509' ? 'signingTime' : 'authenticSigningTime']: time(
      content.signingTime,
    ),
    signingScheme: content.signingScheme,
  };
  if (content.expiry) signedAttributes.expiry = time(content.expiry);
  for (const attribute of content.extendedAttributes) {
    signedAttributes[String(attribute.key)] =
      typeof attribute.value === 'string' ? attribute.value : JSON.stringify(attribute.value);
  }
  const { annotations, ...signedArtifact } = payload.targetArtifact;
  return {
    mediaType,
    digest,
    signatureAlgorithm: ALGORITHM_NAMES[content.algorithm.jws] ?? content.algorithm.jws,
    signedAttributes,
    userDefinedAttributes: annotations && Object.keys(annotations).length > 0 ? annotations : null,
    unsignedAttributes: {
      ...(content.signingAgent ? { signingAgent: content.signingAgent } : {}),
      ...(content.timestampSignature
        ? { timestampSignature: content.timestampSignature.toString('base64') }
        : {}),
    },
    certificates: content.certificateChain.map((cert) => ({
      SHA256Fingerprint: cert.sha256,
      issuedTo: cert.subject,
      issuedBy: cert.issuer,
      expiry: time(cert.notAfter),
    })),
    signedArtifact,
  };
}
