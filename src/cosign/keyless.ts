/**
 * Keyless signing: an ephemeral key pair, held only in memory, gets a short-lived certificate for the
 * signer's OIDC identity from the CA. The key proves possession by signing the token's challenge claim
 * (its verified email, else its subject), which is what Fulcio checks.
 */
import { decodeJwt } from 'jose/jwt/decode';
import { FulcioClient } from '../ca/index.js';
import { SigilError } from '../core/index.js';
import { generateKeyPair, keySigner, type Signer } from '../crypto/index.js';

export async function keylessSigner(fulcioUrl: string, identityToken: string): Promise<Signer> {
  const signer = keySigner(generateKeyPair('ecdsa-p256').privateKey);
  const proof = await signer.sign(Buffer.from(challengeClaim(identityToken), 'utf8'));
  const chain = await new FulcioClient(fulcioUrl).signingCertificate(identityToken, signer.publicKey, proof);
  return { ...signer, certificateChain: chain };
}

function challengeClaim(token: string): string {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new SigilError('BAD_TOKEN', 'the identity token is not a JWT');
  }
  if (typeof claims.email === 'string' && claims.email_verified === true) return claims.email;
  if (typeof claims.sub === 'string') return claims.sub;
  throw new SigilError('BAD_TOKEN', 'the identity token has no subject (sub) claim');
}
