/** A client of Fulcio's v2 REST API (ours or any Fulcio): a certificate for a key, given an OIDC token. */
import type { KeyObject } from 'node:crypto';
import { callService, isRecord, SigilError } from '../core/index.js';

export class FulcioClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** The PEM chain (leaf first) for `publicKey`; `proof` is the key's signature over the token's subject. */
  async signingCertificate(token: string, publicKey: KeyObject, proof: Buffer): Promise<string[]> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/api/v2/signingCert`;
    const request = {
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { algorithm: 'ECDSA', content: publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: proof.toString('base64'),
      },
    };
    const response = await callService('POST', url, {
      body: request,
      timeoutMs: this.timeoutMs,
      unreachableHint: 'is the certificate authority running at --fulcio-url?',
    });
    const answer: unknown = await response.json().catch(() => undefined);
    return chainOf(answer, url);
  }
}

function chainOf(answer: unknown, url: string): string[] {
  const signed = isRecord(answer)
    ? (answer.signedCertificateEmbeddedSct ?? answer.signedCertificateDetachedSct)
    : undefined;
  const certificates = isRecord(signed) && isRecord(signed.chain) ? signed.chain.certificates : undefined;
  if (
    !Array.isArray(certificates) ||
    certificates.length === 0 ||
    !certificates.every((c) => typeof c === 'string')
  ) {
    throw new SigilError('BAD_JSON', `POST ${url}: the answer holds no certificate chain`);
  }
  return certificates;
}
