import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { COSIGN_KEY, COSIGN_PUB, FIXTURES } from '../helpers/fixtures.js';

const env = { COSIGN_PASSWORD: 'pw' };

describe('sigil generate-key-pair / import-key-pair / public-key', () => {
  let dir: string;
  before(async () => {
    dir = await workDir();
  });

  it('writes cosign.key (0600, encrypted) and cosign.pub', async () => {
    const result = await sigil(['generate-key-pair'], { cwd: dir, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Private key written to cosign\.key/);
    assert.match(
      readFileSync(join(dir, 'cosign.key'), 'utf8'),
      /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/,
    );
    assert.match(readFileSync(join(dir, 'cosign.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(statSync(join(dir, 'cosign.key')).mode & 0o777, 0o600);
  });

  it('refuses to overwrite existing keys unless --force', async () => {
    const result = await sigil(['generate-key-pair'], { cwd: dir, env });
    assert.equal(result.code, 1);
    assert.match(errorLine(result), /cosign\.key already exists/);
    assert.equal((await sigil(['generate-key-pair', '--force'], { cwd: dir, env })).code, 0);
  });

  it('honours --output-key-prefix and --signing-algorithm', async () => {
    const result = await sigil(
      ['generate-key-pair', '--output-key-prefix', 'ci', '--signing-algorithm', 'ecdsa-sha2-384-nistp384'],
      { cwd: dir, env },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(dir, 'ci.key')) && existsSync(join(dir, 'ci.pub')));
    const bad = await sigil(['generate-key-pair', '--output-key-prefix', 'x', '--signing-algorithm', 'dsa'], {
      cwd: dir,
      env,
    });
    assert.equal(bad.code, 1);
    assert.match(errorLine(bad), /unknown algorithm "dsa"/);
    assert.ok(!existsSync(join(dir, 'x.key')), 'nothing half-written');
  });

  it('prints the public key of the cosign-made fixture key (empty password)', async () => {
    const result = await sigil(['public-key', '--key', join(FIXTURES, COSIGN_KEY)], {
      cwd: dir,
      env: { COSIGN_PASSWORD: '' },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, readFileSync(join(FIXTURES, COSIGN_PUB), 'utf8'));
  });

  it('imports PKCS#1, PKCS#8 and EC keys', async () => {
    const keys = {
      'rsa.pem': generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs1',
        format: 'pem',
      }),
      'p8.pem': generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }),
      'ec.pem': generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        type: 'sec1',
        format: 'pem',
      }),
    };
    for (const [file, pem] of Object.entries(keys)) {
      writeFileSync(join(dir, file), pem);
      const prefix = `imported-${file}`;
      const result = await sigil(['import-key-pair', '--key', file, '--output-key-prefix', prefix], {
        cwd: dir,
        env,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        (await sigil(['public-key', '--key', `${prefix}.key`], { cwd: dir, env })).stdout,
        readFileSync(join(dir, `${prefix}.pub`), 'utf8'),
      );
    }
  });

  it('gives one clear line for a malformed key, a wrong password and a missing file', async () => {
    writeFileSync(
      join(dir, 'junk.key'),
      '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nnot base64!\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
    );
    const junk = await sigil(['public-key', '--key', 'junk.key'], { cwd: dir, env });
    assert.equal(junk.code, 1);
    assert.match(errorLine(junk), /junk\.key.*base64/);
    const wrong = await sigil(['public-key', '--key', 'cosign.key'], {
      cwd: dir,
      env: { COSIGN_PASSWORD: 'wrong' },
    });
    assert.equal(wrong.code, 1);
    assert.match(errorLine(wrong), /cosign\.key: incorrect password/);
    const missing = await sigil(['public-key', '--key', 'nope.key'], { cwd: dir, env });
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /nope\.key/);
    const json = await sigil(['verify-blob', '--key', 'nope.pub', '--signature', 'AAAA', '-o', 'json', 'x'], {
      cwd: dir,
      env,
    });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).error.code, 'IO_ERROR');
  });
});

