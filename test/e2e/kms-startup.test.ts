/**
 * KMS providers load only for their own scheme: verifying with a key file loads none of them, and a
 * hashivault:// key loads the Vault provider alone (not the AWS, Google or Azure ones).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { workDir } from '../helpers/cli.js';
import { traceModules } from '../helpers/module-trace.js';

const PROVIDERS = [
  'aws',
  'aws-config',
  'aws-sigv4',
  'gcp',
  'gcp-auth',
  'azure',
  'vault',
  'http',
  'oauth',
  'crc32c',
];
const providersIn = (modules: string[]) =>
  PROVIDERS.filter((name) => modules.some((url) => url.endsWith(`/crypto/kms/${name}.js`)));

test('verify-blob --key <file> loads no KMS provider; hashivault:// loads only the Vault one', async () => {
  const dir = await workDir();
  const { privateKey, publicKey } = generateKeyPair('ecdsa-p256');
  await writeFile(join(dir, 'blob'), 'blob');
  await writeFile(join(dir, 'key.pub'), publicKeyPem(publicKey));
  await writeFile(
    join(dir, 'blob.sig'),
    (await keySigner(privateKey).sign(Buffer.from('blob'))).toString('base64'),
  );
  const verify = (key: string) =>
    traceModules(
      ['verify-blob', '--key', key, '--signature', 'blob.sig', '--insecure-ignore-tlog', 'blob'],
      dir,
    );

  const withFile = await verify('key.pub');
  assert.equal(withFile.code, 0);
  assert.deepEqual(providersIn(withFile.modules), []);

  const withVault = await verify('hashivault://cosign');
  assert.notEqual(withVault.code, 0, 'VAULT_ADDR is unset');
  assert.deepEqual(providersIn(withVault.modules), ['vault', 'http']);
});
