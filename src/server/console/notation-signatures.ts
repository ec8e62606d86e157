/**
 * The Notary Project signatures of an image as the console shows them beside cosign's: each OCI referrer
 * of artifact type application/vnd.cncf.notary.signature, its envelope read (as `sigil notation inspect`
 * reads it) into format, scheme, times, the signing certificate and any timestamp. Reading is not
 * verifying: a trust policy decides that (`sigil notation verify`).
 */
import { type Digest, messageOf } from '../../core/index.js';
import {
  COSE_ENVELOPE,
  fetchSignature,
  listSignatures,
  parseEnvelope,
  timestampView,
} from '../../notation/index.js';
import type { ImageReference, RegistryClient } from '../../oci/index.js';

export interface NotationSignature {
  /** The signature manifest's digest. */
  digest: string;
  format: 'JWS' | 'COSE';
  signingScheme: string;
  signatureAlgorithm: string;
  /** ISO times; the authentic signing time under notary.x509.signingAuthority. */
  signingTime: string;
  expiry?: string;
  subject: string;
  issuer: string;
  certificateExpiry: string;
  /** The RFC 3161 countersignature's time range, or why it could not be read. */
  timestamp?: string;
  signingAgent?: string;
}

export async function notationSignatures(
  client: RegistryClient,
  image: ImageReference & { digest: Digest },
  problems: string[],
): Promise<NotationSignature[]> {
  let listed: { digest: Digest }[];
  try {
    listed = await listSignatures(client, image, image.digest);
  } catch (err) {
    problems.push(`notation signatures: ${messageOf(err)}`);
    return [];
  }
  const signatures: NotationSignature[] = [];
  for (const { digest } of listed) {
    try {
      const fetched = await fetchSignature(client, image, image.digest, digest);
      const content = parseEnvelope(fetched.mediaType, fetched.envelope, `signature ${digest}`);
      const leaf = content.certificateChain[0];
      const timestamp = content.timestampSignature
        ? timestampView(content.timestampSignature, content.signature)
        : undefined;
      signatures.push({
        digest,
        format: fetched.mediaType === COSE_ENVELOPE ? 'COSE' : 'JWS',
        signingScheme: content.signingScheme,
        signatureAlgorithm: content.algorithm.jws,
        signingTime: content.signingTime.toISOString(),
        ...(content.expiry ? { expiry: content.expiry.toISOString() } : {}),
        subject: leaf?.subject ?? '',
        issuer: leaf?.issuer ?? '',
        certificateExpiry: leaf?.notAfter.toISOString() ?? '',
        ...(timestamp ? { timestamp: 'error' in timestamp ? timestamp.error : timestamp.timestamp } : {}),
        ...(content.signingAgent ? { signingAgent: content.signingAgent } : {}),
      });
    } catch (err) {
      problems.push(`notation signature ${digest}: ${messageOf(err)}`);
    }
  }
  return signatures;
}
