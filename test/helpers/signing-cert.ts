/** A Fulcio v2 `signingCert` request as a client makes it: a fresh P-256 key, its proof of possession. */
import { generateKeyPairSync, sign } from 'node:crypto';

/** POSTs the request to the CA at `url` for `token`, whose challenge claim (email or sub) is `subject`. */
export function requestSigningCertificate(url: string, token: string, subject: string): Promise<Response> {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return fetch(`${url}/api/v2/signingCert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { content: key.publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: sign('sha256', Buffer.from(subject), key.privateKey).toString('base64'),
      },
    }),
  });
}
