/**
 * Google Cloud KMS keys (gcpkms://projects/…/cryptoKeys/K[/cryptoKeyVersions/N]) through the Cloud KMS REST
 * API v1, not @google-cloud/kms (gRPC and google-gax; see docs/kms.md). As cosign: the key must have purpose
 * ASYMMETRIC_SIGN; without a version, the newest enabled version signs (listed with state=ENABLED, by name
 * descending); the digest goes to asymmetricSign with its CRC32C, and the answer's CRC32C is checked.
 * Credentials: gcp-auth.ts. The API's address can be changed with SIGIL_GCPKMS_ENDPOINT (tests, private
 * endpoints); it defaults to https://cloudkms.googleapis.com.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { isRecord, SigilError } from '../../core/index.js';
import { assertSupportedKey } from '../keys.js';
import type { DigestAlgorithm } from '../prehashed.js';
import { crc32c } from './crc32c.js';
import { googleAccessToken } from './gcp-auth.js';
import { kmsError, kmsFetch, stringField } from './http.js';
import type { KmsKey, KmsProvider } from './provider.js';
import type { GcpKmsReference } from './uri.js';

const HASH_OF_ALGORITHM: Record<string, DigestAlgorithm> = {
  EC_SIGN_P256_SHA256: 'sha256',
  EC_SIGN_P384_SHA384: 'sha384',
  RSA_SIGN_PKCS1_2048_SHA256: 'sha256',
  RSA_SIGN_PKCS1_3072_SHA256: 'sha256',
  RSA_SIGN_PKCS1_4096_SHA256: 'sha256',
  RSA_SIGN_PKCS1_4096_SHA512: 'sha512',
};

interface GcpSession {
  ref: GcpKmsReference;
  token: string;
  api: string;
}

async function session(ref: GcpKmsReference, env: NodeJS.ProcessEnv): Promise<GcpSession> {
  const api = `${(env.SIGIL_GCPKMS_ENDPOINT ?? 'https://cloudkms.googleapis.com').replace(/\/+$/, '')}/v1`;
  return { ref, token: await googleAccessToken(ref.uri, env), api };
}

async function gcpCall(
  s: GcpSession,
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await kmsFetch(s.ref.uri, {
    method,
    url: `${s.api}/${path}`,
    headers: { Authorization: `Bearer ${s.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return answer;
}

/** The answer of a call that must succeed; a refusal becomes one line with Google's status and message. */
async function gcpRequire(
  s: GcpSession,
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const answer = await gcpCall(s, method, path, body);
  if (answer.status === 200) return answer.json;
  const error = isRecord(answer.json.error) ? answer.json.error : {};
  const cause =
    answer.status === 404
      ? 'no such key'
      : answer.status === 403 || answer.status === 401
        ? 'permission denied'
        : `${method} ${path.split('/').pop()} failed`;
  const detail = `${String(error.status ?? answer.status)}${error.message ? `: ${String(error.message)}` : ''}`;
  throw kmsError(s.ref.uri, answer.status, `${cause} (${detail})`);
}

function keyName(ref: GcpKmsReference): string {
  return `projects/${ref.project}/locations/${ref.location}/keyRings/${ref.keyRing}/cryptoKeys/${ref.cryptoKey}`;
}

async function signingVersion(s: GcpSession): Promise<Record<string, unknown>> {
  const name = keyName(s.ref);
  const key = await gcpRequire(s, 'GET', name);
  if (key.purpose !== 'ASYMMETRIC_SIGN') {
    throw new SigilError('BAD_KEY', `${s.ref.uri}: the key cannot sign (purpose ${String(key.purpose)})`);
  }
  if (s.ref.version) return gcpRequire(s, 'GET', `${name}/cryptoKeyVersions/${s.ref.version}`);
  const listed = await gcpRequire(
    s,
    'GET',
    `${name}/cryptoKeyVersions?filter=${encodeURIComponent('state=ENABLED')}&orderBy=${encodeURIComponent('name desc')}`,
  );
  const [newest] = Array.isArray(listed.cryptoKeyVersions) ? listed.cryptoKeyVersions : [];
  if (!isRecord(newest)) throw new SigilError('BAD_KEY', `${s.ref.uri}: the key has no enabled version`);
  return newest;
}

async function open(ref: GcpKmsReference, env: NodeJS.ProcessEnv): Promise<KmsKey> {
  const s = await session(ref, env);
  const version = await signingVersion(s);
  const versionName = stringField(ref.uri, version, 'name');
  if (version.state !== 'ENABLED') {
    throw new SigilError(
      'BAD_KEY',
      `${ref.uri}: the key version is not enabled (state ${String(version.state)})`,
    );
  }
  const hash = HASH_OF_ALGORITHM[String(version.algorithm)];
  if (!hash) {
    throw new SigilError(
      'BAD_KEY',
      `${ref.uri}: algorithm ${String(version.algorithm)} is not supported (EC_SIGN_* and RSA_SIGN_PKCS1_* are)`,
    );
  }
  const answer = await gcpRequire(s, 'GET', `${versionName}/publicKey`);
  const publicKey = assertSupportedKey(createPublicKey(stringField(ref.uri, answer, 'pem')), ref.uri);
  return {
    publicKey,
    hash,
    signDigest: async (digest) => {
      const signed = await gcpRequire(s, 'POST', `${versionName}:asymmetricSign`, {
        digest: { [hash]: digest.toString('base64') },
        digestCrc32c: String(crc32c(digest)),
      });
      const signature = Buffer.from(stringField(ref.uri, signed, 'signature'), 'base64');
      if (
        signed.verifiedDigestCrc32c !== true ||
        String(signed.signatureCrc32c) !== String(crc32c(signature))
      ) {
        throw new SigilError(
          'SERVICE_ERROR',
          `${ref.uri}: the signature was corrupted in transit (CRC32C mismatch)`,
        );
      }
      return signature;
    },
  };
}

/** cosign's create: the key ring unless it exists, then the key (EC_SIGN_P256_SHA256) unless it exists. */
async function createKey(ref: GcpKmsReference, env: NodeJS.ProcessEnv): Promise<KeyObject> {
  const s = await session(ref, env);
  const location = `projects/${ref.project}/locations/${ref.location}`;
  if ((await gcpCall(s, 'GET', `${location}/keyRings/${ref.keyRing}`)).status === 404) {
    await gcpRequire(s, 'POST', `${location}/keyRings?keyRingId=${encodeURIComponent(ref.keyRing)}`, {});
  }
  if ((await gcpCall(s, 'GET', keyName(ref))).status === 404) {
    await gcpRequire(
      s,
      'POST',
      `${location}/keyRings/${ref.keyRing}/cryptoKeys?cryptoKeyId=${encodeURIComponent(ref.cryptoKey)}`,
      { purpose: 'ASYMMETRIC_SIGN', versionTemplate: { algorithm: 'EC_SIGN_P256_SHA256' } },
    );
  }
  return (await open(ref, env)).publicKey;
}

export const gcpKms: KmsProvider<GcpKmsReference> = { open, createKey };
