/**
 * The CA's key material on disk: a self-signed root, an intermediate that issues the short-lived
 * certificates, the intermediate's private key, and the key of the CA's certificate-transparency log.
 * `sigil ca init` creates it once; servers load it. With a PKCS#11 token (Fulcio's pkcs11ca) the token's
 * key is a self-signed root that issues directly, and its certificate is kept on the token.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePemBlocks, encodePem, SigilError, writeFileAtomic } from '../core/index.js';
import { generateKeyPair, importPrivateKeyPem, keySigner, type Signer } from '../crypto/index.js';
import type { TokenCa } from './token-ca.js';
import { type DistinguishedName, draftCertificate, namedIssuer } from './x509.js';

export interface CaMaterial {
  /** Intermediate first, root last (the order Fulcio's chains use). */
  chain: X509Certificate[];
  /** The issuing key: the intermediate's from intermediate-key.pem, or the token's root key. */
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

/** A self-signed root CA certificate for `signer`'s key, valid ten years. */
function rootCertificate(organization: string, signer: Signer, now: Date): Promise<Buffer> {
  const name: DistinguishedName = { organization, commonName: `${organization} root` };
  return draftCertificate(
    {
      subject: name,
      issuer: namedIssuer(name),
      subjectPublicKey: signer.publicKey,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + 10 * YEAR_MS),
      ca: { pathLength: 1 },
    },
    signer,
  ).sign();
}

/** New root and intermediate; the intermediate's key is `intermediate` or a new P-256 key. */
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
  const rootCert = await rootCertificate(organization, rootSigner, now);
  const intermediateCert = await draftCertificate(
    {
      subject: intermediateName,
      issuer: namedIssuer(rootName, root.publicKey),
      subjectPublicKey: intermediate.publicKey,
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
 * Writes new material into `dir`; refuses to overwrite an existing CA. With `token` (Fulcio's createca)
 * the token key becomes a self-signed root whose certificate is stored on the token and copied to
 * chain.pem; no CA key is written to disk, and serving needs the same token.
 */
export async function initCaMaterial(
  dir: string,
  organization = 'sigil',
  token?: TokenCa,
): Promise<CaMaterial> {
  await mkdir(dir, { recursive: true });
  const privatePem = (key: KeyObject) =>
    encodePem('PRIVATE KEY', key.export({ type: 'pkcs8', format: 'der' }));
  let material: CaMaterial;
  if (token) {
    if (token.certificate()) {
      throw new SigilError('FILE_EXISTS', `a CA certificate already exists: ${token.describe}`);
    }
    const root = await rootCertificate(organization, token.signer, new Date());
    const ctLogKey = generateKeyPair('ecdsa-p256').privateKey;
    // The CT log key is written first: if that fails (an existing CA here), the token is left untouched.
    await writeFileAtomic(join(dir, FILES.ctLogKey), privatePem(ctLogKey), { mode: 0o600, exclusive: true });
    token.storeCertificate(root);
    material = { chain: [new X509Certificate(root)], signer: token.signer, ctLogKey };
  } else {
    const fileKey = generateKeyPair('ecdsa-p256').privateKey;
    material = await createCaMaterial(organization, new Date(), keySigner(fileKey));
    await writeFileAtomic(join(dir, FILES.signingKey), privatePem(fileKey), { mode: 0o600, exclusive: true });
    await writeFileAtomic(join(dir, FILES.ctLogKey), privatePem(material.ctLogKey), {
      mode: 0o600,
      exclusive: true,
    });
  }
  await writeFileAtomic(join(dir, FILES.chain), material.chain.map((cert) => cert.toString()).join(''));
  return material;
}

/**
 * Loads the CA in `dir`; with `token` the issuing key and its certificate are the token's (the CT log key
 * still comes from `dir`).
 */
export async function loadCaMaterial(dir: string, token?: TokenCa): Promise<CaMaterial> {
  const read = async (name: string) => {
    const path = join(dir, name);
    try {
      return { path, text: await readFile(path, 'utf8') };
    } catch {
      throw new SigilError('IO_ERROR', `CA file ${path} is missing`, 'create the CA with `sigil ca init`');
    }
  };
  const ctLogKeyFile = await read(FILES.ctLogKey);
  const { chain, signer, keySource, chainSource } = token ? tokenChain(token) : await fileChain(read);
  if (!chain[0]?.publicKey.equals(signer.publicKey)) {
    throw new SigilError('BAD_KEY', `${keySource} is not the key of the first certificate in ${chainSource}`);
  }
  return { chain, signer, ctLogKey: importPrivateKeyPem(ctLogKeyFile.text, ctLogKeyFile.path) };
}

interface IssuingChain {
  chain: X509Certificate[];
  signer: Signer;
  keySource: string;
  chainSource: string;
}

function tokenChain(token: TokenCa): IssuingChain {
  const der = token.certificate();
  if (!der) {
    throw new SigilError(
      'NOT_FOUND',
      `no CA ${token.describe}`,
      'create it with sigil ca init --pkcs11-config-path ... --hsm-caroot-id ...',
    );
  }
  return {
    chain: [new X509Certificate(der)],
    signer: token.signer,
    keySource: 'the token key',
    chainSource: token.describe,
  };
}

async function fileChain(
  read: (name: string) => Promise<{ path: string; text: string }>,
): Promise<IssuingChain> {
  const chainFile = await read(FILES.chain);
  const chain = decodePemBlocks(chainFile.text, chainFile.path).map(
    (block) => new X509Certificate(block.der),
  );
  const keyFile = await read(FILES.signingKey);
  const signer = keySigner(importPrivateKeyPem(keyFile.text, keyFile.path));
  return { chain, signer, keySource: keyFile.path, chainSource: chainFile.path };
}
