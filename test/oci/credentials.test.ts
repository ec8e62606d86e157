import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import { authFilePaths, DockerConfigCredentials } from '../../src/oci/index.js';

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-creds-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('registry credentials', () => {
  it('reads auths entries: base64 auth, username/password, identity token; Docker Hub under its v1 URL', async () => {
    const store = new DockerConfigCredentials([
      configFile({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:pw:with:colons') },
          'ghcr.io': { username: 'gh', password: 'token' },
          'https://registry.example.com/v2/': { identitytoken: 'refresh' },
        },
      }),
    ]);
    assert.deepEqual(await store.get('index.docker.io'), { username: 'hub', password: 'pw:with:colons' });
    assert.deepEqual(await store.get('ghcr.io'), { username: 'gh', password: 'token' });
    assert.deepEqual(await store.get('registry.example.com'), { identityToken: 'refresh' });
    assert.equal(await store.get('quay.io'), undefined);
  });

  it('asks a credential helper (credHelpers wins over auths)', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'sigil-helper-'));
    const helper = join(bin, 'docker-credential-sigiltest');
    writeFileSync(
      helper,
      '#!/bin/sh\nread server\nif [ "$server" = "helped.example" ]; then echo "{\\"Username\\":\\"h\\",\\"Secret\\":\\"s\\"}"; else echo "credentials not found in native keychain"; exit 1; fi\n',
    );
    chmodSync(helper, 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const store = new DockerConfigCredentials([
        configFile({
          credHelpers: { 'helped.example': 'sigiltest', 'other.example': 'sigiltest' },
          auths: { 'helped.example': { auth: b64('a:b') } },
        }),
      ]);
      assert.deepEqual(await store.get('helped.example'), { username: 'h', password: 's' });
      assert.equal(await store.get('other.example'), undefined);
    } finally {
      process.env.PATH = path;
    }
  });

  it('names the file of a malformed config', async () => {
    const path = configFile('{"auths": ');
    await assert.rejects(
      new DockerConfigCredentials([path]).get('x'),
      (err) => isSigilError(err, 'BAD_JSON') && err.message.includes(path),
    );
    const wrong = configFile({ auths: { 'x.io': 'not an object' } });
    await assert.rejects(
      new DockerConfigCredentials([wrong]).get('x.io'),
      (err) => isSigilError(err, 'BAD_JSON') && err.message.includes('auths'),
    );
  });

  it('finds config files the way docker and podman do', () => {
    assert.deepEqual(authFilePaths({ REGISTRY_AUTH_FILE: '/a/auth.json', HOME: '/h' }), ['/a/auth.json']);
    assert.deepEqual(authFilePaths({ DOCKER_CONFIG: '/d', HOME: '/h' }), ['/d/config.json']);
    assert.deepEqual(authFilePaths({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1' }), [
      '/h/.docker/config.json',
      '/run/user/1/containers/auth.json',
    ]);
  });
});
