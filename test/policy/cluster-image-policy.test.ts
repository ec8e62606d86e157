/**
 * The Sigstore policy-controller's ClusterImagePolicy, read into the policy model and enforced by the same
 * engine as Kyverno policies, against really signed images on the local stack (registry, log, CA): key and
 * keyless authorities, static ones, any-of over authorities, every matching policy required, globs, warn
 * mode, fields sigil does not implement (which fail the images they govern), malformed policies, and the
 * no-match policy.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { attestImage, keylessSigner, signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { globMatch } from '../../src/policy/image-patterns.js';
import {
  type EvaluationOptions,
  evaluateResource,
  INCLUDE_LABEL,
  loadPolicies,
  type PolicySet,
  readClusterImagePolicy,
} from '../../src/policy/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { RekorClient } from '../../src/tlog/index.js';
import { parseTrustedRoot } from '../../src/verify/index.js';
import { workDir } from '../helpers/cli.js';
import { deploymentRequest, podRequest } from '../helpers/kyverno-policy.js';

type Authority = Record<string, unknown>;

describe('ClusterImagePolicy', () => {
  let stack: RunningStack;
  let dir: string;
  const client = new RegistryClient({});
  const key = generateKeyPair('ecdsa-p256');
  const pem = publicKeyPem(key.publicKey);
  const otherPem = publicKeyPem(generateKeyPair('ecdsa-p256').publicKey);
  let keySigned: string;
  let keyless: string;
  let lookAlike: string;
  let unsigned: string;
  let options: EvaluationOptions;
  let issuer: string;

  const push = async (repo: string) => {
    const image = `${stack.registryAddress}/${repo}:v1`;
    await pushTestImage(client, parseReference(image), { files: { 'f.txt': repo } });
    return image;
  };
  const cip = (name: string, authorities: Authority[], spec: Record<string, unknown> = {}) =>
    readClusterImagePolicy(
      {
        apiVersion: 'policy.sigstore.dev/v1beta1',
        kind: 'ClusterImagePolicy',
        metadata: { name },
        spec: { images: [{ glob: `${stack.registryAddress}/**` }], authorities, ...spec },
      },
      `${name}.yaml: document 1`,
    );
  const decide = (image: string, ...policies: ReturnType<typeof cip>[]) =>
    evaluateResource(podRequest([image]), { policies }, options);
  const keyAuthority = (data = pem): Authority => ({ name: 'key', key: { data } });

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    issuer = stack.issuers['github-actions'] ?? '';
    const tlog = new RekorClient(stack.urls.tlog);
    keySigned = await push('org/signed');
    await signImage({ client, signer: keySigner(key.privateKey), image: parseReference(keySigned), tlog });
    await attestImage({
      client,
      signer: keySigner(key.privateKey),
      image: parseReference(keySigned),
      type: 'vuln',
      predicate: Buffer.from(JSON.stringify({ scanner: { uri: 'trivy' } })),
      predicateSource: 'scan',
      tlog,
    });
    const sign = async (repo: string, repository: string) => {
      const image = await push(repo);
      const token = await stack.mintToken({ kind: 'github-actions', repository });
      await signImage({
        client,
        signer: await keylessSigner(stack.urls.ca, token),
        image: parseReference(image),
        tlog,
      });
      return image;
    };
    keyless = await sign('org/keyless', 'org/app');
    lookAlike = await sign('org/evil', 'org-evil/app');
    unsigned = await push('org/unsigned');
    options = {
      client,
      trustedRoot: parseTrustedRoot(readFileSync(stack.trustedRootPath), 'trusted root'),
      endpoint: 'mutate',
    };
  });
  after(() => stack.close());

  it('key authority: the right key passes without a log (no ctlog), a wrong key and no signature fail', async () => {
    const ok = await decide(keySigned, cip('key', [keyAuthority()]));
    assert.equal(ok.allowed, true, ok.message);
    assert.deepEqual(
      ok.results.map((r) => [r.policy, r.result]),
      [['key', 'pass']],
    );
    const wrong = await decide(keySigned, cip('key', [keyAuthority(otherPem)]));
    assert.equal(wrong.allowed, false);
    assert.match(wrong.message ?? '', /key:\n {2}authorities: 'image verification failed/);
    assert.equal((await decide(unsigned, cip('key', [keyAuthority()]))).allowed, false);
  });

  it('hashAlgorithm: the hash that goes with the key passes, another one is refused', async () => {
    const hashed = (hashAlgorithm: string) => cip('hash', [{ key: { data: pem, hashAlgorithm } }]);
    assert.equal((await decide(keySigned, hashed('sha256'))).allowed, true);
    const other = await decide(keySigned, hashed('sha512'));
    assert.equal(other.allowed, false);
    assert.match(other.message ?? '', /hashAlgorithm sha512 for this key \(sigil verifies it with sha256\)/);
  });

  it('key authority with attestations: each predicate type must be attested by the key', async () => {
    const attested = (predicateType: string) =>
      cip('att', [{ key: { data: pem }, attestations: [{ name: 'scan', predicateType }] }]);
    const ok = await decide(keySigned, attested('vuln'));
    assert.equal(ok.allowed, true, ok.message);
    const missing = await decide(keySigned, attested('spdxjson'));
    assert.equal(missing.allowed, false);
    assert.match(missing.message ?? '', /https:\/\/spdx\.dev\/Document/);
  });

  it('keyless identities: an exact or regexp identity passes, a look-alike organisation does not', async () => {
    const identities = (ids: Authority[]) =>
      cip('keyless', [{ keyless: { url: 'https://fulcio.example', identities: ids } }]);
    const org = { issuer, subjectRegExp: '^https://github.com/org/' };
    const ok = await decide(keyless, identities([org]));
    assert.equal(ok.allowed, true, ok.message);
    const exact = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
    assert.equal((await decide(keyless, identities([{ issuer, subject: exact }]))).allowed, true);
    const evil = await decide(lookAlike, identities([org]));
    assert.equal(evil.allowed, false);
    assert.match(evil.message ?? '', /org-evil/);
    // An exact subject is no pattern: a prefix of the identity does not pass.
    assert.equal(
      (await decide(keyless, identities([{ issuer, subject: 'https://github.com/org/' }]))).allowed,
      false,
    );
    // Several identities: any one passes.
    const any = identities([{ issuer, subject: 'https://github.com/nobody' }, org]);
    assert.equal((await decide(keyless, any)).allowed, true);
    assert.equal(
      (await decide(keyless, identities([{ issuer: 'https://other', subjectRegExp: '.*' }]))).allowed,
      false,
    );
  });

  it('static authorities pass or fail with their message; any authority passing admits', async () => {
    assert.equal((await decide(unsigned, cip('static', [{ static: { action: 'pass' } }]))).allowed, true);
    const fail = await decide(keySigned, cip('static', [{ static: { action: 'fail', message: 'frozen' } }]));
    assert.equal(fail.allowed, false);
    assert.match(fail.message ?? '', /disallowed by static policy: frozen/);
    const anyOf = cip('any', [keyAuthority(otherPem), keyAuthority()]);
    assert.equal((await decide(keySigned, anyOf)).allowed, true);
    const none = await decide(
      keySigned,
      cip('none', [keyAuthority(otherPem), { static: { action: 'fail' } }]),
    );
    assert.equal(none.allowed, false);
    assert.match(
      none.message ?? '',
      /0 of 1 required entries verified; entries\[0\]: .*; entries\[1\]: disallowed/,
    );
  });

  it('every policy matching an image must pass', async () => {
    const pass = cip('pass', [{ static: { action: 'pass' } }]);
    const key = cip('key', [keyAuthority()]);
    assert.equal((await decide(keySigned, pass, key)).allowed, true);
    const both = await decide(unsigned, pass, key);
    assert.equal(both.allowed, false);
    assert.deepEqual(
      both.results.map((r) => [r.policy, r.result]),
      [
        ['pass', 'pass'],
        ['key', 'fail'],
      ],
    );
  });

  it("globs: '*' stays within a path segment, '**' crosses; bare names are Docker Hub's", async () => {
    const only = (glob: string) => cip('glob', [{ static: { action: 'fail' } }], { images: [{ glob }] });
    // Unmatched images are allowed here, so that only the glob decides.
    const denied = async (glob: string) =>
      !(
        await evaluateResource(
          podRequest([keySigned]),
          { policies: [only(glob)] },
          { ...options, noMatchPolicy: 'allow' },
        )
      ).allowed;
    assert.equal(await denied(`${stack.registryAddress}/org/*`), true);
    assert.equal(await denied(`${stack.registryAddress}/*`), false);
    assert.equal(await denied(`${stack.registryAddress}/**`), true);
    assert.equal(await denied(`${stack.registryAddress}/org/signed`), false);
    assert.equal(await denied(`${stack.registryAddress}/org/signed:**`), true);
    assert.equal(globMatch('*', 'nginx'), true);
    assert.equal(globMatch('*', 'myuser/app'), false);
    assert.equal(globMatch('*/*', 'myuser/app'), true);
    assert.equal(globMatch('index.docker.io/library/nginx:latest', 'nginx'), true);
    assert.equal(globMatch('docker.io/library/*', 'nginx'), false);
    assert.equal(globMatch('ghcr.io/org/app@sha256:*', `ghcr.io/org/app:v1@sha256:${'a'.repeat(64)}`), true);
  });

  it('mode warn admits a failing image with a warning and a fail result', async () => {
    const outcome = await decide(unsigned, cip('warn', [keyAuthority()], { mode: 'warn' }));
    assert.equal(outcome.allowed, true);
    assert.deepEqual(
      outcome.results.map((r) => r.result),
      ['fail'],
    );
    assert.match(outcome.warnings.join('\n'), /^warn\/authorities: image verification failed/);
  });

  it('fields sigil does not implement fail the images they govern, with a reason and a load warning', async () => {
    const cases: [Authority[], Record<string, unknown>, RegExp][] = [
      [
        [
          {
            key: { data: pem },
            attestations: [{ name: 'a', predicateType: 'vuln', policy: { type: 'cue', data: 'x' } }],
          },
        ],
        {},
        /attestation cue policies \(spec\.authorities\.0\.attestations\.0\.policy\) are not supported/,
      ],
      [
        [{ keyless: { identities: [{ issuer, subjectRegExp: '.*' }], trustRootRef: 'mine' } }],
        {},
        /TrustRoot references \(spec\.authorities\.0\.keyless\.trustRootRef\)/,
      ],
      [
        [{ key: { data: pem }, ctlog: { trustRootRef: 'mine' } }],
        {},
        /spec\.authorities\.0\.ctlog\.trustRootRef/,
      ],
      [
        [{ static: { action: 'pass' } }],
        { policy: { type: 'rego', data: 'x' } },
        /rego policies \(spec\.policy\) are not supported/,
      ],
      [[{ key: { kms: 'gitlab://group/project' } }], {}, /KMS keys \(gitlab:\/\/group\/project\)/],
    ];
    for (const [authorities, spec, reason] of cases) {
      const policy = cip('unsupported', authorities, spec);
      assert.match(policy.warnings.join('\n'), /not supported \(images it governs will fail\)/);
      const outcome = await decide(keySigned, policy);
      assert.equal(outcome.allowed, false, String(reason));
      assert.match(outcome.message ?? '', reason);
    }
  });

  it('malformed policies are refused with file, document and path on one line', async () => {
    const file = join(dir, 'bad-cip.yaml');
    const write = (spec: string) =>
      writeFile(
        file,
        `apiVersion: policy.sigstore.dev/v1alpha1\nkind: ClusterImagePolicy\nmetadata:\n  name: bad\nspec:\n${spec}`,
      );
    const refused: [string, RegExp][] = [
      [
        '  images: [{glob: "ghcr.io/*"}]\n  authorities: [{key: {data: x}, static: {action: pass}}]\n',
        /bad-cip\.yaml: document 1: spec\.authorities\.0: needs exactly one of key, keyless, static$/,
      ],
      [
        '  images: [{glob: "ghcr.io/(x)"}]\n  authorities: [{static: {action: pass}}]\n',
        /spec\.images\.0\.glob: invalid glob$/,
      ],
      [
        '  images: [{glob: "a"}]\n  authorities: [{keyless: {identities: [{subject: s}]}}]\n',
        /spec\.authorities\.0\.keyless\.identities\.0: needs exactly one of issuer, issuerRegExp$/,
      ],
      [
        '  images: [{glob: "a"}]\n  authorities: [{static: {action: maybe}}]\n',
        /spec\.authorities\.0\.static\.action: /,
      ],
      ['  images: [{glob: "a"}]\n  authorities: [{static: {action: pass}}]\n  mode: audit\n', /spec\.mode: /],
    ];
    for (const [spec, message] of refused) {
      await write(spec);
      assert.throws(
        () => loadPolicies([file]),
        (err: Error) => message.test(err.message) && !err.message.includes('\n'),
      );
    }
    await write('  images: [{glob: "a"}]\n  authorities: [{key: {data: "not a key"}}]\n');
    const loaded = loadPolicies([file]).policies[0];
    assert.match(
      loaded?.warnings.join('\n') ?? '',
      /spec\.authorities\.0\.key\.data: no PUBLIC KEY block found/,
    );
  });

  it('loads beside Kyverno policies; OpenShift ClusterImagePolicies are not its documents', async () => {
    const file = join(dir, 'mixed.yaml');
    await writeFile(
      file,
      `apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: p}\nspec:\n  images: [{glob: "**"}]\n  authorities: [{static: {action: pass}}]\n---\napiVersion: config.openshift.io/v1\nkind: ClusterImagePolicy\nmetadata: {name: o}\nspec: {scopes: [x]}\n---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules: [{name: r, match: {any: [{resources: {kinds: [Pod]}}]}}]\n`,
    );
    const { policies } = loadPolicies([file]);
    assert.deepEqual(
      policies.map((p) => [p.name, p.origin ?? 'Kyverno']),
      [
        ['p', 'ClusterImagePolicy'],
        ['p', 'Kyverno'],
      ],
    );
  });

  it('spec.match selects resources by group, version and resource; the namespace must opt in', async () => {
    const deployment = deploymentRequest(unsigned, 'default', { app: 'web' });
    const fail = [{ static: { action: 'fail' } }];
    const set = (match: unknown): PolicySet => ({ policies: [cip('m', fail, { match })] });
    const denied = async (match: unknown, request = deployment) =>
      !(await evaluateResource(request, set(match), { ...options, noMatchPolicy: 'allow' })).allowed;
    assert.equal(await denied(undefined), true);
    assert.equal(await denied([{ group: 'apps', version: 'v1', resource: 'deployments' }]), true);
    assert.equal(await denied([{ group: 'apps', version: '*', resource: 'deployments' }]), true);
    assert.equal(await denied([{ group: '', version: 'v1', resource: 'pods' }]), false);
    assert.equal(
      await denied([
        { group: 'apps', version: 'v1', resource: 'deployments', selector: { matchLabels: { app: 'db' } } },
      ]),
      false,
    );
    const optedIn = { ...deployment, namespaceLabels: { [INCLUDE_LABEL]: 'true' } };
    assert.equal(await denied(undefined, optedIn), true);
    assert.equal(await denied(undefined, { ...deployment, namespaceLabels: {} }), false);
  });

  it('no-match-policy: deny (the default), warn or allow images no policy matches, only with ClusterImagePolicies', async () => {
    const other = cip('other', [{ static: { action: 'pass' } }], { images: [{ glob: 'ghcr.io/**' }] });
    const denied = await decide(unsigned, other);
    assert.equal(denied.allowed, false);
    assert.match(denied.message ?? '', /no-match-policy:\n {2}deny: 'no matching policies for image /);
    const warned = await evaluateResource(
      podRequest([unsigned]),
      { policies: [other] },
      { ...options, noMatchPolicy: 'warn' },
    );
    assert.equal(warned.allowed, true);
    assert.deepEqual(
      warned.results.map((r) => [r.policy, r.result]),
      [['no-match-policy', 'warn']],
    );
    const allowed = await evaluateResource(
      podRequest([unsigned]),
      { policies: [other] },
      { ...options, noMatchPolicy: 'allow' },
    );
    assert.deepEqual([allowed.allowed, allowed.results], [true, []]);
    // Namespaces that did not opt in are not reviewed; without ClusterImagePolicies nothing changes.
    const notIncluded = { ...podRequest([unsigned]), namespaceLabels: { team: 'a' } };
    assert.equal((await evaluateResource(notIncluded, { policies: [other] }, options)).allowed, true);
    assert.equal((await evaluateResource(podRequest([unsigned]), { policies: [] }, options)).allowed, true);
  });
});
