/**
 * Kyverno attestors that bring their own trust, on the local stack (CA with CT log, transparency log,
 * registry): keyless `roots` with `rekor.pubkey` / `ctlog.pubkey` and no trusted root at all, and the
 * `certificates` attestor (`cert`, `cert` + `certChain`, `certChain` alone). Each passes with the stack's
 * own material and fails with another CA's, another certificate, or a missing log key.
 */
import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCaMaterial } from '../../src/ca/index.js';
import { encodePem } from '../../src/core/index.js';
import { keylessSigner, signImage } from '../../src/cosign/index.js';
import { publicKeyPem, type Signer } from '../../src/crypto/index.js';
import { parseReference, pushTestImage, RegistryClient } from '../../src/oci/index.js';
import { type EvaluationOptions, evaluateResource } from '../../src/policy/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { logKeyPath, RekorClient } from '../../src/tlog/index.js';
import { parseTrustedRoot } from '../../src/verify/index.js';
import { workDir } from '../helpers/cli.js';
import { podRequest, verifyImagesPolicy } from '../helpers/kyverno-policy.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const pod = (image: string) => podRequest([image]);

const pemOf = (certificates: readonly X509Certificate[]) =>
  certificates.map((c) => encodePem('CERTIFICATE', c.raw)).join('');

