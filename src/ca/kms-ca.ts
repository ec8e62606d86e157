/**
 * The CA key in a cloud KMS or Vault, as Fulcio's kmsca keeps it (--kms-resource): the key never leaves
 * the KMS, and its certificate chain (the KMS key's certificate first, the root last) is a PEM file given
 * by --kms-cert-chain-path. `ca init` certifies the key as a self-signed root and writes that file.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodePemBlocks, SigilError } from '../core/index.js';
import { kmsSigner, type Signer } from '../crypto/index.js';

export interface KmsCa {
  kind: 'kms';
  /** The key's URI (awskms://, gcpkms://, azurekms://, hashivault://), for messages. */
  uri: string;
  signer: Signer;
  chainPath: string;
}

/** Opens the KMS key now, so a wrong URI or missing credentials fail before anything is written or served. */
export async function openKmsCa(uri: string, chainPath: string): Promise<KmsCa> {
  return { kind: 'kms', uri, signer: await kmsSigner(uri), chainPath };
}

/**
 * The chain in `kms.chainPath`, each certificate signed by the next (fails closed: a CA must not serve a
 * chain verifiers would reject).
 */
export async function readKmsCaChain(kms: KmsCa): Promise<X509Certificate[]> {
  let text: string;
  try {
    text = await readFile(kms.chainPath, 'utf8');
  } catch {
    throw new SigilError(
      'IO_ERROR',
      `CA certificate chain ${kms.chainPath} is missing`,
      'create it with `sigil ca init --kms-resource URI --kms-cert-chain-path FILE`',
    );
  }
  const chain = decodePemBlocks(text, kms.chainPath).map((block) => new X509Certificate(block.der));
  chain.forEach((cert, i) => {
    const issuer = chain[i + 1] ?? cert;
    // The last certificate is the root: it must be self-signed.
    if (!cert.verify(issuer.publicKey)) {
      throw new SigilError(
        'BAD_CERTIFICATE',
        `certificate ${i + 1} in ${kms.chainPath} is not signed by ${chain[i + 1] ? `certificate ${i + 2}` : 'itself (the last must be the root)'}`,
      );
    }
  });
  return chain;
}
