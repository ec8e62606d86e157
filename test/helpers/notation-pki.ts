/**
 * Throw-away code-signing PKIs for Notation tests: a root CA and a leaf with the Notary Project's
 * extensions (ECDSA P-256, fast to make), or variants that break one rule, and a NotationSigner over the
 * leaf key.
 */
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { loadX509 } from '../../src/crypto/index.js';
import { algorithmForKey, type NotationSigner, signWith } from '../../src/notation/index.js';

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 24 * 3600 * 1000;

export interface TestPki {
  rootDer: Buffer;
  leafDer: Buffer;
  /** The leaf's private key, PKCS#8 PEM (a key file notation and sigil read). */
  keyPem: string;
  signer: NotationSigner;
}

export interface PkiOptions {
  leafSubject?: string;
  leafNotBefore?: Date;
  leafNotAfter?: Date;
  ocspUrl?: string;
  /** The leaf is a CA (forbidden for a signing certificate). */
  leafIsCa?: boolean;
}

function serial(): string {
  return `01${randomBytes(8).toString('hex')}`;
}

export async function makePki(options: PkiOptions = {}): Promise<TestPki> {
  const leafKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const { rootDer, leafDer } = await certify(leafKeys.publicKey, options);
  const privateKey = KeyObject.from(leafKeys.privateKey);
  const algorithm = algorithmForKey(privateKey, 'test key');
  return {
    rootDer,
    leafDer,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    signer: {
      algorithm,
      certificateChain: [leafDer, rootDer],
      sign: async (data) => signWith(algorithm, privateKey, data),
    },
  };
}

/** A root CA and a code-signing leaf certificate for `publicKey` (a P-256 or RSA key held elsewhere: a token). */
export async function certifyKey(publicKey: KeyObject): Promise<{ rootDer: Buffer; leafDer: Buffer }> {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const algorithm =
    publicKey.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : P256;
  return certify(await webcrypto.subtle.importKey('spki', der, algorithm, true, ['verify']), {});
}

async function certify(
  leafPublicKey: webcrypto.CryptoKey,
  options: PkiOptions,
): Promise<{ rootDer: Buffer; leafDer: Buffer }> {
  const x509 = loadX509();
  const rootKeys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const now = Date.now();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'C=US, ST=WA, O=Test Root, CN=Test Root',
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now + 365 * DAY),
    keys: rootKeys,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: options.leafSubject ?? 'C=US, ST=WA, L=Seattle, O=wabbit-networks.io, CN=signer',
    issuer: root.subject,
    notBefore: options.leafNotBefore ?? new Date(now - DAY),
    notAfter: options.leafNotAfter ?? new Date(now + 30 * DAY),
    publicKey: leafPublicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(Boolean(options.leafIsCa), undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3']),
      ...(options.ocspUrl ? [new x509.AuthorityInfoAccessExtension({ ocsp: options.ocspUrl })] : []),
    ],
  });
  return { rootDer: Buffer.from(root.rawData), leafDer: Buffer.from(leaf.rawData) };
}
