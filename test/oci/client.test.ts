/**
 * The registry client against a scripted HTTP server: what it sends (auth, scopes, upload steps) and how
 * it handles what a registry may answer (challenges, errors, throttling, bad content, timeouts).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isSigilError, sha256Digest } from '../../src/core/index.js';
import {
  ANONYMOUS,
  type CredentialStore,
  fixedCredentials,
  parseReference,
  RegistryClient,
} from '../../src/oci/index.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Script = (request: Recorded, response: ServerResponse) => void;

let port = 0;
let script: Script = (_req, res) => res.writeHead(500).end();
const requests: Recorded[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const recorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    requests.push(recorded);
    script(recorded, res);
  });
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
});

const repo = () => parseReference(`127.0.0.1:${port}/team/app`);
const client = (credentials: CredentialStore = ANONYMOUS, extra = {}) =>
  new RegistryClient({ credentials, retryDelayMs: 1, timeoutMs: 2000, ...extra });
const creds = (username: string, password: string): CredentialStore => ({
  get: async () => ({ username, password }),
});
const errorBody = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest('{}'), size: 2 },
    layers: [],
  }),
);
const MANIFEST_DIGEST = sha256Digest(MANIFEST);

function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp) {
  return assert.rejects(promise, (err) => {
    assert.ok(isSigilError(err), `not a SigilError: ${err}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

describe('registry client: auth', () => {
  it('follows a Bearer challenge with realm, service and scope, and caches the token', async () => {
    script = (req, res) => {
      if (req.url.startsWith('/token')) {
        return res.end(JSON.stringify({ token: 'T1', expires_in: 300 }));
      }
      if (req.headers.authorization !== 'Bearer T1') {
        res.setHeader(
          'WWW-Authenticate',
          `Bearer realm="http://127.0.0.1:${port}/token",service="reg, test",scope="repository:team/app:pull"`,
        );
        return res.writeHead(401).end(errorBody('UNAUTHORIZED', 'authentication required'));
      }
      res.setHeader('Content-Type', 'application/vnd.oci.image.manifest.v1+json');
      res.setHeader('Docker-Content-Digest', MANIFEST_DIGEST);
      res.end(req.method === 'HEAD' ? undefined : MANIFEST);
    };
    const c = client(creds('alice', 'pw'));
    assert.equal((await c.getManifest(repo(), 'v1')).digest, MANIFEST_DIGEST);
    assert.equal((await c.getManifest(repo(), 'v2')).digest, MANIFEST_DIGEST);
    const tokenRequests = requests.filter((r) => r.url.startsWith('/token'));
    assert.equal(tokenRequests.length, 1, 'token cached for the second call');
    const tokenUrl = new URL(tokenRequests[0]?.url ?? '', 'http://x');
    assert.equal(tokenUrl.searchParams.get('service'), 'reg, test');
    assert.equal(tokenUrl.searchParams.get('scope'), 'repository:team/app:pull');
    assert.equal(
      tokenRequests[0]?.headers.authorization,
      `Basic ${Buffer.from('alice:pw').toString('base64')}`,
    );
  });

  it('answers a Basic challenge with credentials, and fails clearly without them', async () => {
    script = (req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('bob:secret').toString('base64')}`) {
        res.setHeader('WWW-Authenticate', 'Basic realm="r"');
        return res.writeHead(401).end(errorBody('UNAUTHORIZED', 'authentication required'));
      }
      res.setHeader('Docker-Content-Digest', MANIFEST_DIGEST);
      res.end(MANIFEST);
    };
    assert.equal((await client(creds('bob', 'secret')).getManifest(repo(), 'v1')).digest, MANIFEST_DIGEST);
    await rejectsWith(
      client().getManifest(repo(), 'v1'),
      'REGISTRY_UNAUTHORIZED',
      /401 UNAUTHORIZED authentication required/,
    );
    await rejectsWith(
      client(creds('bob', 'wrong')).getManifest(repo(), 'v1'),
      'REGISTRY_UNAUTHORIZED',
      /401/,
    );
  });

  it('sends a registry token (--registry-token) as the bearer token itself, never to the realm', async () => {
    script = (req, res) => {
      if (req.headers.authorization !== 'Bearer RT') {
        res.setHeader('WWW-Authenticate', `Bearer realm="http://127.0.0.1:${port}/token",service="reg"`);
        return res.writeHead(401).end(errorBody('UNAUTHORIZED', 'authentication required'));
      }
      res.setHeader('Docker-Content-Digest', MANIFEST_DIGEST);
      res.end(MANIFEST);
    };
    const c = client(fixedCredentials({ registryToken: 'RT' }));
    assert.equal((await c.getManifest(repo(), 'v1')).digest, MANIFEST_DIGEST);
    assert.equal(requests.filter((r) => r.url.startsWith('/token')).length, 0);
  });

  it('reports a token endpoint that rejects the credentials', async () => {
    script = (req, res) => {
      if (req.url.startsWith('/token')) return res.writeHead(401).end();
      res.setHeader('WWW-Authenticate', `Bearer realm="http://127.0.0.1:${port}/token"`);
      res.writeHead(401).end();
    };
    await rejectsWith(
      client(creds('a', 'b')).getManifest(repo(), 'v1'),
      'REGISTRY_UNAUTHORIZED',
      /credentials rejected/,
    );
  });
});

describe('registry client: errors and retries', () => {
  it('maps 403 and 404 with the registry error code and message', async () => {
    script = (req, res) => {
      if (req.url.includes('denied'))
        return res.writeHead(403).end(errorBody('DENIED', 'requested access to the resource is denied'));
      res.writeHead(404).end(errorBody('MANIFEST_UNKNOWN', 'manifest unknown'));
    };
    await rejectsWith(
      client().getManifest(repo(), 'v1'),
      'REGISTRY_NOT_FOUND',
      /GET http:\/\/127\.0\.0\.1:\d+\/v2\/team\/app\/manifests\/v1: 404 MANIFEST_UNKNOWN manifest unknown/,
    );
    await rejectsWith(client().getManifest(repo(), 'denied'), 'REGISTRY_DENIED', /403 DENIED/);
  });

  it('retries 500-class and 429 answers (honouring Retry-After), then succeeds', async () => {
    let calls = 0;
    script = (_req, res) => {
      calls++;
      if (calls === 1) return res.writeHead(503).end();
      if (calls === 2) return res.writeHead(429, { 'Retry-After': '0' }).end();
      res.setHeader('Docker-Content-Digest', MANIFEST_DIGEST);
      res.end(MANIFEST);
    };
    assert.equal((await client().getManifest(repo(), 'v1')).digest, MANIFEST_DIGEST);
    assert.equal(calls, 3);
  });

  it('gives up after the configured retries with the last status', async () => {
    script = (_req, res) => res.writeHead(502).end('bad gateway');
    await rejectsWith(client(ANONYMOUS, { retries: 2 }).getManifest(repo(), 'v1'), 'REGISTRY_ERROR', /502/);
    assert.equal(requests.length, 3);
  });

  it('times out a registry that does not answer', async () => {
    script = () => {};
    await rejectsWith(
      client(ANONYMOUS, { timeoutMs: 200, retries: 0 }).getManifest(repo(), 'v1'),
      'REGISTRY_UNREACHABLE',
      /no answer within 0.2 s/,
    );
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = client(ANONYMOUS, { retries: 0 });
    await rejectsWith(
      c.getManifest(parseReference(`127.0.0.1:${closedPort}/x/y`), 'v1'),
      'REGISTRY_UNREACHABLE',
      /ECONNREFUSED/,
    );
  });
});

describe('registry client: content is verified', () => {
  it('rejects a blob whose bytes do not match its digest', async () => {
    script = (_req, res) => res.end('not the blob');
    await rejectsWith(
      client().getBlob(repo(), sha256Digest('the blob')),
      'DIGEST_MISMATCH',
      /content digest is sha256:/,
    );
  });

  it('rejects a manifest fetched by digest that does not match, and a lying Docker-Content-Digest', async () => {
    script = (_req, res) => {
      res.setHeader('Docker-Content-Digest', sha256Digest('other'));
      res.end(MANIFEST);
    };
    await rejectsWith(client().getManifest(repo(), sha256Digest('other')), 'DIGEST_MISMATCH', /manifest/);
    await rejectsWith(client().getManifest(repo(), 'v1'), 'DIGEST_MISMATCH', /manifest/);
  });

  it('rejects a malformed manifest naming the field', async () => {
    script = (_req, res) =>
      res.end(
        JSON.stringify({
          schemaVersion: 2,
          config: { mediaType: 'x', digest: 'sha256:zz', size: 1 },
          layers: [],
        }),
      );
    await rejectsWith(
      client().getManifest(repo(), 'v1'),
      'BAD_MANIFEST',
      /config: manifest has invalid digest/,
    );
    script = (_req, res) => res.end('{"schemaVersion": 2,');
    await rejectsWith(client().getManifest(repo(), 'v1'), 'BAD_JSON', /team\/app:v1/);
  });
});

describe('registry client: uploads, tags, referrers', () => {
  it('uploads in PATCH chunks with Content-Range, then PUTs the digest', async () => {
    script = (req, res) => {
      if (req.method === 'HEAD') return res.writeHead(404).end();
      if (req.method === 'POST')
        return res.writeHead(202, { Location: '/v2/team/app/blobs/uploads/u1?state=a' }).end();
      if (req.method === 'PATCH')
        return res
          .writeHead(202, { Location: `/v2/team/app/blobs/uploads/u1?state=${requests.length}` })
          .end();
      res.writeHead(201).end();
    };
    const data = Buffer.from('0123456789abcdefghij');
    const pushed = await client().pushBlob(repo(), data, { chunkSize: 8 });
    assert.equal(pushed.digest, sha256Digest(data));
    const patches = requests.filter((r) => r.method === 'PATCH');
    assert.deepEqual(
      patches.map((r) => r.headers['content-range']),
      ['0-7', '8-15', '16-19'],
    );
    assert.equal(Buffer.concat(patches.map((r) => r.body)).toString(), data.toString());
    const put = requests.find((r) => r.method === 'PUT');
    assert.match(
      put?.url ?? '',
      new RegExp(`state=\\d+&digest=${encodeURIComponent(pushed.digest)}|state=\\d+&digest=${pushed.digest}`),
    );
  });

  it('skips blobs the registry has, and mounts from another repository', async () => {
    script = (req, res) => {
      if (req.method === 'HEAD') return res.writeHead(req.url.includes('present') ? 200 : 404).end();
      if (req.method === 'POST' && req.url.includes('mount=')) return res.writeHead(201).end();
      res.writeHead(500).end();
    };
    await client().pushBlob(parseReference(`127.0.0.1:${port}/present/app`), Buffer.from('x'));
    assert.equal(requests.length, 1);
    requests.length = 0;
    await client().pushBlob(repo(), Buffer.from('y'), {
      mountFrom: parseReference(`127.0.0.1:${port}/other/app`),
    });
    assert.match(requests[1]?.url ?? '', /mount=sha256%3A|mount=sha256:/);
    assert.match(requests[1]?.url ?? '', /from=other%2Fapp/);
  });

  it('follows tag-list pagination through Link headers', async () => {
    script = (req, res) => {
      const url = new URL(req.url, 'http://x');
      const last = url.searchParams.get('last');
      if (!last) {
        res.setHeader('Link', '</v2/team/app/tags/list?n=2&last=b>; rel="next"');
        return res.end(JSON.stringify({ name: 'team/app', tags: ['a', 'b'] }));
      }
      res.end(JSON.stringify({ name: 'team/app', tags: ['c'] }));
    };
    assert.deepEqual(await client().listTags(repo(), { pageSize: 2 }), ['a', 'b', 'c']);
  });

  it('uses the referrers API, filtering client-side when the registry did not', async () => {
    const descriptor = (artifactType: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256Digest(artifactType),
      size: 1,
      artifactType,
    });
    script = (_req, res) =>
      res.end(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [descriptor('a/sbom'), descriptor('a/sig')],
        }),
      );
    const found = await client().referrers(repo(), MANIFEST_DIGEST, { artifactType: 'a/sig' });
    assert.deepEqual(
      found.map((d) => d.artifactType),
      ['a/sig'],
    );
  });

  it('follows the referrers pagination, trusting a filter only when every page says it applied it', async () => {
    const page = (artifactType: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: sha256Digest(artifactType),
            size: 1,
            artifactType,
          },
        ],
      });
    script = (req, res) => {
      if (req.url.includes('last=')) return res.end(page('a/sbom'));
      res.setHeader('OCI-Filters-Applied', 'artifactType');
      res.setHeader('Link', `</v2/team/app/referrers/${MANIFEST_DIGEST}?n=1&last=x>; rel="next"`);
      res.end(page('a/sig'));
    };
    const all = await client().referrers(repo(), MANIFEST_DIGEST);
    assert.deepEqual(
      all.map((d) => d.artifactType),
      ['a/sig', 'a/sbom'],
    );
    const sigs = await client().referrers(repo(), MANIFEST_DIGEST, { artifactType: 'a/sig' });
    assert.deepEqual(
      sigs.map((d) => d.artifactType),
      ['a/sig'],
    );
  });

  it('falls back to the referrers tag schema when the API is missing', async () => {
    script = (req, res) => {
      if (req.url.includes('/referrers/')) return res.writeHead(404).end(errorBody('NOT_FOUND', 'no route'));
      if (req.url.endsWith(`/manifests/${MANIFEST_DIGEST.replace(':', '-')}`)) {
        res.setHeader('Content-Type', 'application/vnd.oci.image.index.v1+json');
        return res.end(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.index.v1+json',
            manifests: [
              { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest('r'), size: 1 },
            ],
          }),
        );
      }
      res.writeHead(404).end();
    };
    assert.equal((await client().referrers(repo(), MANIFEST_DIGEST)).length, 1);
    script = (_req, res) => res.writeHead(404).end();
    assert.deepEqual(await client().referrers(repo(), MANIFEST_DIGEST), []);
  });
});
