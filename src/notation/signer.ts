/**
 * The key that signs a Notation signature: a key file (PKCS#8, PKCS#1 or SEC 1 PEM, unencrypted, as
 * notation reads it) or a PKCS#11 token key (crypto/pkcs11.ts, as `--key pkcs11:` does), with its
 * certificate chain file (PEM, leaf first). The leaf must certify that key.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { messageOf, readUserFile, SigilError } from '../core/index.js';
import { isPkcs11Uri, type NistCurve, nobleCurves, pkcs11Signer } from '../crypto/index.js';
import { algorithmForKey, signWith } from './algorithms.js';
import type { NotationSigner } from './envelope-content.js';
import type { SigningKeyEntry } from './signing-keys.js';
import { readCertificateFile } from './trust-store.js';

export interface LoadedSigner extends NotationSigner {
  /** Releases a token session; a no-op for key files. */
  close(): void;
}

export function loadNotationSigner(entry: SigningKeyEntry): LoadedSigner {
  const where = `signing key ${JSON.stringify(entry.name)}`;
  if (entry.pluginName !== undefined) {
    throw new SigilError(
      'UNSUPPORTED',
      `${where}: plugin keys (${entry.pluginName}) are not supported by sigil`,
      'use a key file or a pkcs11: key',
    );
  }
  if (!entry.keyPath || !entry.certPath)
    throw new SigilError('BAD_INPUT', `${where}: needs keyPath and certPath`);
  const chain = readCertificateFile(entry.certPath);
  const leaf = chain[0];
  if (!leaf) throw new SigilError('BAD_CERTIFICATE', `${entry.certPath}: no certificate`);
  const certificateChain = chain.map((c) => c.der);
  const matches = (publicKey: KeyObject) =>
    (publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey)
      .export({ type: 'spki', format: 'der' })
      .equals(leaf.x509.publicKey.export({ type: 'spki', format: 'der' }));
  if (isPkcs11Uri(entry.keyPath)) {
    const token = pkcs11Signer(entry.keyPath);
    try {
      if (!matches(token.publicKey))
        throw new SigilError('BAD_KEY', `${where}: ${entry.certPath} does not certify the token key`);
      const algorithm = algorithmForKey(token.publicKey, where);
      const { signRsaPss } = token;
      if (algorithm.rsa && signRsaPss) {
        return {
          algorithm,
          certificateChain,
          sign: (data) => signRsaPss(data, algorithm.hash),
          close: token.close,
        };
      }
      const curve = token.publicKey.asymmetricKeyDetails?.namedCurve as NistCurve;
      return {
        algorithm,
        certificateChain,
        // The token signer returns DER (cosign's form); JWS and COSE carry r||s.
        sign: async (data) =>
          Buffer.from(
            nobleCurves()
              [curve].Signature.fromDER(await token.sign(data))
              .toCompactRawBytes(),
          ),
        close: token.close,
      };
    } catch (err) {
      token.close();
      throw err;
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readUserFile(entry.keyPath, 'private key'));
  } catch (err) {
    if (err instanceof SigilError) throw err;
    throw new SigilError('BAD_KEY', `${entry.keyPath}: not an unencrypted private key (${messageOf(err)})`);
  }
  if (!matches(privateKey))
    throw new SigilError('BAD_KEY', `${where}: ${entry.certPath} does not certify ${entry.keyPath}`);
  const algorithm = algorithmForKey(privateKey, where);
  return {
    algorithm,
    certificateChain,
    sign: async (data) => signWith(algorithm, privateKey, data),
    close: () => undefined,
  };
}
