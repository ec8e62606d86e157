/**
 * The CA's key material on disk: a self-signed root, an intermediate that issues the short-lived
 * certificates, the intermediate's private key, and the key of the CA's certificate-transparency log.
 * `sigil ca init` creates it once; servers load it.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePemBlocks, encodePem, SigilError, writeFileAtomic } from '../core/index.js';
import { generateKeyPair, importPrivateKeyPem } from '../crypto/index.js';
import { type DistinguishedName, draftCertificate } from './x509.js';

export interface CaMaterial {
  /** Intermediate first, root last (the order Fulcio's chains use). */
  chain: X509Certificate[];
  signingKey: KeyObject;
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

export function createCaMaterial(organization = 'sigil', now = new Date()): CaMaterial {
  const root = generateKeyPair('ecdsa-p384');
  const intermediate = generateKeyPair('ecdsa-p256');
  const rootName: DistinguishedName = { organization, commonName: `${organization} root` };
  const intermediateName: DistinguishedName = { organization, commonName: `${organization} intermediate` };
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const rootCert = draftCertificate(
    {
      subject: rootName,
      issuer: rootName,
      subjectPublicKey: root.publicKey,
      notBefore,
      notAfter: new Date(now.getTime() + 10 * YEAR_MS),
      ca: { pathLength: 1 },
    },
    root.privateKey,
  ).sign();
  const intermediateCert = draftCertificate(
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
    root.privateKey,
  ).sign();
  return {
    chain: [new X509Certificate(intermediateCert), new X509Certificate(rootCert)],
    signingKey: intermediate.privateKey,
    ctLogKey: generateKeyPair('ecdsa-p256').privateKey,
  };
}

/** Writes new material into `dir`; refuses to overwrite an existing CA. */
export async function initCaMaterial(dir: string, organization?: string): Promise<CaMaterial> {
  await mkdir(dir, { recursive: true });
  const material = createCaMaterial(organization);
  const privatePem = (key: KeyObject) =>
    encodePem('PRIVATE KEY', key.export({ type: 'pkcs8', format: 'der' }));
  await writeFileAtomic(join(dir, FILES.signingKey), privatePem(material.signingKey), {
    mode: 0o600,
    exclusive: true,
  });
  await writeFileAtomic(join(dir, FILES.ctLogKey), privatePem(material.ctLogKey), {
    mode: 0o600,
    exclusive: true,
  });
  await writeFileAtomic(join(dir, FILES.chain), material.chain.map((cert) => cert.toString()).join(''));
  return material;
}

export async function loadCaMaterial(dir: string): Promise<CaMaterial> {
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
  const signingKeyFile = await read(FILES.signingKey);
  const ctLogKeyFile = await read(FILES.ctLogKey);
  const material = {
    chain,
    signingKey: importPrivateKeyPem(signingKeyFile.text, signingKeyFile.path),
    ctLogKey: importPrivateKeyPem(ctLogKeyFile.text, ctLogKeyFile.path),
  };
  const issuing = chain[0];
  if (!issuing?.publicKey.equals(createPublicKey(material.signingKey))) {
    throw new SigilError(
      'BAD_KEY',
      `${signingKeyFile.path} is not the key of the first certificate in ${chainFile.path}`,
    );
  }
  return material;
}