describe('attestors with their own roots and certificates', () => {
  let stack: RunningStack;
  const client = new RegistryClient({});
  let image: string;
  let signer: Signer;
  let otherSigner: Signer;
  /** The stack's CA chain, its log key and its CT log key, as a policy would paste them. */
  let caChain: string;
  let logKey: string;
  let ctLogKey: string;
  let foreignChain: string;
  /** The webhook's trusted root: the stack's. */
  let withRoot: EvaluationOptions;
  /** No trusted root: attestors must bring everything. */
  let bare: EvaluationOptions;
  const identity = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

  before(async () => {
    const dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    const ref = parseReference(`${stack.registryAddress}/org/app:v1`);
    await pushTestImage(client, ref, { files: { 'f.txt': 'keyless' } });
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    signer = await keylessSigner(stack.urls.ca, token);
    otherSigner = await keylessSigner(stack.urls.ca, token);
    await signImage({ client, signer, image: ref, tlog: new RekorClient(stack.urls.tlog) });
    image = `${stack.registryAddress}/org/app:v1`;
    const trustedRoot = parseTrustedRoot(readFileSync(stack.trustedRootPath), 'trusted root');
    caChain = (signer.certificateChain ?? []).slice(1).join('');
    logKey = readFileSync(`${logKeyPath(join(dir, '.sigil', 'tlog'))}.pub`, 'utf8');
    const ctSpki = trustedRoot.ctlogs[0]?.publicKey?.rawBytes;
    assert.ok(ctSpki, 'the trusted root names the CT log');
    ctLogKey = encodePem('PUBLIC KEY', ctSpki);
    foreignChain = pemOf((await createCaMaterial('elsewhere')).chain);
    withRoot = { client, endpoint: 'mutate', trustedRoot };
    bare = { client, endpoint: 'mutate' };
  });
  after(() => stack.close());

  const decide = (entry: Record<string, unknown>, options: EvaluationOptions) =>
    evaluateResource(
      pod(image),
      verifyImagesPolicy('own-trust', [{ imageReferences: ['*'], attestors: [{ entries: [entry] }] }]),
      options,
    );
  const admitted = async (entry: Record<string, unknown>, options: EvaluationOptions) => {
    const outcome = await decide(entry, options);
    assert.equal(outcome.allowed, true, `${JSON.stringify(entry).slice(0, 200)}: ${outcome.message}`);
  };
  const denied = async (entry: Record<string, unknown>, options: EvaluationOptions, reason: RegExp) => {
    const outcome = await decide(entry, options);
    assert.equal(outcome.allowed, false, JSON.stringify(entry).slice(0, 200));
    assert.match(outcome.message ?? '', reason);
  };

  it('keyless roots with rekor.pubkey and ctlog.pubkey verify without any trusted root', async () => {
    const keyless = {
      roots: caChain,
      subject: 'https://github.com/org/*',
      issuer: stack.issuers['github-actions'],
      rekor: { pubkey: logKey },
      ctlog: { pubkey: ctLogKey },
    };
    await admitted({ keyless }, bare);
    await admitted(
      { keyless: { roots: caChain, rekor: { pubkey: logKey }, ctlog: { pubkey: ctLogKey } } },
      bare,
    );
    await denied({ keyless: { ...keyless, roots: foreignChain } }, bare, /certificate chain/i);
    await denied(
      { keyless: { ...keyless, subject: 'https://github.com/org-evil/*' } },
      bare,
      /identity rejected/,
    );
    const { rekor: _rekor, ...unlogged } = keyless;
    await denied({ keyless: unlogged }, bare, /no trusted transparency log to check the log entry with/);
    const { ctlog: _ctlog, ...noCt } = keyless;
    await denied({ keyless: noCt }, bare, /no trusted CT log, so no SCT can be checked/);
  });

  it("a keyless rekor.pubkey or ctlog.pubkey replaces the trusted root's, so a foreign one fails", async () => {
    const keyless = { subject: identity, issuer: stack.issuers['github-actions'] };
    await admitted({ keyless }, withRoot);
    await admitted({ keyless: { ...keyless, roots: caChain } }, withRoot);
    const foreignKey = publicKeyPem((await createCaMaterial('elsewhere')).ctLogKey);
    await denied(
      { keyless: { ...keyless, rekor: { pubkey: foreignKey } } },
      withRoot,
      /inclusion promise|transparency log/i,
    );
    await denied({ keyless: { ...keyless, ctlog: { pubkey: foreignKey } } }, withRoot, /SCT|certificate/i);
  });

  it("certificates.cert: signatures must verify with that certificate's key", async () => {
    const cert = signer.certificateChain?.[0] ?? '';
    const unlogged = { rekor: { ignoreTlog: true } };
    await admitted({ certificates: { cert, ...unlogged } }, bare);
    await denied(
      { certificates: { cert: otherSigner.certificateChain?.[0], ...unlogged } },
      bare,
      /signature/i,
    );
    await denied({ certificates: { cert } }, bare, /no trusted transparency log key/);
    await denied({ certificates: { cert: 'not a certificate', ...unlogged } }, bare, /no PEM block/);
  });

  it('certificates.cert with certChain: the certificate must chain to it and carry an SCT of a trusted CT log', async () => {
    const cert = signer.certificateChain?.[0] ?? '';
    const lax = { rekor: { ignoreTlog: true }, ctlog: { ignoreSCT: true } };
    await admitted({ certificates: { cert, certChain: caChain, ...lax } }, bare);
    await denied(
      { certificates: { cert, certChain: foreignChain, ...lax } },
      bare,
      /does not chain to certChain/,
    );
    const unlogged = { cert, certChain: caChain, rekor: { ignoreTlog: true } };
    await admitted({ certificates: unlogged }, withRoot);
    await admitted({ certificates: { ...unlogged, ctlog: { pubkey: ctLogKey } } }, bare);
    await denied({ certificates: unlogged }, bare, /no trusted CT log to check its SCT with/);
    const foreignKey = publicKeyPem((await createCaMaterial('elsewhere')).ctLogKey);
    await denied(
      { certificates: { ...unlogged, ctlog: { pubkey: foreignKey } } },
      bare,
      /no embedded SCT verifies with a trusted CT log's key/,
    );
    const selfSigned = selfSignedCertificate().cert;
    await denied(
      { certificates: { cert: selfSigned, certChain: selfSigned, rekor: { ignoreTlog: true } } },
      withRoot,
      /has no embedded SCT/,
    );
  });

  it("certificates.certChain alone: the signature's own certificate must chain to it, any identity", async () => {
    await admitted({ certificates: { certChain: caChain } }, withRoot);
    await denied({ certificates: { certChain: foreignChain } }, withRoot, /certificate chain/i);
  });
});
