/** Resolving `--key` values: a file path or a `pkcs11:` token URI; KMS and Kubernetes references are named clearly. */
import type { KeyObject } from 'node:crypto';
import { readUserFile, SigilError } from '../core/index.js';
import {
  decryptPrivateKey,
  isPkcs11Uri,
  keySigner,
  loadPublicKeyPem,
  pkcs11PublicKey,
  pkcs11Signer,
  type Signer,
} from '../crypto/index.js';
import { warn } from './output.js';
import { readPassword } from './password.js';

const UNSUPPORTED_SCHEMES = ['awskms://', 'gcpkms://', 'azurekms://', 'hashivault://', 'k8s://', 'gitlab://'];

function rejectUnsupported(ref: string): void {
  const scheme = UNSUPPORTED_SCHEMES.find((s) => ref.startsWith(s));
  if (scheme) {
    throw new SigilError(
      'UNSUPPORTED',
      `--key ${ref}: ${scheme} keys are not supported yet`,
      'use a key file (sigil generate-key-pair)',
    );
  }
}

export async function loadSigner(ref: string): Promise<Signer> {
  rejectUnsupported(ref);
  // The token session stays open for the life of the command, which ends the process when done.
  if (isPkcs11Uri(ref)) return pkcs11Signer(ref);
  const pem = readUserFile(ref, 'private key').toString('utf8');
  const password = await readPassword({ confirm: false });
  const signer = keySigner(decryptPrivateKey(pem, password, ref));
  if (signer.algorithm === 'Ed25519') {
    // cosign signs with Ed25519ph for Ed25519 keys; Node 20's crypto has only pure Ed25519.
    warn(`${ref}: Ed25519 signatures are pure Ed25519; cosign expects Ed25519ph and will not verify them`);
  }
  return signer;
}

export function loadVerificationKey(ref: string): KeyObject {
  rejectUnsupported(ref);
  if (isPkcs11Uri(ref)) return pkcs11PublicKey(ref);
  return loadPublicKeyPem(readUserFile(ref, 'public key').toString('utf8'), ref);
}
