/**
 * The CA's key material on disk: a self-signed root, an intermediate that issues the short-lived
 * certificates, the intermediate's private key, and the key of the CA's certificate-transparency log.
 * `sigil ca init` creates it once; servers load it.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePemBlocks, encodePem, SigilError, writeFileAtomic } from '../core/index.js';
import { generateKeyPair, importPrivateKeyPem, keySigner, type Signer } from '../crypto/index.js';
import { type DistinguishedName, draftCertificate } from './x509.js';

export interface CaMaterial {
  /** Intermediate first, root last (the order Fulcio's chains use). */
  chain: X509Certificate[];
  /** The intermediate's key: from intermediate-key.pem, or on a PKCS#11 token. */
  signer: Signer;
  ctLogKey: KeyObject;
}

const FILES = {
  chain: 'chain.pem',
  signingKey: 'intermediate-key.pem',
  ctLogKey: 'ctlog-key.pem',
} as const;

const YEAR_MS = 365 * 24 * 3600_000;
// Back-dated so that clocks a little behind ours still accept the chain.
const BACKDATE_MS = 5 * 60_000;

/** New root and intermediate; the intermediate's key is `intermediate` (a token key) or a new P-256 key. */
export async function createCaMaterial(
  organization = 'sigil',
  now = new Date(),
  intermediate: Signer = keySigner(generateKeyPair('ecdsa-p256').privateKey),
): Promise<CaMaterial> {
  const root = generateKeyPair('ecdsa-p384');
  const rootSigner = keySigner(root.privateKey);
  const rootName: DistinguishedName = { organization, commonName: `${organization} root` };
  const intermediateName: DistinguishedName = { organization, commonName: `${organization} intermediate` };
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const rootCert = await draftCertificate(
    {
      subject: rootName,
      issuer: rootName,
      subjectPublicKey: root.publicKey,
      notBefore,
      notAfter: new Date(now.getTime() + 10 * YEAR_MS),
      ca: { pathLength: 1 },
    },
    rootSigner,
  ).sign();
  const intermediateCert = await draftCertificate(
    {
      subject: intermediateName,
      issuer: rootName,
      subjectPublicKey: intermediate.publicKey,
      issuerPublicKey: root.publicKey,
      notBefore,
      notAfter: new Date(now.getTime() + 5 * YEAR_MS),
      ca: { pathLength: 0 },
      // Fulcio's intermediates carry EKU codeSigning, so chains validate under that usage.
      codeSigning: true,
    },
    rootSigner,
  ).sign();
  return {
    chain: [new X509Certificate(intermediateCert), new X509Certificate(rootCert)],
    signer: intermediate,
    ctLogKey: generateKeyPair('ecdsa-p256').privateKey,
  };
}

/**
 * Writes new material into `dir`; refuses to overwrite an existing CA. With `tokenKey` the intermediate's
 * key stays on the token and no intermediate-key.pem is written; serving then needs the same token key.
 */
export async function initCaMaterial(
  dir: string,
  organization?: string,
  tokenKey?: Signer,
): Promise<CaMaterial> {
  await mkdir(dir, { recursive: true });
  const fileKey = tokenKey ? undefined : generateKeyPair('ecdsa-p256').privateKey;
  const material = await createCaMaterial(organization, new Date(), fileKey ? keySigner(fileKey) : tokenKey);
  const privatePem = (key: KeyObject) =>
    encodePem('PRIVATE KEY', key.export({ type: 'pkcs8', format: 'der' }));
  if (fileKey) {
    await writeFileAtomic(join(dir, FILES.signingKey), privatePem(fileKey), {
      mode: 0o600,
      exclusive: true,
    });
  }
  await writeFileAtomic(join(dir, FILES.ctLogKey), privatePem(material.ctLogKey), {
    mode: 0o600,
    exclusive: true,
  });
  await writeFileAtomic(join(dir, FILES.chain), material.chain.map((cert) => cert.toString()).join(''));
  return material;
}

/** Loads the CA in `dir`; with `tokenKey` the intermediate's key is that token key instead of intermediate-key.pem. */
export async function loadCaMaterial(dir: string, tokenKey?: Signer): Promise<CaMaterial> {
  const read = async (name: string) => {
    const path = join(dir, name);
    try {
      return { path, text: await readFile(path, 'utf8') };
    } catch {
      throw new SigilError('IO_ERROR', `CA file ${path} is missing`, 'create the CA with `sigil ca init`');
    }
  };
  const chainFile = await read(FILES.chain);
  const chain = decodePemBlocks(chainFile.text, chainFile.path).map(
    (block) => new X509Certificate(block.der),
  );
  const ctLogKeyFile = await read(FILES.ctLogKey);
  let signer = tokenKey;
  let keySource = 'the token key';
  if (!signer) {
    const keyFile = await read(FILES.signingKey);
    signer = keySigner(importPrivateKeyPem(keyFile.text, keyFile.path));
    keySource = keyFile.path;
  }
  const issuing = chain[0];
  if (!issuing?.publicKey.equals(signer.publicKey)) {
    throw new SigilError(
      'BAD_KEY',
      `${keySource} is not the key of the first certificate in ${chainFile.path}`,
    );
  }
  return { chain, signer, ctLogKey: importPrivateKeyPem(ctLogKeyFile.text, ctLogKeyFile.path) };
}
