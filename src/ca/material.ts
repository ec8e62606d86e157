/**
 * The CA's key material on disk: a self-signed root, an intermediate that issues the short-lived
 * certificates, the intermediate's private key, and the key of the CA's certificate-transparency log.
 * `sigil ca init` creates it once; servers load it. With a PKCS#11 token (Fulcio's pkcs11ca) the token's
 * key is a self-signed root that issues directly, and its certificate is kept on the token; with a KMS key
 * (Fulcio's kmsca) likewise, its chain kept in a file of its own.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePemBlocks, encodePem, SigilError, writeFileAtomic } from '../core/index.js';
import { generateKeyPair, importPrivateKeyPem, keySigner, type Signer } from '../crypto/index.js';
import { type KmsCa, readKmsCaChain } from './kms-ca.js';
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

/** Where the CA's issuing key is held when it is not a file in the data directory. */
export type HeldCaKey = TokenCa | KmsCa;

const isKms = (held: HeldCaKey | undefined): held is KmsCa => held !== undefined && 'kind' in held;

const privatePem = (key: KeyObject) => encodePem('PRIVATE KEY', key.export({ type: 'pkcs8', format: 'der' }));

/**
 * Writes new material into `dir`; refuses to overwrite an existing CA. With `token` (Fulcio's createca)
 * the token key becomes a self-signed root whose certificate is stored on the token and copied to
 * chain.pem; no CA key is written to disk, and serving needs the same token. With a KMS key the same,
 * the root written to its chain file.
 */
export async function initCaMaterial(
  dir: string,
  organization = 'sigil',
  token?: HeldCaKey,
): Promise<CaMaterial> {
  await mkdir(dir, { recursive: true });
  if (isKms(token)) return initKmsCaMaterial(dir, organization, token);
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
  await writeFileAtomic(join(dir, FILES.chain), chainPem(material.chain));
  return material;
}

const chainPem = (chain: X509Certificate[]) => chain.map((cert) => cert.toString()).join('');

/**
 * The KMS key certified as a self-signed root, written to its chain file; a chain file already there (one
 * from your own PKI, say) is kept once it checks out, and only the CT log key is created.
 */
async function initKmsCaMaterial(dir: string, organization: string, kms: KmsCa): Promise<CaMaterial> {
  const existing = existsSync(kms.chainPath) ? issuingChecked(await kmsChain(kms)) : undefined;
  const chain = existing ?? [
    new X509Certificate(await rootCertificate(organization, kms.signer, new Date())),
  ];
  const ctLogKey = generateKeyPair('ecdsa-p256').privateKey;
  // The CT log key first: an existing CA in `dir` stops init before the chain file is touched.
  await writeFileAtomic(join(dir, FILES.ctLogKey), privatePem(ctLogKey), { mode: 0o600, exclusive: true });
  if (!existing) await writeFileAtomic(kms.chainPath, chainPem(chain), { exclusive: true });
  return { chain, signer: kms.signer, ctLogKey };
}

/**
 * Loads the CA in `dir`; with `token` the issuing key and its certificate are the token's, with a KMS key
 * the chain is its chain file's (the CT log key still comes from `dir`).
 */
export async function loadCaMaterial(dir: string, token?: HeldCaKey): Promise<CaMaterial> {
  const read = async (name: string) => {
    const path = join(dir, name);
    try {
      return { path, text: await readFile(path, 'utf8') };
    } catch {
      throw new SigilError('IO_ERROR', `CA file ${path} is missing`, 'create the CA with `sigil ca init`');
    }
  };
  const ctLogKeyFile = await read(FILES.ctLogKey);
  const { chain, signer, keySource, chainSource } = isKms(token)
    ? await kmsChain(token)
    : token
      ? tokenChain(token)
      : await fileChain(read);
  return {
    chain: issuingChecked({ chain, signer, keySource, chainSource }),
    signer,
    ctLogKey: importPrivateKeyPem(ctLogKeyFile.text, ctLogKeyFile.path),
  };
}

/** The chain, once its first certificate is known to be the issuing key's. */
function issuingChecked({ chain, signer, keySource, chainSource }: IssuingChain): X509Certificate[] {
  if (!chain[0]?.publicKey.equals(signer.publicKey)) {
    throw new SigilError('BAD_KEY', `${keySource} is not the key of the first certificate in ${chainSource}`);
  }
  return chain;
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

async function kmsChain(kms: KmsCa): Promise<IssuingChain> {
  return {
    chain: await readKmsCaChain(kms),
    signer: kms.signer,
    keySource: `the KMS key ${kms.uri}`,
    chainSource: kms.chainPath,
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
