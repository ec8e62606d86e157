/**
 * Interop, keyless, with the real cosign v3 and v2 against sigil's private Sigstore (one `startStack` per
 * suite: CA with Fulcio v2 + legacy v1 routes and its CT log, the log (Rekor v1, then Rekor v2), TSA, dev
 * OIDC issuer, registry). Tokens come from the dev issuer. Both ways: what cosign signs and attests keyless, sigil
 * verifies with identity flags; what sigil signs and attests keyless, cosign verifies, given sigil's
 * trusted root (v3) or the SIGSTORE_* environment variables cosign v2 users set for a private deployment.
 * A wrong identity is rejected by both.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatReference, parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { runProcess, sigil, workDir } from '../helpers/cli.js';
import { requirePeer } from '../helpers/peers.js';

const cosignV3 = requirePeer('cosign-v3', 'cosign');
const cosignV2 = requirePeer('cosign-v2', 'cosign');

const IDENTITY = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';
const PREDICATE_TYPE = 'https://example.com/predicate/v1';

for (const rekorApiVersion of [1, 2] as const) {
  describe(`interop: keyless signing with cosign against sigil serve (Rekor v${rekorApiVersion})`, () => {
    // cosign's --rekor-url (v3's URL flags, and all of cosign v2) speaks the Rekor v1 API: those cases exist
    // on the Rekor v1 stack only; a Rekor v2 log is reached through the signing config.
    const rekorV1Only = rekorApiVersion === 1 ? it : () => undefined;
    let stack: RunningStack;
    let dir: string;
    let issuer: string;
    let imageCount = 0;

    before(async () => {
      dir = await workDir();
      stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1', rekorApiVersion });
      issuer = stack.issuers['github-actions'];
      writeFileSync(join(dir, 'artifact.txt'), 'release artifact\n');
      writeFileSync(join(dir, 'predicate.json'), '{"builder":{"id":"https://example.com/builder"}}');
      // What a cosign v2 user of a private deployment exports: the CA chain, and the CT log and Rekor keys
      // as PEM (here taken from the trusted root sigil serve wrote).
      const root = JSON.parse(readFileSync(stack.trustedRootPath, 'utf8'));
      writeFileSync(join(dir, 'ctlog.pub'), pemOf(root.ctlogs[0].publicKey.rawBytes));
      writeFileSync(join(dir, 'rekor.pub'), pemOf(root.tlogs[0].publicKey.rawBytes));
    });
    after(() => stack.close());

    const token = () => stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const identityFlags = (identity = IDENTITY) => [
      '--certificate-identity',
      identity,
      '--certificate-oidc-issuer',
      issuer,
    ];
    const newImage = async () => {
      imageCount += 1;
      const reference = parseReference(`${stack.registryAddress}/org/app${imageCount}:v1`);
      const digest = await pushTestImage(new RegistryClient({}), reference, {
        files: { 'app.txt': `image ${imageCount}\n` },
      });
      return formatReference({ ...reference, tag: undefined, digest });
    };
    const sigilOk = async (...args: string[]) => {
      const result = await sigil(args, { cwd: dir });
      assert.equal(result.code, 0, `sigil ${args[0]}: ${result.stderr}`);
      return result;
    };
    const sigilRejects = async (...args: string[]) => {
      const result = await sigil(args, { cwd: dir });
      assert.equal(result.code, 1, `sigil ${args[0]} accepted a wrong identity`);
    };

    describe('cosign v3 (signing config and trusted root)', { skip: cosignV3.skip }, () => {
      const cosign = (...args: string[]) => runProcess(cosignV3.path, args, { cwd: dir });
      const cosignOk = async (...args: string[]) => {
        const result = await cosign(...args);
        assert.equal(result.code, 0, `cosign ${args[0]}: ${result.stderr}`);
      };
      const cosignRejects = async (...args: string[]) => {
        const result = await cosign(...args);
        assert.notEqual(result.code, 0, `cosign ${args[0]} accepted a wrong identity`);
        assert.match(result.stderr, /identit/);
      };
      const trust = () => ['--trusted-root', stack.trustedRootPath];
      const signing = () => [...trust(), '--signing-config', stack.signingConfigPath];

      it('signs a blob through the signing config (Fulcio, the log, TSA); sigil verify-blob accepts it', async () => {
        // The signing config names the TSA's endpoint itself: cosign v3 posts to that URL as it is.
        const config = JSON.parse(readFileSync(stack.signingConfigPath, 'utf8'));
        assert.match(config.tsaUrls[0].url, /\/api\/v1\/timestamp$/);
        // The token inline (cosign reads it as a token only when it is an RS256 JWT, else as a file path).
        const bundle = 'blob.cosign3.sigstore.json';
        await cosignOk(
          'sign-blob',
          '--yes',
          '--identity-token',
          await token(),
          ...signing(),
          '--bundle',
          bundle,
          'artifact.txt',
        );
        const written = JSON.parse(readFileSync(join(dir, bundle), 'utf8'));
        assert.equal(written.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
        await sigilOk('verify-blob', '--bundle', bundle, ...identityFlags(), 'artifact.txt');
        await sigilRejects(
          'verify-blob',
          '--bundle',
          bundle,
          ...identityFlags(`${IDENTITY}-other`),
          'artifact.txt',
        );
        await cosignOk('verify-blob', '--bundle', bundle, ...trust(), ...identityFlags(), 'artifact.txt');
      });

      it('verifies what sigil sign-blob signs keyless, and rejects a wrong identity', async () => {
        const bundle = 'blob.sigil.sigstore.json';
        await sigilOk(
          'sign-blob',
          '--yes',
          '--identity-token',
          await token(),
          '--bundle',
          bundle,
          'artifact.txt',
        );
        await cosignOk('verify-blob', '--bundle', bundle, ...trust(), ...identityFlags(), 'artifact.txt');
        await cosignRejects(
          'verify-blob',
          '--bundle',
          bundle,
          ...trust(),
          ...identityFlags(`${IDENTITY}-other`),
          'artifact.txt',
        );
      });

      // cosign v3 signs images as DSSE envelopes, which a Rekor v2 log records as a hashedrekord over
      // the envelope: sigil's verifier does not take that pairing yet (left open, see the report).
      it('signs an image keyless that sigil verifies', async () => {
        const byCosign = await newImage();
        await cosignOk('sign', '--yes', '--identity-token', await token(), ...signing(), byCosign);
        await sigilOk('verify', ...identityFlags(), byCosign);
        await sigilRejects('verify', ...identityFlags(`${IDENTITY}-other`), byCosign);
      });

      it('verifies an image sigil signed keyless, and rejects a wrong identity', async () => {
        const bySigil = await newImage();
        await sigilOk('sign', '--yes', '--identity-token', await token(), bySigil);
        await cosignOk('verify', ...trust(), ...identityFlags(), bySigil);
        await cosignRejects('verify', ...trust(), ...identityFlags(`${IDENTITY}-other`), bySigil);
      });

      rekorV1Only(
        'signs with --fulcio-url, --rekor-url and --timestamp-server-url instead of a signing config',
        async () => {
          const image = await newImage();
          await cosignOk(
            'sign',
            '--yes',
            '--identity-token',
            await token(),
            ...trust(),
            '--use-signing-config=false',
            '--fulcio-url',
            stack.urls.ca,
            '--rekor-url',
            stack.urls.tlog,
            '--timestamp-server-url',
            `${stack.urls.tsa}/api/v1/timestamp`,
            image,
          );
          await sigilOk('verify', ...identityFlags(), image);
        },
      );

      it('attests an image keyless both ways', async () => {
        const byCosign = await newImage();
        const attest = ['--type', PREDICATE_TYPE, '--predicate', 'predicate.json'];
        await cosignOk(
          'attest',
          '--yes',
          '--identity-token',
          await token(),
          ...signing(),
          ...attest,
          byCosign,
        );
        await sigilOk('verify-attestation', '--type', PREDICATE_TYPE, ...identityFlags(), byCosign);

        // sigil writes the .att tag and an intoto entry whose envelope hash is over the pushed layer,
        // which cosign compares.
        const bySigil = await newImage();
        await sigilOk('attest', '--yes', '--identity-token', await token(), ...attest, bySigil);
        await cosignOk(
          'verify-attestation',
          ...trust(),
          '--type',
          PREDICATE_TYPE,
          ...identityFlags(),
          bySigil,
        );
        await cosignRejects(
          'verify-attestation',
          ...trust(),
          '--type',
          PREDICATE_TYPE,
          ...identityFlags(`${IDENTITY}-other`),
          bySigil,
        );
      });

      it('attests a blob keyless both ways', async () => {
        const attest = ['--type', PREDICATE_TYPE, '--predicate', 'predicate.json'];
        await cosignOk(
          'attest-blob',
          '--yes',
          '--identity-token',
          await token(),
          ...signing(),
          ...attest,
          '--bundle',
          'att.cosign3.json',
          'artifact.txt',
        );
        await sigilOk(
          'verify-blob-attestation',
          '--bundle',
          'att.cosign3.json',
          '--type',
          PREDICATE_TYPE,
          ...identityFlags(),
          'artifact.txt',
        );
        await sigilOk(
          'attest-blob',
          '--yes',
          '--identity-token',
          await token(),
          ...attest,
          '--bundle',
          'att.sigil.json',
          'artifact.txt',
        );
        await cosignOk(
          'verify-blob-attestation',
          '--bundle',
          'att.sigil.json',
          ...trust(),
          '--type',
          PREDICATE_TYPE,
          ...identityFlags(),
          'artifact.txt',
        );
      });
    });

    (rekorApiVersion === 1 ? describe : () => undefined)(
      'cosign v2 (--fulcio-url, --rekor-url and SIGSTORE_* trust variables)',
      { skip: cosignV2.skip },
      () => {
        const env = () => ({
          SIGSTORE_ROOT_FILE: join(dir, '.sigil', 'ca', 'chain.pem'),
          SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(dir, 'ctlog.pub'),
          SIGSTORE_REKOR_PUBLIC_KEY: join(dir, 'rekor.pub'),
        });
        const cosign = (...args: string[]) => runProcess(cosignV2.path, args, { cwd: dir, env: env() });
        const cosignOk = async (...args: string[]) => {
          const result = await cosign(...args);
          assert.equal(result.code, 0, `cosign ${args[0]}: ${result.stderr}`);
        };
        const services = () => ['--fulcio-url', stack.urls.ca, '--rekor-url', stack.urls.tlog];

        it("signs an image through Fulcio's v1 API that sigil verifies; verifies an image sigil signed", async () => {
          const byCosign = await newImage();
          await cosignOk('sign', '--yes', '--identity-token', await token(), ...services(), byCosign);
          await sigilOk('verify', ...identityFlags(), byCosign);
          await sigilRejects('verify', ...identityFlags(`${IDENTITY}-other`), byCosign);

          const bySigil = await newImage();
          await sigilOk('sign', '--yes', '--identity-token', await token(), bySigil);
          await cosignOk('verify', '--rekor-url', stack.urls.tlog, ...identityFlags(), bySigil);
          const wrong = await cosign(
            'verify',
            '--rekor-url',
            stack.urls.tlog,
            ...identityFlags(`${IDENTITY}-other`),
            bySigil,
          );
          assert.notEqual(wrong.code, 0);
        });

        it('attests an image (intoto entry) both ways', async () => {
          const attest = ['--type', PREDICATE_TYPE, '--predicate', 'predicate.json'];
          const byCosign = await newImage();
          await cosignOk(
            'attest',
            '--yes',
            '--identity-token',
            await token(),
            ...services(),
            ...attest,
            byCosign,
          );
          await sigilOk('verify-attestation', '--type', PREDICATE_TYPE, ...identityFlags(), byCosign);

          const bySigil = await newImage();
          await sigilOk('attest', '--yes', '--identity-token', await token(), ...attest, bySigil);
          await cosignOk(
            'verify-attestation',
            '--rekor-url',
            stack.urls.tlog,
            '--type',
            PREDICATE_TYPE,
            ...identityFlags(),
            bySigil,
          );
        });

        it('signs a blob with a TSA timestamp into a bundle that sigil verify-blob accepts', async () => {
          const bundle = 'blob.cosign2.sigstore.json';
          await cosignOk(
            'sign-blob',
            '--yes',
            '--identity-token',
            await token(),
            ...services(),
            '--timestamp-server-url',
            `${stack.urls.tsa}/api/v1/timestamp`,
            '--new-bundle-format',
            '--bundle',
            bundle,
            'artifact.txt',
          );
          await sigilOk('verify-blob', '--bundle', bundle, ...identityFlags(), 'artifact.txt');
          await sigilRejects(
            'verify-blob',
            '--bundle',
            bundle,
            ...identityFlags(`${IDENTITY}-other`),
            'artifact.txt',
          );
        });
      },
    );
  });
}

/** A PEM public key from the base64 DER SubjectPublicKeyInfo of a trusted root. */
function pemOf(rawBytes: string): string {
  return createPublicKey({ key: Buffer.from(rawBytes, 'base64'), format: 'der', type: 'spki' }).export({
    type: 'spki',
    format: 'pem',
  }) as string;
}
