/**
 * Azure Key Vault and Google Cloud KMS have no server that runs here (Lowkey Vault's app is not on Maven
 * Central; Google ships no KMS emulator), so their providers are tested against these: the documented
 * exchanges of each REST API (Key Vault keys API 7.4 with the Microsoft identity platform's client
 * credentials grant; Cloud KMS v1 with a service account's JWT bearer grant), written from the API
 * references. They are strict rather than accommodating: a request with another path, query, header or
 * body field than the reference documents is answered 400, a missing or wrong token 401, and the keys are
 * real (the signatures they return verify, or not, like the cloud's). This is the gap docs/kms.md names:
 * what these servers check is the reference as read here, not the clouds themselves.
 */
import {
  createHash,
  createPublicKey,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { p256 } from '@noble/curves/p256';
import { crc32c } from '../../src/crypto/kms/crc32c.js';
import { selfSignedCertificate } from './tls.js';

interface Reply {
  status: number;
  body: unknown;
}
type Handler = (method: string, url: URL, headers: IncomingMessage['headers'], body: string) => Reply;

const reply = (status: number, body: unknown): Reply => ({ status, body });

function serve(handler: Handler, tls?: { key: string; cert: string }) {
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      let answer: Reply;
      try {
        answer = handler(
          request.method ?? '',
          new URL(request.url ?? '/', 'http://x'),
          request.headers,
          body,
        );
      } catch (err) {
        answer = reply(400, { error: { message: (err as Error).message } });
      }
      response.writeHead(answer.status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  };
  return tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
}

async function listen(server: ReturnType<typeof serve>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The JSON body, refusing any field the reference does not list for the call. */
function jsonBody(body: string, allowed: string[]): Record<string, unknown> {
  const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
  const extra = Object.keys(parsed).filter((name) => !allowed.includes(name));
  if (extra.length > 0) throw new Error(`unknown fields ${extra.join(', ')}`);
  return parsed;
}

function formBody(headers: IncomingMessage['headers'], body: string): URLSearchParams {
  if (headers['content-type'] !== 'application/x-www-form-urlencoded')
    throw new Error('token requests are forms');
  return new URLSearchParams(body);
}

interface EcKey {
  privateKey: Uint8Array;
  publicKey: KeyObject;
  enabled: boolean;
}

function newP256Key(): EcKey {
  const privateKey = p256.utils.randomPrivateKey();
  const point = p256.getPublicKey(privateKey, false);
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
    format: 'jwk',
  });
  return { privateKey, publicKey, enabled: true };
}
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export interface ReferenceServer {
  /** Environment a client needs (credentials, endpoints, the test CA for HTTPS). */
  env: Record<string, string>;
  /** The vault host (Azure) to put in URIs. */
  host: string;
  disable(keyName: string): void;
  /** Adds a key that cannot sign (Azure: an `oct` key; GCP: an ENCRYPT_DECRYPT key). */
  addNonSigningKey(keyName: string): void;
  close(): Promise<void>;
}

// ---- Azure Key Vault (keys API 7.4) and the identity platform's token endpoint ----

export const AZURE_TENANT = '72f988bf-0000-4000-8000-2d7cd011db47';
const AZURE_CLIENT = { id: 'sigil-client-id', secret: 'sigil-client-secret' };

