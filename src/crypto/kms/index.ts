/**
 * Keys in cloud KMSs and Vault, by cosign's URIs. The provider for a scheme is imported on first use, so a
 * command given a key file loads no KMS code at all.
 */
import type { KeyObject } from 'node:crypto';
import type { Signer } from '../signer.js';
import { type KmsKey, type KmsProvider, kmsKeySigner } from './provider.js';
import { type KmsReference, parseKmsUri } from './uri.js';

export { cachedKmsPublicKey, clearKmsKeyCache, KMS_KEY_TTL_MS } from './key-cache.js';
export type { KmsKey } from './provider.js';
export * from './uri.js';

async function providerFor(ref: KmsReference): Promise<KmsProvider> {
  switch (ref.scheme) {
    case 'awskms':
      return (await import('./aws.js')).awsKms as KmsProvider;
    case 'gcpkms':
      return (await import('./gcp.js')).gcpKms as KmsProvider;
    case 'azurekms':
      return (await import('./azure.js')).azureKms as KmsProvider;
    case 'hashivault':
      return (await import('./vault.js')).vaultKms as KmsProvider;
  }
}

/** The key `uri` names, opened for signing (its public key and algorithm fetched once). */
export async function openKmsKey(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<KmsKey> {
  const ref = parseKmsUri(uri);
  return (await providerFor(ref)).open(ref, env);
}

export async function kmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  return kmsKeySigner(await openKmsKey(uri, env));
}

/** The public key of the KMS key `uri` names, fetched now (policies go through cachedKmsPublicKey). */
export async function kmsPublicKey(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  return (await openKmsKey(uri, env)).publicKey;
}

/** cosign's `generate-key-pair --kms`: the key is created unless it exists; its public key either way. */
export async function createKmsKey(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  const ref = parseKmsUri(uri, '--kms');
  return (await providerFor(ref)).createKey(ref, env);
}
