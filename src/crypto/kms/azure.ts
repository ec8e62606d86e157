/**
 * Azure Key Vault keys (azurekms://VAULT-HOST/KEY[/VERSION]) through the Key Vault REST API (api-version
 * 7.4), not @azure/keyvault-keys + @azure/identity (see docs/kms.md for the weights). Credentials as the
 * environment credential of Azure's SDKs reads them: AZURE_TENANT_ID and AZURE_CLIENT_ID with
 * AZURE_CLIENT_SECRET (a service principal) or AZURE_FEDERATED_TOKEN_FILE (workload identity), against
 * AZURE_AUTHORITY_HOST (default https://login.microsoftonline.com). Signing sends the digest with the
 * algorithm cosign picks for the key (ES256/384/512 by curve, RS256/384/512 by modulus size); Key Vault's
 * raw r||s ECDSA signatures are re-encoded as ASN.1 DER, as cosign does.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isRecord, messageOf, SigilError } from '../../core/index.js';
import { type NistCurve, nobleCurves } from '../ecdsa-digest.js';
import { assertSupportedKey } from '../keys.js';
import type { DigestAlgorithm } from '../prehashed.js';
import { kmsError, kmsFetch, stringField } from './http.js';
import { fetchAccessToken } from './oauth.js';
import type { KmsKey, KmsProvider } from './provider.js';
import type { AzureKmsReference } from './uri.js';

const API_VERSION = '7.4';
const VAULT_SCOPE = 'https://vault.azure.net/.default';

const EC_ALGORITHMS: Record<string, { alg: string; hash: DigestAlgorithm; curve: NistCurve }> = {
  'P-256': { alg: 'ES256', hash: 'sha256', curve: 'prime256v1' },
  'P-384': { alg: 'ES384', hash: 'sha384', curve: 'secp384r1' },
  'P-521': { alg: 'ES512', hash: 'sha512', curve: 'secp521r1' },
};
const RSA_ALGORITHMS: Record<number, { alg: string; hash: DigestAlgorithm }> = {
  2048: { alg: 'RS256', hash: 'sha256' },
  3072: { alg: 'RS384', hash: 'sha384' },
  4096: { alg: 'RS512', hash: 'sha512' },
};

async function accessToken(ref: AzureKmsReference, env: NodeJS.ProcessEnv): Promise<string> {
  const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client } = env;
  const secret = env.AZURE_CLIENT_SECRET;
  const federated = env.AZURE_FEDERATED_TOKEN_FILE;
  if (!tenant || !client || (!secret && !federated)) {
    throw new SigilError(
      'BAD_TOKEN',
      `${ref.uri}: no Azure credentials (AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE)`,
      'set the service principal or workload identity variables',
    );
  }
  const authority = (env.AZURE_AUTHORITY_HOST ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const form: Record<string, string> = {
    grant_type: 'client_credentials',
    client_id: client,
    scope: VAULT_SCOPE,
  };
  if (secret) form.client_secret = secret;
  else {
    form.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    form.client_assertion = readAssertion(ref, federated ?? '');
  }
  return fetchAccessToken(ref.uri, `${authority}/${tenant}/oauth2/v2.0/token`, form);
}

function readAssertion(ref: AzureKmsReference, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new SigilError(
      'BAD_TOKEN',
      `${ref.uri}: cannot read AZURE_FEDERATED_TOKEN_FILE ${path}: ${messageOf(err)}`,
    );
  }
}

async function vaultCall(
  ref: AzureKmsReference,
  token: string,
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const answer = await kmsFetch(ref.uri, {
    method,
    url: `${ref.vaultUrl}keys/${path}?api-version=${API_VERSION}`,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (answer.status === 200) return answer.json;
  const error = isRecord(answer.json.error) ? answer.json.error : {};
  const inner = isRecord(error.innererror) ? String(error.innererror.code ?? '') : '';
  const code = String(error.code ?? answer.status);
  const cause =
    inner === 'KeyDisabled' || /disabled/i.test(String(error.message))
      ? 'the key is disabled'
      : answer.status === 404
        ? 'no such key'
        : answer.status === 401 || answer.status === 403
          ? 'permission denied'
          : `${method} keys/${path} failed`;
  throw kmsError(
    ref.uri,
    answer.status,
    `${cause} (${code}${error.message ? `: ${String(error.message)}` : ''})`,
  );
}

/** A Key Vault JSON Web Key as a Node key (HSM kinds `EC-HSM`/`RSA-HSM` are the same key shapes). */
function publicKeyOf(ref: AzureKmsReference, jwk: Record<string, unknown>): KeyObject {
  const kty = String(jwk.kty ?? '').replace(/-HSM$/, '');
  const pick = (names: string[]) => Object.fromEntries(names.map((name) => [name, jwk[name]]));
  if (kty !== 'EC' && kty !== 'RSA') {
    throw new SigilError('BAD_KEY', `${ref.uri}: a ${String(jwk.kty)} key cannot sign (EC or RSA keys can)`);
  }
  const fields = kty === 'EC' ? pick(['crv', 'x', 'y']) : pick(['n', 'e']);
  return assertSupportedKey(createPublicKey({ key: { kty, ...fields }, format: 'jwk' }), ref.uri);
}

async function open(ref: AzureKmsReference, env: NodeJS.ProcessEnv): Promise<KmsKey> {
  const token = await accessToken(ref, env);
  const versionPath = `${ref.keyName}${ref.version ? `/${ref.version}` : ''}`;
  const bundle = await vaultCall(ref, token, 'GET', versionPath);
  const jwk = isRecord(bundle.key) ? bundle.key : {};
  if (isRecord(bundle.attributes) && bundle.attributes.enabled === false) {
    throw new SigilError('BAD_KEY', `${ref.uri}: the key is disabled`);
  }
  const publicKey = publicKeyOf(ref, jwk);
  const ec = EC_ALGORITHMS[String(jwk.crv)];
  const rsa = RSA_ALGORITHMS[publicKey.asymmetricKeyDetails?.modulusLength ?? 0];
  const algorithm = ec ?? rsa;
  if (!algorithm) throw new SigilError('BAD_KEY', `${ref.uri}: unsupported key size or curve`);
  return {
    publicKey,
    hash: algorithm.hash,
    signDigest: async (digest) => {
      const signed = await vaultCall(ref, token, 'POST', `${versionPath}/sign`, {
        alg: algorithm.alg,
        value: digest.toString('base64url'),
      });
      const raw = Buffer.from(stringField(ref.uri, signed, 'value'), 'base64url');
      if (!ec) return raw;
      return Buffer.from(nobleCurves()[ec.curve].Signature.fromCompact(raw).toDERRawBytes());
    },
  };
}

/** cosign's create: an EC key (Key Vault's default curve, P-256) allowed to sign and verify, tagged for sigstore. */
async function createKey(ref: AzureKmsReference, env: NodeJS.ProcessEnv): Promise<KeyObject> {
  try {
    return (await open(ref, env)).publicKey;
  } catch (err) {
    if (!(err instanceof SigilError && err.code === 'NOT_FOUND')) throw err;
  }
  const token = await accessToken(ref, env);
  await vaultCall(ref, token, 'POST', `${ref.keyName}/create`, {
    kty: 'EC',
    key_size: 2048,
    key_ops: ['sign', 'verify'],
    attributes: { enabled: true },
    tags: { use: 'sigstore' },
  });
  return (await open(ref, env)).publicKey;
}

export const azureKms: KmsProvider<AzureKmsReference> = { open, createKey };
