/**
 * The log's signing identity: an ECDSA P-256 (or Ed25519) key in a PEM file that `sigil tlog init`
 * creates, its log ID (SHA-256 of the DER public key, how Rekor and trust roots name a log), and the
 * note signer that signs checkpoints under the log's name.
 */
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodePem, sha256, writeFileAtomic } from '../core/index.js';
import {
  generateKeyPair,
  importPrivateKeyPem,
  keySigner,
  kmsSigner,
  publicKeyPem,
  type Signer,
} from '../crypto/index.js';
import type { NoteSigner } from './checkpoint.js';

export interface LogKey {
  signer: Signer;
  publicKey: KeyObject;
  /** SHA-256 of the DER SubjectPublicKeyInfo. */
  logId: Buffer;
}

export function logKeyFrom(privateKey: KeyObject): LogKey {
  return logKeyOf(keySigner(privateKey));
}

function logKeyOf(signer: Signer): LogKey {
  const { publicKey } = signer;
  return { signer, publicKey, logId: sha256(publicKey.export({ type: 'spki', format: 'der' })) };
}

/** The log's key in a KMS: every checkpoint and SET is signed there (the key never reaches the log). */
export async function kmsLogKey(uri: string): Promise<LogKey> {
  return logKeyOf(await kmsSigner(uri));
}

export async function loadLogKey(path: string): Promise<LogKey> {
  return logKeyFrom(importPrivateKeyPem(await readFile(path, 'utf8'), path));
}

/** Writes a new key (mode 0600, refusing to overwrite) and its public key next to it (`.pub`). */
export async function createLogKey(
  path: string,
  algorithm: 'ecdsa-p256' | 'ed25519' = 'ecdsa-p256',
): Promise<LogKey> {
  await mkdir(dirname(path), { recursive: true });
  const { privateKey } = generateKeyPair(algorithm);
  await writeFileAtomic(path, encodePem('PRIVATE KEY', privateKey.export({ type: 'pkcs8', format: 'der' })), {
    mode: 0o600,
    exclusive: true,
  });
  const key = logKeyFrom(privateKey);
  await writeFileAtomic(`${path}.pub`, publicKeyPem(key.publicKey));
  return key;
}

/** Rekor's checkpoint key hint: the first four bytes of the log ID. */
export function noteSigner(key: LogKey, name: string): NoteSigner {
  return { name, keyHint: key.logId.subarray(0, 4), sign: (data) => key.signer.sign(data) };
}
