/**
 * What a user sees when a KMS key cannot sign: one error line naming the key URI and the cause, a non-zero
 * exit, and nothing pushed to the registry or the transparency log. Against the real local servers (local-kms
 * for AWS, OpenBao for Vault transit).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AwsKmsReference, parseKmsUri } from '../../src/crypto/index.js';
import { awsCall } from '../../src/crypto/kms/aws.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { startTestRegistry } from '../helpers/embedded-registry.js';
import {
  type KmsServer,
  localKmsPeer,
  openBaoPeer,
  startLocalKms,
  startOpenBao,
  vaultApi,
} from '../helpers/kms-servers.js';
import { freePort } from '../helpers/ports.js';
import { startTlogProcess, type TlogProcess } from '../helpers/tlog-process.js';

const localKms = localKmsPeer();
const openBao = openBaoPeer();

describe('KMS signing failures', { skip: localKms.skip || openBao.skip }, () => {
  let aws: KmsServer;
  let vault: KmsServer;
  let registry: { address: string; close(): Promise<void> };
  let log: TlogProcess;
  let dir: string;
  const client = new RegistryClient({});

  before(async () => {
    dir = await workDir();
    [aws, vault, registry] = await Promise.all([
      startLocalKms(localKms.path),
      startOpenBao(openBao.path),
      startTestRegistry(),
    ]);
    log = await startTlogProcess(join(dir, 'tlog'), ['--verify-workers', '0']);
  });
  after(async () => {
    await log?.stop();
    await registry?.close();
    await vault?.stop();
    await aws?.stop();
  });

  /** Signs a fresh image with `key` and the log; expects a failure, with nothing left anywhere. */
  async function failedSign(repo: string, key: string, env: Record<string, string>): Promise<string> {
    const ref = parseReference(`${registry.address}/${repo}:v1`);
    const digest = await pushTestImage(client, ref, { files: { 'f.txt': repo } });
    const result = await sigil(
      ['sign', '--key', key, '--rekor-url', log.url, `${ref.registry}/${ref.repository}@${digest}`],
      {
        cwd: dir,
        env,
      },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(await client.listTags(ref), ['v1'], 'nothing but the image is in the repository');
    const tree = (await (await fetch(`${log.url}/api/v1/log`)).json()) as { treeSize: number };
    assert.equal(tree.treeSize, 0, 'nothing was logged');
    const other = result.stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('Error:') && !line.startsWith('hint:'));
    assert.deepEqual(other, [], 'the error is one line (and a hint)');
    return errorLine(result);
  }

  const awsRef = (uri: string) => parseKmsUri(uri) as AwsKmsReference;

  it('AWS: an unreachable KMS', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const line = await failedSign('aws-unreachable', 'awskms:///alias/nowhere', {
      ...aws.env,
      AWS_ENDPOINT_URL: closed,
    });
    assert.match(
      line,
      /^Error: awskms:\/\/\/alias\/nowhere: POST http:\/\/127\.0\.0\.1:\d+\/: the KMS cannot be reached: /,
    );
  });

  it('AWS: missing credentials', async () => {
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...env } = aws.env;
    const line = await failedSign('aws-no-credentials', 'awskms:///alias/any', env);
    assert.match(line, /^Error: awskms:\/\/\/alias\/any: no AWS credentials/);
  });

  it('AWS: no such key', async () => {
    const line = await failedSign('aws-missing', 'awskms:///alias/missing', aws.env);
    assert.match(line, /^Error: awskms:\/\/\/alias\/missing: no such key \(NotFoundException/);
  });

  it('AWS: a symmetric (encryption) key', async () => {
    const uri = 'awskms:///alias/symmetric';
    const created = await awsCall(awsRef(uri), aws.env, 'CreateKey', {
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
    });
    const keyId = String((created.KeyMetadata as { KeyId: string }).KeyId);
    await awsCall(awsRef(uri), aws.env, 'CreateAlias', { AliasName: 'alias/symmetric', TargetKeyId: keyId });
    const line = await failedSign('aws-symmetric', uri, aws.env);
    assert.match(
      line,
      /^Error: awskms:\/\/\/alias\/symmetric: the key is not (a signing|an asymmetric signing) key/,
    );
  });

  it('AWS: a disabled key', async () => {
    const uri = 'awskms:///alias/disabled';
    ok(
      await sigil(['generate-key-pair', '--kms', uri, '--output-key-prefix', 'disabled'], {
        cwd: dir,
        env: aws.env,
      }),
    );
    await awsCall(awsRef(uri), aws.env, 'DisableKey', { KeyId: await keyIdOf(uri) });
    const line = await failedSign('aws-disabled', uri, aws.env);
    assert.match(line, /^Error: awskms:\/\/\/alias\/disabled: the key is disabled/);
  });

  async function keyIdOf(uri: string): Promise<string> {
    const described = await awsCall(awsRef(uri), aws.env, 'DescribeKey', { KeyId: awsRef(uri).keyId });
    return String((described.KeyMetadata as { KeyId: string }).KeyId);
  }

  it('Vault: a token whose policy may read the key but not sign with it', async () => {
    await vaultApi(vault, 'POST', 'transit/keys/readonly', { type: 'ecdsa-p256' });
    await vaultApi(vault, 'PUT', 'sys/policies/acl/read-only', {
      policy: 'path "transit/keys/readonly" { capabilities = ["read"] }',
    });
    const token = await vaultApi(vault, 'POST', 'auth/token/create', { policies: ['read-only'] });
    const clientToken = String((token.auth as { client_token: string }).client_token);
    const line = await failedSign('vault-denied', 'hashivault://readonly', {
      ...vault.env,
      VAULT_TOKEN: clientToken,
    });
    assert.match(line, /^Error: hashivault:\/\/readonly: permission denied/);
  });

  it('Vault: an encryption key (aes256-gcm96) has no public key', async () => {
    await vaultApi(vault, 'POST', 'transit/keys/encryption', { type: 'aes256-gcm96' });
    const line = await failedSign('vault-symmetric', 'hashivault://encryption', vault.env);
    assert.match(
      line,
      /^Error: hashivault:\/\/encryption: the transit key has no public key \(type aes256-gcm96/,
    );
  });

  it('Vault: no token', async () => {
    const line = await failedSign('vault-no-token', 'hashivault://readonly', { VAULT_ADDR: vault.url });
    assert.match(line, /^Error: hashivault:\/\/readonly: no Vault token/);
  });

  it('a malformed URI names the form cosign expects', async () => {
    const result = await sigil(['sign', '--key', 'awskms://', '--tlog-upload=false', 'example.com/app:v1'], {
      cwd: dir,
    });
    assert.match(errorLine(result), /^Error: --key awskms:\/\/: not a valid awskms key reference/);
  });
});

function ok(result: { code: number; stderr: string }): void {
  assert.equal(result.code, 0, result.stderr);
}
