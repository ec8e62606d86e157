/**
 * Azure Key Vault (azurekms://) and Google Cloud KMS (gcpkms://) keys, against the reference exchanges of
 * test/helpers/kms-reference-{azure,gcp}.ts (no local server of either exists here: the gap docs/kms.md names).
 * The signatures are checked by the real cosign v3 with the public key alone, so their format is cosign's.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseReference, pushTestImage, RegistryClient, type RunningRegistry } from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { cosignPeers, runCosign } from '../helpers/cosign.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import { ok } from '../helpers/kms-interop-suite.js';
import { startAzureReference } from '../helpers/kms-reference-azure.js';
import { startGcpReference } from '../helpers/kms-reference-gcp.js';
import type { ReferenceServer } from '../helpers/kms-reference-servers.js';
import { freePort } from '../helpers/ports.js';

const cosignV3 = cosignPeers().find((peer) => peer.major === 3);

interface Provider {
  name: string;
  start(dir: string): Promise<ReferenceServer>;
  uri(server: ReferenceServer, key: string): string;
  /** The environment with the credentials broken, and the cause the error must name. */
  badCredentials(server: ReferenceServer): Promise<{ env: Record<string, string>; cause: RegExp }>;
}

const providers: Provider[] = [
  {
    name: 'Azure Key Vault',
    start: (dir) =>
      startAzureReference(async (pem) => {
        const file = join(dir, 'azure-ca.pem');
        await writeFile(file, pem);
        return file;
      }),
    uri: (server, key) => `azurekms://${server.host}/${key}`,
    badCredentials: async (server) => ({
      env: { ...server.env, AZURE_CLIENT_SECRET: 'wrong' },
      cause: /the credentials were refused by https:\/\/127\.0\.0\.1:\d+\/.*AADSTS7000215/,
    }),
  },
  {
    name: 'Google Cloud KMS',
    start: async (dir) => {
      const server = await startGcpReference();
      const file = join(dir, 'gcp-service-account.json');
      await writeFile(file, server.credentialsJson);
      return { ...server, env: { ...server.env, GOOGLE_APPLICATION_CREDENTIALS: file } };
    },
    uri: (_server, key) =>
      `gcpkms://projects/sigil-project/locations/global/keyRings/sigil/cryptoKeys/${key}`,
    badCredentials: async (server) => {
      const { GOOGLE_APPLICATION_CREDENTIALS: _file, ...env } = server.env;
      return {
        env: { ...env, GCE_METADATA_HOST: `127.0.0.1:${await freePort()}` },
        cause: /no Google credentials/,
      };
    },
  },
];

for (const provider of providers) {
  describe(`${provider.name} keys (reference exchange)`, () => {
    let server: ReferenceServer;
    let registry: RunningRegistry;
    let dir: string;
    const client = new RegistryClient({});
    const run = (args: string[], env = server.env) => sigil(args, { cwd: dir, env });
    const image = (repo: string) => `${registry.address}/${repo}:v1`;
    const push = (repo: string) =>
      pushTestImage(client, parseReference(image(repo)), { files: { 'f.txt': `${provider.name} ${repo}` } });

    before(async () => {
      dir = await workDir();
      server = await provider.start(dir);
      registry = await startTestRegistry();
      ok(
        await run([
          'generate-key-pair',
          '--kms',
          provider.uri(server, 'signing'),
          '--output-key-prefix',
          'kms',
        ]),
        'create',
      );
    });
    after(async () => {
      await registry?.close();
      await server?.close();
    });

    it('generate-key-pair --kms keeps the key it created; public-key prints it', async () => {
      const first = await readFile(join(dir, 'kms.pub'), 'utf8');
      ok(
        await run([
          'generate-key-pair',
          '--kms',
          provider.uri(server, 'signing'),
          '--output-key-prefix',
          'again',
        ]),
        'again',
      );
      assert.equal(await readFile(join(dir, 'again.pub'), 'utf8'), first);
      assert.equal(
        ok(await run(['public-key', '--key', provider.uri(server, 'signing')]), 'public-key').stdout,
        first,
      );
    });

    it('an image signed with the URI verifies with the URI, the public key, and cosign v3 with the public key', async () => {
      await push('signed');
      ok(
        await run(['sign', '--key', provider.uri(server, 'signing'), '--tlog-upload=false', image('signed')]),
        'sign',
      );
      ok(
        await run([
          'verify',
          '--key',
          provider.uri(server, 'signing'),
          '--insecure-ignore-tlog',
          image('signed'),
        ]),
        'verify',
      );
      ok(await run(['verify', '--key', 'kms.pub', '--insecure-ignore-tlog', image('signed')]), 'verify .pub');
      if (cosignV3 && !cosignV3.skip) {
        ok(
          await runCosign(
            cosignV3,
            ['verify', '--key', 'kms.pub', '--insecure-ignore-tlog', image('signed')],
            { cwd: dir },
          ),
          'cosign verify',
        );
      }
    });

    it('a blob signed with the URI verifies with the public key (sigil and cosign v3)', async () => {
      const blob = join(dir, 'blob.txt');
      await writeFile(blob, `${provider.name}\n`);
      const signed = ok(
        await run(['sign-blob', '--key', provider.uri(server, 'signing'), '--tlog-upload=false', blob]),
        'sign-blob',
      );
      await writeFile(join(dir, 'blob.sig'), signed.stdout);
      ok(
        await run([
          'verify-blob',
          '--key',
          'kms.pub',
          '--insecure-ignore-tlog',
          '--signature',
          'blob.sig',
          blob,
        ]),
        'verify-blob',
      );
      if (cosignV3 && !cosignV3.skip) {
        ok(
          await runCosign(
            cosignV3,
            ['verify-blob', '--key', 'kms.pub', '--insecure-ignore-tlog', '--signature', 'blob.sig', blob],
            {
              cwd: dir,
            },
          ),
          'cosign verify-blob',
        );
      }
    });

    it('errors: no such key, a key that cannot sign, a disabled key, refused credentials; nothing pushed', async () => {
      const failed = async (key: string, cause: RegExp, env = server.env) => {
        const repo = `fails-${key}-${Math.random().toString(36).slice(2, 8)}`;
        await push(repo);
        const uri = provider.uri(server, key);
        const result = await run(['sign', '--key', uri, '--tlog-upload=false', image(repo)], env);
        assert.equal(result.code, 1, result.stderr);
        assert.ok(errorLine(result).startsWith(`Error: ${uri}: `), errorLine(result));
        assert.match(errorLine(result), cause);
        assert.deepEqual(await client.listTags(parseReference(image(repo))), ['v1']);
      };
      await failed('missing', /no such key/);
      server.addNonSigningKey('encryption');
      await failed('encryption', /cannot sign/);
      ok(
        await run([
          'generate-key-pair',
          '--kms',
          provider.uri(server, 'disabled'),
          '--output-key-prefix',
          'd',
        ]),
        'create',
      );
      server.disable('disabled');
      await failed('disabled', /disabled|not enabled|no enabled version/);
      const bad = await provider.badCredentials(server);
      await failed('signing', bad.cause, bad.env);
    });
  });
}
