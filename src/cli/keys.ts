/**
 * Resolving `--key` values: a file path, a `pkcs11:` token URI, a Kubernetes Secret `k8s://ns/name`
 * (as cosign: the Secret holds the private key's password too, so nothing is prompted), or a KMS key
 * (awskms://, gcpkms://, azurekms://, hashivault://, whose provider is loaded only then); GitLab references
 * are refused by name.
 */
import type { KeyObject } from 'node:crypto';
import { readUserFile, SigilError } from '../core/index.js';
import {
  decryptPrivateKey,
  isKmsUri,
  isPkcs11Uri,
  keySigner,
  kmsPublicKey,
  kmsSigner,
  loadPublicKeyPem,
  pkcs11PublicKey,
  pkcs11Signer,
  type Signer,
} from '../crypto/index.js';
import { isKeySecretRef, KubeClient, readKeySecret, resolveKubeConnection } from '../kube/index.js';
import { warn } from './output.js';
import { readPassword } from './password.js';

const UNSUPPORTED_SCHEMES = ['gitlab://'];

/** GitLab project variables (cosign's gitlab:// keys) are refused by name: sigil has no GitLab client. */
export function rejectUnsupported(ref: string, flag = '--key'): void {
  const scheme = UNSUPPORTED_SCHEMES.find((s) => ref.startsWith(s));
  if (scheme) {
    throw new SigilError(
      'UNSUPPORTED',
      `${flag} ${ref}: ${scheme} keys are not supported yet`,
      'use a key file (sigil generate-key-pair), a PKCS#11 token, a Kubernetes Secret or a KMS key',
    );
  }
}

export async function loadSigner(ref: string): Promise<Signer> {
  rejectUnsupported(ref);
  if (isKmsUri(ref)) return kmsSigner(ref);
  // The token session stays open for the life of the command, which ends the process when done.
  if (isPkcs11Uri(ref)) return pkcs11Signer(ref);
  const { pem, password } = isKeySecretRef(ref) ? await privateKeyFromSecret(ref) : await privateKeyFile(ref);
  const signer = keySigner(decryptPrivateKey(pem, password, ref));
  if (signer.algorithm === 'Ed25519') {
    // cosign signs with Ed25519ph for Ed25519 keys; Node 20's crypto has only pure Ed25519.
    warn(`${ref}: Ed25519 signatures are pure Ed25519; cosign expects Ed25519ph and will not verify them`);
  }
  return signer;
}

/** A public key file or token key; synchronous, for the log keys named by environment variables. */
export function loadVerificationKey(ref: string): KeyObject {
  rejectUnsupported(ref);
  if (isKmsUri(ref)) {
    throw new SigilError(
      'UNSUPPORTED',
      `${ref}: a KMS key cannot be used here`,
      'give its public key file (sigil public-key --key URI)',
    );
  }
  if (isPkcs11Uri(ref)) return pkcs11PublicKey(ref);
  return loadPublicKeyPem(readUserFile(ref, 'public key').toString('utf8'), ref);
}

/** `--key` of the verifying commands: what loadVerificationKey reads, or cosign.pub of a Secret. */
export async function loadVerificationKeyRef(ref: string): Promise<KeyObject> {
  if (isKmsUri(ref)) return kmsPublicKey(ref);
  if (!isKeySecretRef(ref)) return loadVerificationKey(ref);
  const { publicKeyPem } = await readKeySecret(keySecretClient(ref), ref, ['publicKeyPem']);
  return loadPublicKeyPem(publicKeyPem, ref);
}

interface EncryptedKey {
  pem: string;
  password: string;
}

async function privateKeyFile(path: string): Promise<EncryptedKey> {
  return {
    pem: readUserFile(path, 'private key').toString('utf8'),
    password: await readPassword({ confirm: false }),
  };
}

async function privateKeyFromSecret(ref: string): Promise<EncryptedKey> {
  const secret = await readKeySecret(keySecretClient(ref), ref, ['privateKeyPem', 'password']);
  return { pem: secret.privateKeyPem, password: secret.password };
}

/** The API a `k8s://` key is read from or written to, found as cosign finds it (client-go's defaults). */
export function keySecretClient(ref: string): KubeClient {
  const connection = resolveKubeConnection({ homeKubeconfig: true });
  if (!connection) {
    throw new SigilError(
      'BAD_INPUT',
      `${ref}: no Kubernetes API is configured`,
      'set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account',
    );
  }
  return new KubeClient(connection);
}

/** `--key` help: the key references signing commands take. */
export const SIGNING_KEY_HELP =
  'private key file (encrypted cosign format), pkcs11: URI, k8s://<namespace>/<secret> or KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)';
/** `--key` help: the key references verifying commands take. */
export const VERIFICATION_KEY_HELP =
  'public key file (PEM), pkcs11: URI, k8s://<namespace>/<secret> or KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)';
