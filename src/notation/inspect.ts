/**
 * `notation inspect` output: each signature's algorithm, signed and unsigned attributes, user metadata,
 * certificate chain and signed artifact, in the JSON shape notation prints with `--output json`. Reading
 * is not verifying: nothing here is trusted.
 */
import { createHash } from 'node:crypto';
import { derInteger, derSequence, integerContent, messageOf } from '../core/index.js';
import type { Descriptor } from '../oci/index.js';
import { parseTimestampToken } from '../tsa/index.js';
import { parseCertificate } from './certificate.js';
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
  certificates: CertificateView[];
  signedArtifact: Descriptor;
}

interface CertificateView {
  SHA256Fingerprint: string;
  issuedTo: string;
  issuedBy: string;
  expiry: string;
}

/** The timestamp countersignature as notation shows it: the time range it vouches for and the TSA's certificates. */
export type TimestampView = { timestamp: string; certificates: CertificateView[] } | { error: string };

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
        ? { timestampSignature: timestampView(content.timestampSignature, content.signature) }
        : {}),
    },
    certificates: content.certificateChain.map(certificateView),
    signedArtifact,
  };
}

function certificateView(cert: ReturnType<typeof parseCertificate>): CertificateView {
  return {
    SHA256Fingerprint: cert.sha256,
    issuedTo: cert.subject,
    issuedBy: cert.issuer,
    expiry: time(cert.notAfter),
  };
}

/**
 * Reads (does not verify) a TimeStampToken: it is given to the TSA client's reader wrapped as a granted
 * TimeStampResp, and its imprint must be over the envelope's signature, as notation checks before showing it.
 */
export function timestampView(token: Buffer, signature: Buffer): TimestampView {
  try {
    const info = parseTimestampToken(derSequence(derSequence(derInteger(integerContent(0n))), token));
    const imprint = createHash(info.hashAlgorithm).update(signature).digest();
    if (!imprint.equals(info.hashedMessage))
      return { error: 'the timestamp is over other data than the signature' };
    const accuracy = info.accuracyMs ?? 0;
    const from = time(new Date(info.genTime.getTime() - accuracy));
    const to = time(new Date(info.genTime.getTime() + accuracy));
    return {
      timestamp: `[${from}, ${to}]`,
      certificates: info.certificates.map((der, i) =>
        certificateView(parseCertificate(der, `TSA certificate ${i + 1}`)),
      ),
    };
  } catch (err) {
    return { error: `failed to parse timestamp countersignature: ${messageOf(err)}` };
  }
}
