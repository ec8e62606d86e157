/**
 * Fulcio's legacy v1 API (`POST /api/v1/signingCert`), which cosign v2 still calls when given
 * `--fulcio-url`: the token in `Authorization: Bearer`, the key as base64 DER (or PEM) with
 * `signedEmailAddress` as its proof of possession, or a base64 PEM CSR. Fulcio answers it through its v2
 * service, and so does this: the request is translated to the v2 shape and parsed by the same rules.
 */
import { encodePem, fromBase64, lazy, loadZod, SigilError } from '../core/index.js';
import { parseSigningCertRequest, type SigningCertRequest } from './request.js';

// Go clients send absent byte fields as null.
// Built on first use: zod stays off the client commands' start-up path (see core/lazy.ts).
const legacySchema = lazy(() => {
  const { z } = loadZod();
  return z.object({
    publicKey: z.object({ algorithm: z.string().nullish(), content: z.string().min(1) }).nullish(),
    signedEmailAddress: z.string().min(1).nullish(),
    certificateSigningRequest: z.string().min(1).nullish(),
  });
});

export function parseLegacySigningCertRequest(body: unknown, authorization?: string): SigningCertRequest {
  const parsed = legacySchema().safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SigilError(
      'BAD_INPUT',
      `signing certificate request (v1): ${issue?.path.join('.') || 'body'}: ${issue?.message}`,
    );
  }
  const { publicKey, signedEmailAddress, certificateSigningRequest } = parsed.data;
  if (publicKey && !signedEmailAddress) {
    throw new SigilError('BAD_INPUT', 'signing certificate request (v1): publicKey needs signedEmailAddress');
  }
  return parseSigningCertRequest(
    {
      ...(publicKey && signedEmailAddress
        ? {
            publicKeyRequest: {
              publicKey: { content: publicKeyPem(publicKey.content) },
              proofOfPossession: signedEmailAddress,
            },
          }
        : {}),
      ...(certificateSigningRequest ? { certificateSigningRequest } : {}),
    },
    authorization,
    { publicKey: 'publicKey.content', proof: 'signedEmailAddress' },
  );
}

/**
 * The v1 `content` is protobuf bytes (base64 in JSON) holding a DER SubjectPublicKeyInfo or a PEM key.
 * DER is wrapped as PEM unparsed: the v2 rules parse it once (naming the v1 field if it is no key).
 */
function publicKeyPem(content: string): string {
  const bytes = fromBase64(content, 'publicKey.content');
  if (bytes.toString('latin1').startsWith('-----BEGIN')) return bytes.toString('utf8');
  return encodePem('PUBLIC KEY', bytes);
}
