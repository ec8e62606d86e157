/**
 * `notation cert generate-test NAME`: an RSA key (2048 bits unless asked) and a self-signed code-signing
 * certificate for it, as notation makes them (subject C=US, ST=WA, L=Seattle, O=Notary, CN=NAME; key usage
 * digitalSignature, critical; EKU codeSigning; valid one day; not a CA), the key and certificate written to
 * localkeys/NAME.{key,crt}, the key added to signingkeys.json and the certificate to the trust store
 * x509/ca/NAME. For tests and demos: a real deployment brings a CA-issued certificate.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodePem, SigilError, writeFileAtomic } from '../core/index.js';
import { generateKeyPair, loadX509 } from '../crypto/index.js';
import { checkFileName, localKeyPaths, trustStoreDir } from './config-dir.js';
import { addSigningKey, readSigningKeys } from './signing-keys.js';

export interface TestCertificate {
  keyPath: string;
  certPath: string;
  trustStorePath: string;
  notAfter: Date;
}

const RSA_SIZES = { 2048: 'rsa-2048', 3072: 'rsa-3072', 4096: 'rsa-4096' } as const;

export async function generateTestCertificate(
  configDir: string,
  name: string,
  options: { bits?: number; makeDefault?: boolean; now?: Date } = {},
): Promise<TestCertificate> {
  checkFileName(name, 'key');
  const bits = options.bits ?? 2048;
  const algorithm = RSA_SIZES[bits as keyof typeof RSA_SIZES];
  if (!algorithm)
    throw new SigilError('BAD_INPUT', `--bits ${bits}: Notation signs with RSA 2048, 3072 or 4096`);
  if (readSigningKeys(configDir).keys.some((k) => k.name === name)) {
    throw new SigilError('FILE_EXISTS', `signing key ${JSON.stringify(name)} already exists`);
  }
  const { privateKey } = generateKeyPair(algorithm);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const cryptoKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, signingAlgorithm, true, ['sign']);
  const jwk = await webcrypto.subtle.exportKey('jwk', cryptoKey);
  const publicKey = await webcrypto.subtle.importKey(
    'jwk',
    { kty: jwk.kty, n: jwk.n, e: jwk.e },
    signingAlgorithm,
    true,
    ['verify'],
  );
  const x509 = loadX509();
  const now = options.now ?? new Date();
  const notAfter = new Date(now.getTime() + 24 * 3600 * 1000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive serial (the high bit clear).
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    // The order Go's pkix.Name writes its attributes in.
    name: [{ C: ['US'] }, { ST: ['WA'] }, { L: ['Seattle'] }, { O: ['Notary'] }, { CN: [name] }],
    notBefore: now,
    notAfter,
    keys: { privateKey: cryptoKey, publicKey },
    signingAlgorithm,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3']),
    ],
  });
  const certPem = encodePem('CERTIFICATE', new Uint8Array(certificate.rawData));
  const { keyPath, certPath } = localKeyPaths(configDir, name);
  await mkdir(dirname(keyPath), { recursive: true });
  await writeFileAtomic(keyPath, encodePem('PRIVATE KEY', pkcs8), { mode: 0o600, exclusive: true });
  await writeFileAtomic(certPath, certPem, { mode: 0o644, exclusive: true });
  await addSigningKey(configDir, { name, keyPath, certPath }, options.makeDefault ?? false);
  const storeDir = trustStoreDir(configDir, 'ca', name);
  await mkdir(storeDir, { recursive: true });
  const trustStorePath = join(storeDir, `${name}.crt`);
  await writeFileAtomic(trustStorePath, certPem, { mode: 0o644 });
  return { keyPath, certPath, trustStorePath, notAfter };
}
