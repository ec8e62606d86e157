/** The Azure Key Vault reference exchange (see kms-reference-servers.ts for what these servers are). */
import { randomUUID } from 'node:crypto';
import { p256 } from '@noble/curves/p256';
import {
  b64url,
  type EcKey,
  formBody,
  jsonBody,
  listen,
  newP256Key,
  type ReferenceServer,
  reply,
  serve,
} from './kms-reference-servers.js';
import { selfSignedCertificate } from './tls.js';

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
