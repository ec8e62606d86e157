/**
 * `--new-bundle-format` (cosign v3): image signatures and attestations as Sigstore bundles stored as OCI
 * 1.1 referrers. Signed keyless on `sigil serve`'s stack and with a key, verified by `sigil verify` /
 * `verify-attestation` and, independently, by `@sigstore/verify`; on the embedded registry (referrers API)
 * and the distribution registry (referrers tag schema). Bundles about another image, tampered bundles,
 * wrong identities and the legacy-only switch are refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { BUNDLE_PREDICATE_TYPE_ANNOTATION, pushBundleReferrer } from '../../src/cosign/index.js';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { logKeyPath } from '../../src/tlog/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { dockerRegistryInstalled, startDockerRegistry } from '../helpers/docker-registry.js';
import { COSIGN_KEY, COSIGN_PUB, FIXTURES, fixture } from '../helpers/fixtures.js';
import { peerMissing } from '../helpers/peers.js';

const SIGN_TYPE = 'https://sigstore.dev/cosign/sign/v1';

describe('--new-bundle-format: bundles as OCI 1.1 referrers', () => {
  let stack: RunningStack;
  let dir: string;
  let issuer: string;
  const client = new RegistryClient({});
  const identity = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
  const run = (args: string[]) => sigil(args, { cwd: dir, env: { COSIGN_PASSWORD: '' } });
  const push = async (address: string, repo: string, content = repo): Promise<string> => {
    const reference = parseReference(`${address}/${repo}:v1`);
    const digest = await pushTestImage(client, reference, { files: { 'f.txt': content } });
    return formatReference({ ...reference, tag: undefined, digest });
  };
  const identityFlags = () => ['--certificate-identity', identity, '--certificate-oidc-issuer', issuer];
  const token = () => stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
  /** Keyless `sign` or `attest` with --new-bundle-format. */
  const bundleKeyless = async (command: 'sign' | 'attest', ...args: string[]) =>
    run([command, '--yes', '--identity-token', await token(), '--new-bundle-format', ...args]);

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    issuer = stack.issuers['github-actions'];
    await writeFile(join(dir, 'vuln.json'), fixture('cosign/attestations_vuln-predicate.json'));
  });
  after(() => stack.close());

  it('keyless sign: the referrer verifies with sigil verify and its bundle with @sigstore/verify', async () => {
    const image = await push(stack.registryAddress, 'org/keyless');
    const signed = await bundleKeyless('sign', '--bundle', 'image.sigstore.json', '-a', 'env=prod', image);
    assert.equal(signed.code, 0, signed.stderr);

    const verified = await run(['verify', ...identityFlags(), image]);
    assert.equal(verified.code, 0, verified.stderr);
    const [claims] = JSON.parse(verified.stdout);
    assert.equal(claims.critical.type, SIGN_TYPE);
    assert.equal(claims.critical.image['docker-manifest-digest'], image.split('@')[1]);
    assert.deepEqual(claims.optional, { env: 'prod' });
    assert.equal((await run(['verify', ...identityFlags(), '-a', 'env=prod', image])).code, 0);
    const wrongAnnotation = await run(['verify', ...identityFlags(), '-a', 'env=dev', image]);
    assert.equal(wrongAnnotation.code, 1);
    assert.match(errorLine(wrongAnnotation), /missing annotations env=dev/);

    // The independent verifier: the bundle file is a DSSE bundle over the statement about the image.
    const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(stack.trustedRootPath, 'utf8')));
    const bundle = bundleFromJSON(JSON.parse(readFileSync(join(dir, 'image.sigstore.json'), 'utf8')));
    const signer = new Verifier(toTrustMaterial(root)).verify(toSignedEntity(bundle));
    assert.equal(signer.identity?.subjectAlternativeName, identity);
    const statement = JSON.parse(
      Buffer.from(
        bundle.content.$case === 'dsseEnvelope' ? bundle.content.dsseEnvelope.payload : '',
      ).toString(),
    );
    assert.equal(statement.predicateType, SIGN_TYPE);
    assert.deepEqual(statement.subject[0].digest, { sha256: image.split('sha256:')[1] });

    const tree = await run(['tree', image]);
    // As cosign tree names a bundle referrer: by its predicate type.
    assert.match(
      tree.stdout,
      /└── 🔗 https:\/\/sigstore\.dev\/cosign\/sign\/v1 artifacts via OCI referrer: /,
    );
  });

  it('refuses a wrong identity, the legacy-only switch, and an image with no signature at all', async () => {
    const image = await push(stack.registryAddress, 'org/refusals');
    assert.equal((await bundleKeyless('sign', image)).code, 0);
    const wrongIdentity = await run([
      'verify',
      '--certificate-identity-regexp',
      '^https://github.com/org-evil/',
      '--certificate-oidc-issuer',
      issuer,
      image,
    ]);
    assert.equal(wrongIdentity.code, 1);
    assert.match(errorLine(wrongIdentity), /no matching signatures/);
    const legacyOnly = await run(['verify', ...identityFlags(), '--new-bundle-format=false', image]);
    assert.equal(legacyOnly.code, 1);
    assert.match(errorLine(legacyOnly), /no signatures found/);
    const unsigned = await run([
      'verify',
      ...identityFlags(),
      await push(stack.registryAddress, 'org/unsigned'),
    ]);
    assert.equal(unsigned.code, 1);
    assert.match(errorLine(unsigned), /no signatures found/);
  });

  it("refuses another image's bundle attached as a referrer, and a tampered bundle", async () => {
    const signedImage = await push(stack.registryAddress, 'org/original');
    const signed = await bundleKeyless('sign', '--bundle', 'original.json', '--upload=false', signedImage);
    assert.equal(signed.code, 0, signed.stderr);
    const bundle = readFileSync(join(dir, 'original.json'));
    const annotations = {
      [BUNDLE_PREDICATE_TYPE_ANNOTATION]: SIGN_TYPE,
      'dev.sigstore.bundle.content': 'dsse-envelope',
    };

    // A valid bundle, but about another digest, attached to this image.
    const victim = parseReference(await push(stack.registryAddress, 'org/victim'));
    await pushBundleReferrer(client, victim, bundle, annotations);
    const replayed = await run(['verify', ...identityFlags(), formatReference(victim)]);
    assert.equal(replayed.code, 1);
    assert.match(errorLine(replayed), /the statement is about sha256:[0-9a-f]+, not sha256:/);

    // The right image's bundle with one payload byte changed.
    const json = JSON.parse(bundle.toString());
    const payload = Buffer.from(json.dsseEnvelope.payload, 'base64');
    payload[payload.length - 3] = (payload[payload.length - 3] ?? 0) ^ 1;
    json.dsseEnvelope.payload = payload.toString('base64');
    const original = parseReference(signedImage);
    await pushBundleReferrer(client, original, Buffer.from(JSON.stringify(json)), annotations);
    const tampered = await run(['verify', ...identityFlags(), signedImage]);
    assert.equal(tampered.code, 1);
    assert.match(errorLine(tampered), /no matching signatures/);
  });

  it('keyless attest: verify-attestation checks type and policy on the bundle referrer', async () => {
    const image = await push(stack.registryAddress, 'org/attested');
    const attested = await bundleKeyless('attest', '--type', 'vuln', '--predicate', 'vuln.json', image);
    assert.equal(attested.code, 0, attested.stderr);
    const verified = await run(['verify-attestation', '--type', 'vuln', ...identityFlags(), image]);
    assert.equal(verified.code, 0, verified.stderr);
    const envelope = JSON.parse(verified.stdout.trim().split('\n')[0] ?? '');
    assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
    const wrongType = await run(['verify-attestation', '--type', 'spdxjson', ...identityFlags(), image]);
    assert.equal(wrongType.code, 1);
    await writeFile(
      join(dir, 'policy.yaml'),
      'all:\n  - key: "{{ scanner.uri }}"\n    operator: Equals\n    value: nope\n',
    );
    const policy = await run([
      'verify-attestation',
      '--type',
      'vuln',
      '--policy',
      'policy.yaml',
      ...identityFlags(),
      image,
    ]);
    assert.equal(policy.code, 1);
    assert.match(errorLine(policy), /fails the policy/);
    // An attestation is not a signature: verify does not accept the image on it (cosign v3 would).
    const asSignature = await run(['verify', ...identityFlags(), image]);
    assert.equal(asSignature.code, 1);
  });

  it('with a key on the distribution registry (referrers tag schema), next to a legacy signature', {
    skip: peerMissing('docker-registry', dockerRegistryInstalled()),
  }, async () => {
    const registry = await startDockerRegistry();
    try {
      const image = await push(registry.address, 'org/keyed');
      const key = join(FIXTURES, COSIGN_KEY);
      const pub = join(FIXTURES, COSIGN_PUB);
      const sign = (...flags: string[]) =>
        run(['sign', '--key', key, '--tlog-upload=false', ...flags, image]);
      assert.equal((await sign('--new-bundle-format')).code, 0);
      assert.equal((await sign()).code, 0, 'a legacy .sig signature beside it');
      const verified = await run(['verify', '--key', pub, '--insecure-ignore-tlog', image]);
      assert.equal(verified.code, 0, verified.stderr);
      const types = (JSON.parse(verified.stdout) as Array<{ critical: { type: string } }>).map(
        (c) => c.critical.type,
      );
      assert.deepEqual(types.sort(), ['cosign container image signature', SIGN_TYPE]);
      const otherKey = await run([
        'verify',
        '--key',
        `${logKeyPath(join(dir, '.sigil', 'tlog'))}.pub`,
        '--insecure-ignore-tlog',
        image,
      ]);
      assert.equal(otherKey.code, 1);
      const unlogged = await run(['verify', '--key', pub, image]);
      assert.equal(unlogged.code, 1, 'a bundle without a log entry needs --insecure-ignore-tlog');
    } finally {
      await registry.close();
    }
  });
});
