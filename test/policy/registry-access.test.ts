/**
 * Where verifyImages reads from and with which credentials: `repository` (signatures and attestations kept
 * apart from the image, as with COSIGN_REPOSITORY) and `imageRegistryCredentials` (pull Secrets read through
 * the Kubernetes API, the default provider, plain HTTP), on embedded registries, one of them requiring
 * Basic auth. The API server is the stand-in of test/kube/fake-api-server.ts.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifierContext } from '../../src/cli/policy-context.js';
import { isSigilError } from '../../src/core/index.js';
import { attestImage, signImage } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner, publicKeyPem } from '../../src/crypto/index.js';
import {
  ANONYMOUS,
  buildRegistryApp,
  type CredentialStore,
  parseReference,
  pushTestImage,
  RegistryClient,
  type RunningRegistry,
  startRegistry,
} from '../../src/oci/index.js';
import {
  type EvaluationOptions,
  evaluateResource,
  type PolicySet,
  type ResourceRequest,
  readPolicyDocument,
  registryClientFactory,
  type SecretReader,
} from '../../src/policy/index.js';
import { workDir } from '../helpers/cli.js';
import { apiClient, type FakeApiServer, startFakeApiServer } from '../kube/fake-api-server.js';

const POD = (image: string): ResourceRequest => ({
  kind: { group: '', version: 'v1', kind: 'Pod' },
  operation: 'CREATE',
  namespace: 'default',
  name: 'web',
  object: { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image }] } },
});

const policyDocument = (verifyImages: unknown) => ({
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name: 'signed' },
  spec: {
    validationFailureAction: 'Enforce',
    rules: [{ name: 'check', match: { any: [{ resources: { kinds: ['Pod'] } }] }, verifyImages }],
  },
});
const policy = (verifyImages: unknown): PolicySet => ({
  policies: [readPolicyDocument(policyDocument(verifyImages), 'test policy')],
});

const USER = { username: 'ci', password: 's3cret' };
const staticCredentials = (credential = USER): CredentialStore => ({ get: async () => credential });
const b64 = (text: string) => Buffer.from(text).toString('base64');
const dockerConfigSecret = (name: string, registry: string, password: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'kubernetes.io/dockerconfigjson',
  metadata: { name, namespace: 'sigil-system' },
  data: {
    '.dockerconfigjson': b64(JSON.stringify({ auths: { [registry]: { auth: b64(`ci:${password}`) } } })),
  },
});
/** A non-loopback IPv4 address of this machine: the client allows plain HTTP to loopback registries anyway. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i?.family === 'IPv4' && !i.internal)?.address;

describe('verifyImages repository and imageRegistryCredentials', () => {
  const key = generateKeyPair('ecdsa-p256');
  const signer = keySigner(key.privateKey);
  const attestors = [
    { entries: [{ keys: { publicKeys: publicKeyPem(key.publicKey), rekor: { ignoreTlog: true } } }] },
  ];
  const anonymous = new RegistryClient({ credentials: ANONYMOUS });
  let open: RunningRegistry;
  let locked: RunningRegistry;
  let api: FakeApiServer;
  let readSecret: SecretReader;
  let apart: string; // signed with its signatures in another repository
  let privateImage: string; // in the registry that requires a login

  const context = (
    options: { readSecret?: SecretReader; defaultCredentials?: CredentialStore } = {},
  ): EvaluationOptions => ({
    client: anonymous,
    clientFor: registryClientFactory({ insecure: false, defaultCredentials: ANONYMOUS, ...options }),
    endpoint: 'mutate',
  });

  before(async () => {
    const dir = await workDir();
    open = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'open') });
    locked = await startRegistry({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'locked'), auth: USER });
    api = await startFakeApiServer();
    const kube = apiClient(api);
    readSecret = (name) => kube.getSecret(kube.namespace, name);

    apart = `${open.address}/org/app:v1`;
    const ref = parseReference(apart);
    await pushTestImage(anonymous, ref, { files: { 'app.txt': 'app' } });
    process.env.COSIGN_REPOSITORY = `${open.address}/org/signatures`;
    try {
      await signImage({ client: anonymous, signer, image: ref });
      await attestImage({
        client: anonymous,
        signer,
        image: ref,
        type: 'vuln',
        predicate: Buffer.from(JSON.stringify({ scanner: { result: { criticalCount: 0 } } })),
        predicateSource: 'scan',
      });
    } finally {
      delete process.env.COSIGN_REPOSITORY;
    }

    privateImage = `${locked.address}/org/private:v1`;
    const authed = new RegistryClient({ credentials: staticCredentials() });
    const privateRef = parseReference(privateImage);
    await pushTestImage(authed, privateRef, { files: { 'secret.txt': 'private' } });
    await signImage({ client: authed, signer, image: privateRef });

    api.put(
      '/api/v1/namespaces/sigil-system/secrets/regcred',
      dockerConfigSecret('regcred', locked.address, 's3cret'),
    );
    api.put(
      '/api/v1/namespaces/sigil-system/secrets/stale',
      dockerConfigSecret('stale', locked.address, 'old'),
    );
    api.put('/api/v1/namespaces/sigil-system/secrets/opaque', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'opaque', namespace: 'sigil-system' },
      data: {},
    });
  });
  after(async () => {
    await open.close();
    await locked.close();
    await api.close();
  });

  describe('repository', () => {
    it('verifies signatures kept in the repository the rule names, and fails without it', async () => {
      const found = await evaluateResource(
        POD(apart),
        policy([{ imageReferences: ['*'], attestors, repository: `${open.address}/org/signatures` }]),
        context(),
      );
      assert.equal(found.allowed, true, found.message);
      assert.equal(found.results[0]?.result, 'pass');
      const missing = await evaluateResource(
        POD(apart),
        policy([{ imageReferences: ['*'], attestors }]),
        context(),
      );
      assert.equal(missing.allowed, false);
      assert.match(missing.message ?? '', /no signatures found for .*org\/app@sha256:/);
    });

    it('reads attestations from that repository too', async () => {
      const attestations = [{ type: 'https://cosign.sigstore.dev/attestation/vuln/v1', attestors }];
      const found = await evaluateResource(
        POD(apart),
        policy([{ imageReferences: ['*'], attestations, repository: `${open.address}/org/signatures` }]),
        context(),
      );
      assert.equal(found.allowed, true, found.message);
      const missing = await evaluateResource(
        POD(apart),
        policy([{ imageReferences: ['*'], attestations }]),
        context(),
      );
      assert.match(missing.message ?? '', /no attestations found/);
    });

    it('refuses a repository with a tag when the policy loads, naming the field', () => {
      assert.throws(
        () => policy([{ imageReferences: ['*'], attestors, repository: 'ghcr.io/org/sigs:v1' }]),
        (err) => {
          assert.ok(isSigilError(err, 'BAD_INPUT'));
          assert.equal(
            err.message,
            'test policy: spec.rules.0.verifyImages.0.repository: the repository must name a repository without tag or digest, got "ghcr.io/org/sigs:v1"',
          );
          return true;
        },
      );
      assert.throws(
        () => policy([{ imageReferences: ['*'], attestors, repository: 'Not A Repo' }]),
        /verifyImages\.0\.repository: /,
      );
    });
  });

  describe('imageRegistryCredentials', () => {
    it('carries allowInsecureRegistry, providers and secrets into the model', () => {
      const set = policy([
        {
          imageReferences: ['*'],
          attestors,
          imageRegistryCredentials: {
            allowInsecureRegistry: true,
            providers: ['default'],
            secrets: ['a', 'b'],
          },
        },
      ]);
      assert.deepEqual(set.policies[0]?.rules[0]?.verifyImages[0]?.registryCredentials, {
        allowInsecureRegistry: true,
        providers: ['default'],
        secrets: ['a', 'b'],
      });
    });

    it('refuses cloud providers and malformed fields when the policy loads', () => {
      const load = (imageRegistryCredentials: unknown) => () =>
        policy([{ imageReferences: ['*'], attestors, imageRegistryCredentials }]);
      assert.throws(
        load({ providers: ['default', 'amazon'] }),
        /test policy: spec\.rules\.0\.verifyImages\.0\.imageRegistryCredentials\.providers\.1: provider amazon is not supported \(only default, the controller's docker config\)/,
      );
      assert.throws(load({ providers: ['quay'] }), /imageRegistryCredentials\.providers\.0: Invalid option/);
      assert.throws(load({ secrets: 'regcred' }), /imageRegistryCredentials\.secrets: /);
      assert.throws(
        load({ allowInsecureRegistry: 'yes' }),
        /imageRegistryCredentials\.allowInsecureRegistry: /,
      );
    });

    it('logs in to a private registry with a pull Secret read through the Kubernetes API', async () => {
      const before = api.requests.length;
      const outcome = await evaluateResource(
        POD(privateImage),
        policy([{ imageReferences: ['*'], attestors, imageRegistryCredentials: { secrets: ['regcred'] } }]),
        context({ readSecret }),
      );
      assert.equal(outcome.allowed, true, outcome.message);
      const reads = api.requests.slice(before).filter((r) => r.path.endsWith('/secrets/regcred'));
      assert.equal(reads.length, 1, 'the Secret is read once and reused');
    });

    it("--image-pull-secrets (Kyverno's --imagePullSecrets) reach every registry, rules naming none", async () => {
      const withPullSecrets = {
        ...verifierContext({ allowInsecureRegistry: false }, apiClient(api), ['regcred']),
        endpoint: 'mutate' as const,
      };
      const outcome = await evaluateResource(
        POD(privateImage),
        policy([{ imageReferences: ['*'], attestors }]),
        withPullSecrets,
      );
      assert.equal(outcome.allowed, true, outcome.message);
    });

    it('is refused by the private registry without credentials, or with a stale Secret', async () => {
      const anonymousOutcome = await evaluateResource(
        POD(privateImage),
        policy([{ imageReferences: ['*'], attestors }]),
        context({ readSecret }),
      );
      assert.equal(anonymousOutcome.allowed, false);
      assert.match(anonymousOutcome.message ?? '', /401|unauthorized/i);
      const stale = await evaluateResource(
        POD(privateImage),
        policy([{ imageReferences: ['*'], attestors, imageRegistryCredentials: { secrets: ['stale'] } }]),
        context({ readSecret }),
      );
      assert.equal(stale.allowed, false);
      assert.match(stale.message ?? '', /401|unauthorized/i);
    });

    it('says which Secret is missing, of the wrong type, or unreadable without an API', async () => {
      const verify = async (secrets: string[], options: { readSecret?: SecretReader } = { readSecret }) =>
        (
          await evaluateResource(
            POD(privateImage),
            policy([{ imageReferences: ['*'], attestors, imageRegistryCredentials: { secrets } }]),
            context(options),
          )
        ).results[0]?.message ?? '';
      assert.match(await verify(['absent']), /secrets "absent" not found/);
      assert.match(
        await verify(['opaque']),
        /imageRegistryCredentials secret opaque is of type Opaque, not kubernetes\.io\/dockerconfigjson/,
      );
      assert.match(
        await verify(['regcred'], {}),
        /imageRegistryCredentials secret regcred cannot be read: there is no Kubernetes API/,
      );
    });

    it('uses the controller’s own credentials for the default provider, after the Secrets', async () => {
      const outcome = await evaluateResource(
        POD(privateImage),
        policy([
          {
            imageReferences: ['*'],
            attestors,
            imageRegistryCredentials: { providers: ['default'], secrets: ['absent-from-registry'] },
          },
        ]),
        context({
          defaultCredentials: staticCredentials(),
          readSecret: async () => dockerConfigSecret('x', 'elsewhere.io', 'p'),
        }),
      );
      assert.equal(outcome.allowed, true, outcome.message);
    });

    it('reaches a plain-HTTP registry on another host only with allowInsecureRegistry', {
      skip: externalAddress ? false : 'no non-loopback IPv4 address on this machine',
    }, async () => {
      // Its own server, so the half-open sockets of the refused HTTPS attempts can be cut when it closes.
      const remote = buildRegistryApp({ dataDir: join(await workDir(), 'remote') });
      await remote.listen({ host: externalAddress ?? '', port: 0 });
      try {
        const { port } = remote.server.address() as AddressInfo;
        const image = `${externalAddress}:${port}/org/app:v1`;
        const insecure = new RegistryClient({ insecure: true, credentials: ANONYMOUS });
        await pushTestImage(insecure, parseReference(image), { files: { 'a.txt': 'remote' } });
        await signImage({ client: insecure, signer, image: parseReference(image) });
        const refused = await evaluateResource(
          POD(image),
          policy([{ imageReferences: ['*'], attestors }]),
          context(),
        );
        assert.equal(refused.allowed, false);
        assert.equal(refused.results[0]?.result, 'error');
        const allowed = await evaluateResource(
          POD(image),
          policy([
            { imageReferences: ['*'], attestors, imageRegistryCredentials: { allowInsecureRegistry: true } },
          ]),
          context(),
        );
        assert.equal(allowed.allowed, true, allowed.message);
      } finally {
        remote.server.closeAllConnections();
        await remote.close();
      }
    });
  });
});