export async function startAzureReference(
  caFile: (pem: string) => Promise<string>,
): Promise<ReferenceServer> {
  const tls = selfSignedCertificate();
  const keys = new Map<string, EcKey | 'oct'>();
  const token = randomUUID();
  let host = '';
  const keyBundle = (name: string, key: EcKey) => {
    const jwk = key.publicKey.export({ format: 'jwk' });
    return {
      key: {
        kid: `https://${host}/keys/${name}/v1`,
        kty: 'EC',
        key_ops: ['sign', 'verify'],
        crv: 'P-256',
        x: jwk.x,
        y: jwk.y,
      },
      attributes: { enabled: key.enabled, recoveryLevel: 'Recoverable+Purgeable' },
      tags: { use: 'sigstore' },
    };
  };
  const notFound = (name: string) =>
    reply(404, {
      error: {
        code: 'KeyNotFound',
        message: `A key with (name/id) ${name} was not found in this key vault.`,
      },
    });
  const server = serve((method, url, headers, body) => {
    if (url.pathname === `/${AZURE_TENANT}/oauth2/v2.0/token` && method === 'POST') {
      const form = formBody(headers, body);
      const valid =
        form.get('grant_type') === 'client_credentials' &&
        form.get('client_id') === AZURE_CLIENT.id &&
        form.get('scope') === 'https://vault.azure.net/.default';
      if (!valid)
        return reply(400, { error: 'invalid_request', error_description: 'AADSTS900144: bad request' });
      if (form.get('client_secret') !== AZURE_CLIENT.secret) {
        return reply(401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
      }
      return reply(200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    }
    if (url.searchParams.get('api-version') !== '7.4' || [...url.searchParams.keys()].length !== 1) {
      return reply(400, {
        error: { code: 'BadParameter', message: 'api-version=7.4 is the only query parameter' },
      });
    }
    if (headers.authorization !== `Bearer ${token}`) {
      return reply(401, {
        error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
      });
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'keys' || !parts[1])
      return reply(400, { error: { code: 'BadParameter', message: 'not a keys path' } });
    const name = parts[1];
    const key = keys.get(name);
    if (method === 'POST' && parts[2] === 'create' && parts.length === 3) {
      const request = jsonBody(body, ['kty', 'key_size', 'key_ops', 'attributes', 'tags', 'crv']);
      if (request.kty !== 'EC' || (request.crv !== undefined && request.crv !== 'P-256')) {
        return reply(400, { error: { code: 'BadParameter', message: 'only EC P-256 keys here' } });
      }
      const created = newP256Key();
      keys.set(name, created);
      return reply(200, keyBundle(name, created));
    }
    if (!key) return notFound(name);
    if (key === 'oct') {
      const bundle = {
        key: { kid: `https://${host}/keys/${name}/v1`, kty: 'oct', key_ops: ['encrypt'] },
        attributes: { enabled: true },
      };
      return method === 'GET'
        ? reply(200, bundle)
        : reply(400, { error: { code: 'BadParameter', message: 'oct keys cannot sign' } });
    }
    if (!key.enabled) {
      return reply(403, {
        error: {
          code: 'Forbidden',
          message: `Operation is not allowed on a disabled key.`,
          innererror: { code: 'KeyDisabled' },
        },
      });
    }
    const version = parts.length === 4 || (parts.length === 3 && parts[2] !== 'sign') ? parts[2] : undefined;
    if (version !== undefined && version !== 'v1') return notFound(`${name}/${version}`);
    if (method === 'GET' && parts.length <= 3) return reply(200, keyBundle(name, key));
    if (method === 'POST' && parts[parts.length - 1] === 'sign') {
      const request = jsonBody(body, ['alg', 'value']);
      const digest = Buffer.from(String(request.value), 'base64url');
      if (request.alg !== 'ES256' || digest.length !== 32) {
        return reply(400, { error: { code: 'BadParameter', message: 'ES256 signs a 32-byte digest' } });
      }
      const signature = p256.sign(digest, key.privateKey, { lowS: true }).toCompactRawBytes();
      return reply(200, { kid: `https://${host}/keys/${name}/v1`, value: b64url(signature) });
    }
    return reply(400, {
      error: { code: 'BadParameter', message: `${method} ${url.pathname} is not a documented call` },
    });
  }, tls);
  const port = await listen(server);
  host = `127.0.0.1:${port}`;
  return {
    host,
    env: {
      AZURE_TENANT_ID: AZURE_TENANT,
      AZURE_CLIENT_ID: AZURE_CLIENT.id,
      AZURE_CLIENT_SECRET: AZURE_CLIENT.secret,
      AZURE_AUTHORITY_HOST: `https://${host}`,
      NODE_EXTRA_CA_CERTS: await caFile(tls.cert),
    },
    disable: (name) => {
      const key = keys.get(name);
      if (key && key !== 'oct') key.enabled = false;
    },
    addNonSigningKey: (name) => keys.set(name, 'oct'),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// ---- Google Cloud KMS (REST v1) and the OAuth 2.0 token endpoint for service accounts ----

export const GCP_SERVICE_ACCOUNT = 'sigil-signer@sigil-project.iam.gserviceaccount.com';

interface GcpKey {
  purpose: 'ASYMMETRIC_SIGN' | 'ENCRYPT_DECRYPT';
  versions: EcKey[];
}

export async function startGcpReference(): Promise<ReferenceServer & { credentialsJson: string }> {
  const account = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rings = new Set<string>();
  const keys = new Map<string, GcpKey>();
  const token = randomUUID();
  let base = '';
  const error = (code: number, status: string, message: string) =>
    reply(code, { error: { code, message, status } });
  const versionJson = (keyName: string, n: number, version: EcKey) => ({
    name: `${keyName}/cryptoKeyVersions/${n}`,
    state: version.enabled ? 'ENABLED' : 'DISABLED',
    protectionLevel: 'SOFTWARE',
    algorithm: 'EC_SIGN_P256_SHA256',
    createTime: '2026-12-07T00:00:00Z',
  });
  const server = serve((method, url, headers, body) => {
    if (url.pathname === '/token' && method === 'POST') {
      const form = formBody(headers, body);
      const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
      const verifier = createVerify('sha256').update(`${header}.${claims}`);
      const payload = JSON.parse(Buffer.from(claims ?? '', 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const valid =
        form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' &&
        verifier.verify(account.publicKey, Buffer.from(signature ?? '', 'base64url')) &&
        payload.iss === GCP_SERVICE_ACCOUNT &&
        payload.aud === `${base}/token` &&
        String(payload.scope).split(' ').includes('https://www.googleapis.com/auth/cloudkms');
      if (!valid) return reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      return reply(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
    }
    if (headers.authorization !== `Bearer ${token}`) {
      return error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    }
    const path = url.pathname.replace(/^\/v1\//, '');
    const m =
      /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings(?:\/([^/]+)(?:\/cryptoKeys(?:\/([^/:]+)(?:\/cryptoKeyVersions(?:\/(\d+)(\/publicKey|:asymmetricSign)?)?)?)?)?)?$/.exec(
        path,
      );
    if (!m) return error(400, 'INVALID_ARGUMENT', `${path} is not a documented resource`);
    const [, project, location, ring, keyId, versionId, action] = m;
    const ringName = `projects/${project}/locations/${location}/keyRings/${ring}`;
    const keyName = `${ringName}/cryptoKeys/${keyId}`;
    const query = [...url.searchParams.keys()].join(',');
    if (!ring) {
      if (method !== 'POST' || query !== 'keyRingId')
        return error(400, 'INVALID_ARGUMENT', 'keyRings.create takes keyRingId');
      jsonBody(body, []);
      const created = `projects/${project}/locations/${location}/keyRings/${url.searchParams.get('keyRingId')}`;
      rings.add(created);
      return reply(200, { name: created, createTime: '2026-12-07T00:00:00Z' });
    }
    if (!rings.has(ringName)) return error(404, 'NOT_FOUND', `KeyRing ${ringName} not found.`);
    if (keyId === undefined && path.endsWith('/cryptoKeys')) {
      if (method !== 'POST' || query !== 'cryptoKeyId')
        return error(400, 'INVALID_ARGUMENT', 'cryptoKeys.create takes cryptoKeyId');
      const request = jsonBody(body, ['purpose', 'versionTemplate']);
      const template = request.versionTemplate as { algorithm?: string } | undefined;
      if (request.purpose !== 'ASYMMETRIC_SIGN' || template?.algorithm !== 'EC_SIGN_P256_SHA256') {
        return error(400, 'INVALID_ARGUMENT', 'only EC_SIGN_P256_SHA256 signing keys here');
      }
      const created = `${ringName}/cryptoKeys/${url.searchParams.get('cryptoKeyId')}`;
      keys.set(created, { purpose: 'ASYMMETRIC_SIGN', versions: [newP256Key()] });
      return reply(200, { name: created, purpose: 'ASYMMETRIC_SIGN' });
    }
    if (keyId === undefined) {
      return method === 'GET' && query === ''
        ? reply(200, { name: ringName })
        : error(400, 'INVALID_ARGUMENT', 'bad call');
    }
    const key = keys.get(keyName);
    if (!key) return error(404, 'NOT_FOUND', `CryptoKey ${keyName} not found.`);
    if (versionId === undefined && !path.endsWith('/cryptoKeyVersions')) {
      return reply(200, {
        name: keyName,
        purpose: key.purpose,
        versionTemplate: { algorithm: 'EC_SIGN_P256_SHA256' },
      });
    }
    if (versionId === undefined) {
      if (
        url.searchParams.get('filter') !== 'state=ENABLED' ||
        url.searchParams.get('orderBy') !== 'name desc'
      ) {
        return error(400, 'INVALID_ARGUMENT', 'expected filter=state=ENABLED&orderBy=name desc');
      }
      const listed = key.versions
        .map((v, i) => versionJson(keyName, i + 1, v))
        .filter((v) => v.state === 'ENABLED')
        .reverse();
      return reply(200, { cryptoKeyVersions: listed, totalSize: listed.length });
    }
    const version = key.versions[Number(versionId) - 1];
    if (!version)
      return error(404, 'NOT_FOUND', `CryptoKeyVersion ${keyName}/cryptoKeyVersions/${versionId} not found.`);
    const versionName = `${keyName}/cryptoKeyVersions/${versionId}`;
    if (!action && method === 'GET') return reply(200, versionJson(keyName, Number(versionId), version));
    if (!version.enabled)
      return error(400, 'FAILED_PRECONDITION', `${versionName} is not enabled, current state is: DISABLED.`);
    if (action === '/publicKey' && method === 'GET') {
      const pem = version.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      return reply(200, {
        pem,
        algorithm: 'EC_SIGN_P256_SHA256',
        pemCrc32c: String(crc32c(Buffer.from(pem))),
        name: versionName,
        protectionLevel: 'SOFTWARE',
      });
    }
    if (action === ':asymmetricSign' && method === 'POST') {
      const request = jsonBody(body, ['digest', 'digestCrc32c', 'data', 'dataCrc32c']);
      const digest = Buffer.from(
        String((request.digest as { sha256?: string } | undefined)?.sha256 ?? ''),
        'base64',
      );
      if (digest.length !== 32)
        return error(400, 'INVALID_ARGUMENT', 'EC_SIGN_P256_SHA256 signs a sha256 digest');
      if (request.digestCrc32c !== undefined && String(request.digestCrc32c) !== String(crc32c(digest))) {
        return error(
          400,
          'INVALID_ARGUMENT',
          'The checksum in field digest_crc32c did not match the data in field digest.',
        );
      }
      const signature = Buffer.from(p256.sign(digest, version.privateKey, { lowS: true }).toDERRawBytes());
      return reply(200, {
        signature: signature.toString('base64'),
        signatureCrc32c: String(crc32c(signature)),
        verifiedDigestCrc32c: request.digestCrc32c !== undefined,
        name: versionName,
        protectionLevel: 'SOFTWARE',
      });
    }
    return error(400, 'INVALID_ARGUMENT', `${method} ${path} is not a documented call`);
  });
  const port = await listen(server);
  base = `http://127.0.0.1:${port}`;
  const credentialsJson = JSON.stringify({
    type: 'service_account',
    project_id: 'sigil-project',
    private_key_id: createHash('sha256').update(GCP_SERVICE_ACCOUNT).digest('hex').slice(0, 40),
    private_key: account.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: GCP_SERVICE_ACCOUNT,
    token_uri: `${base}/token`,
  });
  return {
    host: `127.0.0.1:${port}`,
    credentialsJson,
    env: { SIGIL_GCPKMS_ENDPOINT: base },
    disable: (name) => {
      for (const [keyName, key] of keys)
        if (keyName.endsWith(`/cryptoKeys/${name}`)) for (const v of key.versions) v.enabled = false;
    },
    addNonSigningKey: (name) => {
      const [ring] = rings;
      if (ring)
        keys.set(`${ring}/cryptoKeys/${name}`, { purpose: 'ENCRYPT_DECRYPT', versions: [newP256Key()] });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
