/**
 * HashiCorp Vault / OpenBao transit keys (hashivault://KEY, openbao://KEY), through Vault's documented HTTP
 * API (there is no official Node SDK). As cosign: the server from VAULT_ADDR (or BAO_ADDR), the token from
 * VAULT_TOKEN (or BAO_TOKEN, else ~/.vault-token), the engine mounted at TRANSIT_SECRET_ENGINE_PATH (default
 * `transit`), VAULT_NAMESPACE sent as X-Vault-Namespace. Signing sends the digest with `prehashed: true` to
 * sign/KEY/sha2-NNN and strips the `vault:vN:` prefix of the answer; RSA keys sign PKCS#1 v1.5.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isRecord, SigilError } from '../../core/index.js';
import { assertSupportedKey } from '../keys.js';
import type { DigestAlgorithm } from '../prehashed.js';
import { kmsError, kmsFetch, stringField } from './http.js';
import { defaultHash, type KmsKey, type KmsProvider } from './provider.js';
import type { VaultKmsReference } from './uri.js';

const HASH_PATH: Record<DigestAlgorithm, string> = {
  sha256: 'sha2-256',
  sha384: 'sha2-384',
  sha512: 'sha2-512',
};

interface VaultServer {
  address: string;
  headers: Record<string, string>;
  mount: string;
}

function server(ref: VaultKmsReference, env: NodeJS.ProcessEnv): VaultServer {
  const address = env.VAULT_ADDR ?? env.BAO_ADDR;
  if (!address) {
    throw new SigilError(
      'BAD_INPUT',
      `${ref.uri}: VAULT_ADDR is not set`,
      'set VAULT_ADDR to the Vault server URL',
    );
  }
  const token = env.VAULT_TOKEN ?? env.BAO_TOKEN ?? tokenFile(env);
  if (!token) {
    throw new SigilError(
      'BAD_TOKEN',
      `${ref.uri}: no Vault token (VAULT_TOKEN is not set and there is no ~/.vault-token)`,
      'set VAULT_TOKEN',
    );
  }
  return {
    address: address.replace(/\/+$/, ''),
    headers: {
      'X-Vault-Token': token,
      ...(env.VAULT_NAMESPACE ? { 'X-Vault-Namespace': env.VAULT_NAMESPACE } : {}),
    },
    mount: (env.TRANSIT_SECRET_ENGINE_PATH || 'transit').replace(/^\/+|\/+$/g, ''),
  };
}

function tokenFile(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return readFileSync(join(env.HOME ?? homedir(), '.vault-token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

async function vaultCall(
  ref: VaultKmsReference,
  vault: VaultServer,
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const answer = await kmsFetch(ref.uri, {
    method,
    url: `${vault.address}/v1/${vault.mount}/${path}`,
    headers: { ...vault.headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (answer.status >= 200 && answer.status < 300) return answer.json;
  const errors = Array.isArray(answer.json.errors)
    ? answer.json.errors.map((e) => String(e).trim()).join('; ')
    : '';
  const cause =
    answer.status === 403
      ? 'permission denied (the Vault token was refused or lacks the policy)'
      : answer.status === 404
        ? `no such key in the transit engine at ${vault.mount}/`
        : `${method} ${path} failed`;
  throw kmsError(ref.uri, answer.status, `${cause} (Vault ${answer.status}${errors ? `: ${errors}` : ''})`);
}

/** The key's latest version's public key, as cosign reads it (ed25519 keys come as raw base64). */
function publicKeyOf(ref: VaultKmsReference, data: Record<string, unknown>): KeyObject {
  const latest = String(data.latest_version ?? '');
  const keys = isRecord(data.keys) ? data.keys : {};
  const version = keys[latest];
  if (!isRecord(version) || typeof version.public_key !== 'string' || version.public_key === '') {
    throw new SigilError(
      'BAD_KEY',
      `${ref.uri}: the transit key has no public key (type ${String(data.type)}: not an asymmetric signing key)`,
    );
  }
  if (data.type === 'ed25519') {
    const raw = Buffer.from(version.public_key, 'base64');
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
  }
  return assertSupportedKey(createPublicKey(version.public_key), ref.uri);
}

async function open(ref: VaultKmsReference, env: NodeJS.ProcessEnv): Promise<KmsKey> {
  const vault = server(ref, env);
  const key = await vaultCall(ref, vault, 'GET', `keys/${ref.keyName}`);
  const data = isRecord(key.data) ? key.data : {};
  const publicKey = publicKeyOf(ref, data);
  const hash = defaultHash(publicKey, ref.uri);
  return {
    publicKey,
    hash,
    signDigest: async (digest) => {
      const signed = await vaultCall(ref, vault, 'POST', `sign/${ref.keyName}/${HASH_PATH[hash]}`, {
        input: digest.toString('base64'),
        prehashed: true,
        signature_algorithm: 'pkcs1v15',
      });
      const signature = stringField(ref.uri, signed, 'data.signature');
      // Vault prefixes its signatures with the key version that made them: `vault:v3:BASE64`.
      return Buffer.from(signature.replace(/^vault:v\d+:/, ''), 'base64');
    },
  };
}

/** cosign's create: a transit key of type ecdsa-p256 (an existing key of that name is kept by Vault). */
async function createKey(ref: VaultKmsReference, env: NodeJS.ProcessEnv): Promise<KeyObject> {
  const vault = server(ref, env);
  await vaultCall(ref, vault, 'POST', `keys/${ref.keyName}`, { type: 'ecdsa-p256' });
  return (await open(ref, env)).publicKey;
}

export const vaultKms: KmsProvider<VaultKmsReference> = { open, createKey };