describe('sigil sign-blob / verify-blob', () => {
  let dir: string;
  before(async () => {
    dir = await workDir();
    await sigil(['generate-key-pair'], { cwd: dir, env });
    await sigil(['generate-key-pair', '--output-key-prefix', 'other'], { cwd: dir, env });
    writeFileSync(join(dir, 'artifact.txt'), 'release 1.0\n');
    writeFileSync(join(dir, 'tampered.txt'), 'release 1.1\n');
  });

  const verify = (...args: string[]) =>
    sigil(['verify-blob', '--key', 'cosign.pub', ...args], { cwd: dir, env });

  it('signs to stdout and verifies the base64 signature (as a file or inline)', async () => {
    const signed = await sigil(['sign-blob', '--key', 'cosign.key', '--tlog-upload=false', 'artifact.txt'], {
      cwd: dir,
      env,
    });
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /^[A-Za-z0-9+/]+=*\n$/);
    writeFileSync(join(dir, 'artifact.sig'), signed.stdout);
    const ok = await verify('--signature', 'artifact.sig', '--insecure-ignore-tlog', 'artifact.txt');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /Verified OK/);
    assert.equal(
      (await verify('--signature', signed.stdout.trim(), '--insecure-ignore-tlog', 'artifact.txt')).code,
      0,
    );
  });

  it('fails closed: unlogged signature without --insecure-ignore-tlog, tampered file, wrong key', async () => {
    const unlogged = await verify('--signature', 'artifact.sig', 'artifact.txt');
    assert.equal(unlogged.code, 1);
    assert.match(errorLine(unlogged), /transparency log/);
    const tampered = await verify('--signature', 'artifact.sig', '--insecure-ignore-tlog', 'tampered.txt');
    assert.equal(tampered.code, 1);
    assert.match(errorLine(tampered), /invalid signature/);
    const wrongKey = await sigil(
      [
        'verify-blob',
        '--key',
        'other.pub',
        '--signature',
        'artifact.sig',
        '--insecure-ignore-tlog',
        'artifact.txt',
      ],
      { cwd: dir, env },
    );
    assert.equal(wrongKey.code, 1);
    assert.match(errorLine(wrongKey), /invalid signature/);
    const garbage = await verify('--signature', 'not*base64', '--insecure-ignore-tlog', 'artifact.txt');
    assert.equal(garbage.code, 1);
  });

  for (const [format, flag] of [
    ['Sigstore bundle', '--new-bundle-format=true'],
    ['legacy cosign bundle', '--new-bundle-format=false'],
  ] as const) {
    it(`writes and verifies a ${format}, and rejects it for another file or key`, async () => {
      const bundle = `${format.replace(/\W/g, '-')}.json`;
      const signed = await sigil(
        ['sign-blob', '--key', 'cosign.key', '--tlog-upload=false', flag, '--bundle', bundle, 'artifact.txt'],
        { cwd: dir, env },
      );
      assert.equal(signed.code, 0, signed.stderr);
      assert.equal((await verify('--bundle', bundle, '--insecure-ignore-tlog', 'artifact.txt')).code, 0);
      const other = await verify('--bundle', bundle, '--insecure-ignore-tlog', 'tampered.txt');
      assert.equal(other.code, 1);
      errorLine(other);
      const wrongKey = await sigil(
        ['verify-blob', '--key', 'other.pub', '--bundle', bundle, '--insecure-ignore-tlog', 'artifact.txt'],
        { cwd: dir, env },
      );
      assert.equal(wrongKey.code, 1);
    });
  }

  it('rejects malformed bundles with the file name', async () => {
    writeFileSync(join(dir, 'broken.json'), '{"mediaType": ');
    const broken = await verify('--bundle', 'broken.json', '--insecure-ignore-tlog', 'artifact.txt');
    assert.equal(broken.code, 1);
    assert.match(errorLine(broken), /broken\.json/);
    writeFileSync(join(dir, 'alien.json'), '{"hello": "world"}');
    const alien = await verify('--bundle', 'alien.json', '--insecure-ignore-tlog', 'artifact.txt');
    assert.equal(alien.code, 1);
    assert.match(errorLine(alien), /alien\.json/);
  });

  it('refuses to sign without a transparency log unless --tlog-upload=false', async () => {
    const result = await sigil(['sign-blob', '--key', 'cosign.key', 'artifact.txt'], { cwd: dir, env });
    assert.equal(result.code, 1);
    assert.match(errorLine(result), /transparency log/);
  });
});

describe('sigil --help', () => {
  for (const command of [
    'generate-key-pair',
    'import-key-pair',
    'public-key',
    'sign',
    'verify',
    'sign-blob',
    'verify-blob',
    'registry serve',
    'tlog init',
    'tlog serve',
    'tlog get',
    'tlog search',
    'tlog verify',
  ]) {
    it(`${command} --help shows examples`, async () => {
      const result = await sigil([...command.split(' '), '--help']);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /Examples?:/);
    });
  }
});
