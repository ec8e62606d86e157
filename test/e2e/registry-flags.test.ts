/**
 * cosign's registry flags on sigil's image commands: --registry-username/--registry-password against a
 * registry that requires Basic auth (sign, verify, triangulate), and the one-line refusals of flags given
 * without their partner or naming files that are not there.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  fixedCredentials,
  parseReference,
  pushTestImage,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';

const USER = { username: 'ci', password: 's3cret' };

describe('sigil image commands: registry credentials and TLS flags', () => {
  let registry: RunningRegistry;
  let dir: string;
  let image: string;
  let tagged: string;
  before(async () => {
    dir = await workDir();
    registry = await startRegistry({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(dir, 'registry'),
      auth: USER,
    });
    const client = new RegistryClient({ credentials: fixedCredentials(USER) });
    const digest = await pushTestImage(client, parseReference(`${registry.address}/app:v1`), {
      files: { 'a.txt': 'registry flags' },
    });
    image = `${registry.address}/app@${digest}`;
    tagged = `${registry.address}/app:v1`;
  });
  after(() => registry?.close());

  const login = ['--registry-username', USER.username, '--registry-password', USER.password];
  const env = { COSIGN_PASSWORD: 'pw' };

  it('signs and verifies with the credentials the flags give, and is refused without them', async () => {
    assert.equal((await sigil(['generate-key-pair'], { cwd: dir, env })).code, 0);
    const signed = await sigil(['sign', '--key', 'cosign.key', '--tlog-upload=false', ...login, image], {
      cwd: dir,
      env,
    });
    assert.equal(signed.code, 0, signed.stderr);
    const verified = await sigil(
      ['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', ...login, image],
      {
        cwd: dir,
      },
    );
    assert.equal(verified.code, 0, verified.stderr);
    const anonymous = await sigil(['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', image], {
      cwd: dir,
    });
    assert.notEqual(anonymous.code, 0);
    assert.match(errorLine(anonymous), /401/);
    const wrong = await sigil(
      ['triangulate', '--type', 'digest', '--registry-username', 'ci', '--registry-password', 'nope', tagged],
      { cwd: dir },
    );
    assert.notEqual(wrong.code, 0);
    assert.match(errorLine(wrong), /401/);
    const right = await sigil(['triangulate', '--type', 'digest', ...login, tagged], { cwd: dir });
    assert.equal(right.stdout, `${image}\n`, right.stderr);
  });

  it('refuses a username without a password, a client certificate without its key, a missing CA file', async () => {
    const cases: [string[], RegExp][] = [
      [['--registry-username', 'ci'], /--registry-username and --registry-password go together/],
      [['--registry-client-cert', 'c.pem'], /--registry-client-cert and --registry-client-key go together/],
      [['--registry-cacert', 'nowhere.pem'], /--registry-cacert nowhere\.pem: no such file/],
    ];
    for (const [flags, message] of cases) {
      const result = await sigil(['triangulate', ...flags, image], { cwd: dir });
      assert.notEqual(result.code, 0, flags.join(' '));
      assert.match(errorLine(result), message);
    }
  });
});
