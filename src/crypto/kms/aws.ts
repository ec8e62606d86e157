/**
 * AWS KMS keys (awskms://): GetPublicKey for the key and the algorithms it allows, Sign with MessageType
 * DIGEST and the first algorithm the key lists (what cosign signs with), CreateKey + CreateAlias for
 * `generate-key-pair --kms` (ECC_NIST_P256, cosign's default). Calls are the documented JSON protocol signed
 * with SigV4 (aws-sigv4.ts); see aws-config.ts for where credentials, region and endpoint come from.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SigilError } from '../../core/index.js';
import { assertSupportedKey } from '../keys.js';
import type { DigestAlgorithm } from '../prehashed.js';
import { awsTarget } from './aws-config.js';
import { signAwsJsonRequest } from './aws-sigv4.js';
import { kmsError, kmsFetch, stringField } from './http.js';
import type { KmsKey, KmsProvider } from './provider.js';
import type { AwsKmsReference } from './uri.js';

const HASH_OF_ALGORITHM: Record<string, DigestAlgorithm> = {
  ECDSA_SHA_256: 'sha256',
  ECDSA_SHA_384: 'sha384',
  ECDSA_SHA_512: 'sha512',
  RSASSA_PKCS1_V1_5_SHA_256: 'sha256',
  RSASSA_PKCS1_V1_5_SHA_384: 'sha384',
  RSASSA_PKCS1_V1_5_SHA_512: 'sha512',
};

// What each AWS error type means for the user, in one clause.
const CAUSES: Record<string, string> = {
  NotFoundException: 'no such key',
  DisabledException: 'the key is disabled',
  KMSInvalidStateException: 'the key is not usable in its current state (disabled or pending deletion)',
  AccessDeniedException: 'permission denied',
  UnrecognizedClientException: 'the AWS credentials were refused',
  InvalidSignatureException: 'the AWS credentials were refused (signature does not match)',
  IncompleteSignatureException: 'the AWS credentials were refused',
  ExpiredTokenException: 'the AWS session token has expired',
  InvalidKeyUsageException: 'the key is not a signing key (KeyUsage must be SIGN_VERIFY)',
  UnsupportedOperationException: 'the key is not an asymmetric signing key',
};

export async function awsCall(
  ref: AwsKmsReference,
  env: NodeJS.ProcessEnv,
  action: string,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const target = awsTarget(ref, env);
  const signed = signAwsJsonRequest({
    endpoint: target.endpoint,
    region: target.region,
    service: 'kms',
    target: `TrentService.${action}`,
    body: JSON.stringify(input),
    credentials: target.credentials,
  });
  const answer = await kmsFetch(ref.uri, { method: 'POST', ...signed });
  if (answer.status === 200) return answer.json;
  const type = String(answer.json.__type ?? 'error').replace(/^.*#/, '');
  const message = String(answer.json.message ?? answer.json.Message ?? '');
  const cause = CAUSES[type] ?? `${action} failed`;
  const status = type === 'NotFoundException' ? 404 : answer.status;
  throw kmsError(ref.uri, status, `${cause} (${type}${message ? `: ${message}` : ''})`);
}

async function open(ref: AwsKmsReference, env: NodeJS.ProcessEnv): Promise<KmsKey> {
  const answer = await awsCall(ref, env, 'GetPublicKey', { KeyId: ref.keyId });
  if (answer.KeyUsage !== 'SIGN_VERIFY') {
    throw new SigilError(
      'BAD_KEY',
      `${ref.uri}: the key is not a signing key (KeyUsage ${String(answer.KeyUsage)})`,
    );
  }
  const algorithms = Array.isArray(answer.SigningAlgorithms) ? answer.SigningAlgorithms.map(String) : [];
  // cosign signs with the first algorithm the key lists; so does sigil, so both sign a key the same way.
  const algorithm = algorithms[0] ?? '';
  const hash = HASH_OF_ALGORITHM[algorithm];
  if (!hash) {
    throw new SigilError(
      'BAD_KEY',
      `${ref.uri}: signing algorithm ${algorithm || '(none)'} is not supported (ECDSA_SHA_* and RSASSA_PKCS1_V1_5_SHA_* are)`,
    );
  }
  const der = Buffer.from(stringField(ref.uri, answer, 'PublicKey'), 'base64');
  const publicKey = assertSupportedKey(createPublicKey({ key: der, format: 'der', type: 'spki' }), ref.uri);
  const keyId = typeof answer.KeyId === 'string' ? answer.KeyId : ref.keyId;
  return {
    publicKey,
    hash,
    signDigest: async (digest) => {
      const signed = await awsCall(ref, env, 'Sign', {
        KeyId: keyId,
        Message: digest.toString('base64'),
        MessageType: 'DIGEST',
        SigningAlgorithm: algorithm,
      });
      return Buffer.from(stringField(ref.uri, signed, 'Signature'), 'base64');
    },
  };
}

/** cosign's CreateKey: needs an alias URI; an existing key under the alias is kept and its key returned. */
async function createKey(ref: AwsKmsReference, env: NodeJS.ProcessEnv): Promise<KeyObject> {
  if (!ref.alias) {
    throw new SigilError(
      'BAD_INPUT',
      `--kms ${ref.uri}: creating a key needs an alias URI (awskms:///alias/NAME)`,
    );
  }
  try {
    return (await open(ref, env)).publicKey;
  } catch (err) {
    if (!(err instanceof SigilError && err.code === 'NOT_FOUND')) throw err;
  }
  const created = await awsCall(ref, env, 'CreateKey', {
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    Description: 'Created by sigil',
  });
  const keyId = stringField(ref.uri, created, 'KeyMetadata.KeyId');
  await awsCall(ref, env, 'CreateAlias', { AliasName: ref.alias, TargetKeyId: keyId });
  return (await open(ref, env)).publicKey;
}

export const awsKms: KmsProvider<AwsKmsReference> = { open, createKey };
