import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { peerMissing } from '../helpers/peers.js';
import {
  createSoftToken,
  generateTokenKey,
  SOFTHSM_MODULE,
  type SoftToken,
  softhsmAvailable,
} from '../helpers/softhsm.js';

describe('sigil sign-blob / verify-blob --key pkcs11:', {
  skip: peerMissing('softhsm2', softhsmAvailable),
}, () => {
  let dir: string;
  let token: SoftToken;
  let env: Record<string, string>;
  before(async () => {
    dir = await workDir();
    token = createSoftToken('cli-token');
    generateTokenKey(token, 'signing', Buffer.from([7]));
    writeFileSync(join(dir, 'artifact.txt'), 'signed by a token\n');
    env = { SOFTHSM2_CONF: token.env.SOFTHSM2_CONF ?? '' };
  });

  it('signs with the token key (module and PIN from COSIGN_PKCS11_* env) and verifies with its public key', async () => {
    const keyEnv = { ...env, COSIGN_PKCS11_MODULE_PATH: SOFTHSM_MODULE, COSIGN_PKCS11_PIN: token.pin };
    const key = 'pkcs11:token=cli-token;id=%07';
    const signed = await sigil(['sign-blob', '--key', key, '--tlog-upload=false', 'artifact.txt'], {
      cwd: dir,
      env: keyEnv,
    });
    assert.equal(signed.code, 0, signed.stderr);
    writeFileSync(join(dir, 'artifact.sig'), signed.stdout);
    const verify = (file: string) =>
      sigil(['verify-blob', '--key', key, '--signature', 'artifact.sig', '--insecure-ignore-tlog', file], {
        cwd: dir,
        env: keyEnv,
      });
    const ok = await verify('artifact.txt');
    assert.equal(ok.code, 0, ok.stderr);
    writeFileSync(join(dir, 'tampered.txt'), 'not what was signed\n');
    assert.equal((await verify('tampered.txt')).code, 1);
  });

  it('wrong PIN and unknown object fail with one clear line', async () => {
    const wrongPin = await sigil(
      [
        'sign-blob',
        '--key',
        token.uri('signing', `module-path=${SOFTHSM_MODULE}&pin-value=0000`),
        '--tlog-upload=false',
        'artifact.txt',
      ],
      { cwd: dir, env },
    );
    assert.equal(wrongPin.code, 1);
    assert.match(errorLine(wrongPin), /rejected the PIN/);
    assert.doesNotMatch(wrongPin.stderr, /0000/);
    const missing = await sigil(
      ['sign-blob', '--key', token.uri('absent'), '--tlog-upload=false', 'artifact.txt'],
      { cwd: dir, env },
    );
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /no private key/);
  });

  it('pkcs11-tool lists the token and key URIs that sign-blob --key then takes', async () => {
    const tokens = await sigil(
      ['pkcs11-tool', 'list-tokens', '--module-path', SOFTHSM_MODULE, '--output', 'json'],
      {
        cwd: dir,
        env,
      },
    );
    assert.equal(tokens.code, 0, tokens.stderr);
    const slot = (JSON.parse(tokens.stdout) as Array<{ slot: number; label: string }>).find(
      (t) => t.label === 'cli-token',
    );
    assert.ok(slot, tokens.stdout);
    const text = await sigil(['pkcs11-tool', 'list-tokens', '--module-path', SOFTHSM_MODULE], {
      cwd: dir,
      env,
    });
    assert.match(
      text.stdout,
      new RegExp(`Token in slot ${slot.slot}\n\tLabel: cli-token\n\tManufacturer: SoftHSM`),
    );

    const listKeys = (...extra: string[]) =>
      sigil(
        [
          'pkcs11-tool',
          'list-keys-uris',
          '--module-path',
          SOFTHSM_MODULE,
          '--slot-id',
          String(slot.slot),
          ...extra,
        ],
        { cwd: dir, env },
      );
    const listed = await listKeys('--pin', token.pin);
    assert.equal(listed.code, 0, listed.stderr);
    const uri = `pkcs11:token=cli-token;slot-id=${slot.slot};id=%07;object=signing?module-path=${SOFTHSM_MODULE}&pin-value=${token.pin}`;
    assert.equal(
      listed.stdout,
      `Listing URIs of keys in slot '${slot.slot}' of PKCS11 module '${SOFTHSM_MODULE}'\nObject 0\n\tLabel: signing\n\tID: 07\n\tURI: ${uri}\n`,
    );
    const signed = await sigil(['sign-blob', '--key', uri, '--tlog-upload=false', 'artifact.txt'], {
      cwd: dir,
      env,
    });
    assert.equal(signed.code, 0, signed.stderr);

    const noPin = await listKeys();
    assert.equal(noPin.code, 1);
    assert.match(errorLine(noPin), /give --pin or set COSIGN_PKCS11_PIN/);
    const wrongPin = await listKeys('--pin', '0000');
    assert.equal(wrongPin.code, 1);
    assert.match(errorLine(wrongPin), /rejected the PIN/);
    const noModule = await sigil(['pkcs11-tool', 'list-tokens', '--module-path', '/nonexistent.so'], {
      cwd: dir,
      env,
    });
    assert.equal(noModule.code, 1);
    assert.match(errorLine(noModule), /cannot load PKCS#11 module \/nonexistent.so/);
  });
});
