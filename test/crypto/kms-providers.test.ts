/**
 * The pieces of the KMS providers that need no server: cosign's URI forms, the policy key cache, SigV4
 * (against a vector made by botocore's SigV4Auth for the same request), and CRC32C.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cachedKmsPublicKey,
  clearKmsKeyCache,
  generateKeyPair,
  isKmsUri,
  KMS_KEY_TTL_MS,
  parseKmsUri,
} from '../../src/crypto/index.js';
import { signAwsJsonRequest } from '../../src/crypto/kms/aws-sigv4.js';
import { crc32c } from '../../src/crypto/kms/crc32c.js';

describe('KMS URIs (cosign forms)', () => {
  it('awskms: key id, key ARN, alias, alias ARN, with and without an endpoint', () => {
    const id = '1234abcd-12ab-34cd-56ef-1234567890ab';
    assert.deepEqual(parseKmsUri(`awskms:///${id}`), {
      scheme: 'awskms',
      uri: `awskms:///${id}`,
      endpoint: '',
      keyId: id,
    });
    const arn = `arn:aws:kms:us-east-2:111122223333:key/${id}`;
    assert.equal((parseKmsUri(`awskms://localhost:4566/${arn}`) as { keyId: string }).keyId, arn);
    assert.equal(
      (parseKmsUri(`awskms://localhost:4566/${arn}`) as { endpoint: string }).endpoint,
      'localhost:4566',
    );
    assert.deepEqual(parseKmsUri('awskms:///alias/cosign'), {
      scheme: 'awskms',
      uri: 'awskms:///alias/cosign',
      endpoint: '',
      keyId: 'alias/cosign',
      alias: 'alias/cosign',
    });
    const aliasArn = 'arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias';
    assert.equal((parseKmsUri(`awskms:///${aliasArn}`) as { alias: string }).alias, 'alias/ExampleAlias');
    for (const bad of ['awskms://', 'awskms:///not-a-key', 'awskms://host/arn:aws:kms:x:1:key/abc']) {
      assert.throws(() => parseKmsUri(bad), /not a valid awskms key reference/, bad);
    }
  });

  it('gcpkms: with cryptoKeyVersions/N, versions/N or no version', () => {
    const base = 'gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k';
    assert.deepEqual(parseKmsUri(base), {
      scheme: 'gcpkms',
      uri: base,
      project: 'p',
      location: 'global',
      keyRing: 'r',
      cryptoKey: 'k',
    });
    assert.equal((parseKmsUri(`${base}/cryptoKeyVersions/3`) as { version: string }).version, '3');
    assert.equal((parseKmsUri(`${base}/versions/1`) as { version: string }).version, '1');
    assert.throws(() => parseKmsUri('gcpkms://projects/p/keyRings/r/cryptoKeys/k'), /gcpkms/);
  });

  it('azurekms: vault host, key, optional version; hashivault and openbao: one key name', () => {
    assert.deepEqual(parseKmsUri('azurekms://myvault.vault.azure.net/cosign'), {
      scheme: 'azurekms',
      uri: 'azurekms://myvault.vault.azure.net/cosign',
      vaultUrl: 'https://myvault.vault.azure.net/',
      keyName: 'cosign',
    });
    assert.equal(
      (parseKmsUri('azurekms://v.vault.azure.net/k/0123abcd') as { version: string }).version,
      '0123abcd',
    );
    assert.deepEqual(parseKmsUri('hashivault://cosign-key'), {
      scheme: 'hashivault',
      uri: 'hashivault://cosign-key',
      keyName: 'cosign-key',
    });
    assert.equal((parseKmsUri('openbao://k.1') as { keyName: string }).keyName, 'k.1');
    for (const bad of ['hashivault://a/b', 'hashivault://-x', 'azurekms://v/k/UPPER']) {
      assert.throws(() => parseKmsUri(bad), /not a valid/, bad);
    }
    assert.equal(isKmsUri('cosign.pub'), false);
    assert.equal(isKmsUri('k8s://ns/name'), false);
  });
});

describe('the policy key cache', () => {
  const a = generateKeyPair('ecdsa-p256').publicKey;
  const b = generateKeyPair('ecdsa-p256').publicKey;

  it('fetches once per URI within the TTL, again after it; URIs never share a key', async () => {
    clearKmsKeyCache();
    let now = 1_000;
    const fetched: string[] = [];
    const fetchKey = async (uri: string) => {
      fetched.push(uri);
      return uri.endsWith('a') ? a : b;
    };
    assert.equal(await cachedKmsPublicKey('hashivault://a', fetchKey, () => now), a);
    assert.equal(await cachedKmsPublicKey('hashivault://a', fetchKey, () => now), a);
    assert.equal(await cachedKmsPublicKey('hashivault://b', fetchKey, () => now), b);
    now += KMS_KEY_TTL_MS;
    assert.equal(await cachedKmsPublicKey('hashivault://a', fetchKey, () => now), a);
    assert.deepEqual(fetched, ['hashivault://a', 'hashivault://b', 'hashivault://a']);
  });

  it('a failed fetch is not cached', async () => {
    clearKmsKeyCache();
    let fail = true;
    const fetchKey = async () => {
      if (fail) throw new Error('unreachable');
      return a;
    };
    await assert.rejects(cachedKmsPublicKey('hashivault://a', fetchKey), /unreachable/);
    fail = false;
    assert.equal(await cachedKmsPublicKey('hashivault://a', fetchKey), a);
    clearKmsKeyCache();
  });
});

describe('SigV4 and CRC32C', () => {
  it("signs a KMS Sign request exactly as botocore's SigV4Auth does", () => {
    const signed = signAwsJsonRequest({
      endpoint: 'https://kms.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      service: 'kms',
      target: 'TrentService.Sign',
      body: '{"KeyId":"alias/sigil","Message":"AAAA","MessageType":"DIGEST","SigningAlgorithm":"ECDSA_SHA_256"}',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        sessionToken: 'session-token-example',
      },
      now: new Date('2026-12-07T21:00:00Z'),
    });
    assert.equal(
      signed.headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/eu-west-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=c4463d52c1dca0801647494390d7429c697c3bdea5ff24db611613993ab53bbd',
    );
  });

  it('CRC32C of the check string is e3069283 (RFC 3720 B.4)', () => {
    assert.equal(crc32c(Buffer.from('123456789')).toString(16), 'e3069283');
  });
});
