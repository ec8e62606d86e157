/** The Google Cloud KMS reference exchange (see kms-reference-servers.ts for what these servers are). */
import { createHash, createVerify, generateKeyPairSync, randomUUID } from 'node:crypto';
import { p256 } from '@noble/curves/p256';
import { crc32c } from '../../src/crypto/kms/crc32c.js';
import {
  type EcKey,
  formBody,
  jsonBody,
  listen,
  newP256Key,
  type ReferenceServer,
  reply,
  serve,
} from './kms-reference-servers.js';

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
