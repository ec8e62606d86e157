/**
 * Keyless signing on the local stack (dev OIDC issuer -> CA -> log), verified by our verifier and, as the
 * independent check, by @sigstore/verify given only the trusted_root.json the stack wrote.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { decodeJwt } from 'jose';
import {
  CertificateAuthority,
  createCaMaterial,
  embeddedCtLog,
  loadCaMaterial,
  parseSigningCertRequest,
  TokenVerifier,
} from '../../src/ca/index.js';
import { isSigilError } from '../../src/core/index.js';
import { keylessSigner, signBlob } from '../../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../../src/crypto/index.js';
import { parseBlobBundle } from '../../src/formats/index.js';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { RekorClient } from '../../src/tlog/index.js';
import {
  compileIdentityPolicy,
  type IdentityPolicy,
  parseTrustedRoot,
  verifyBlobBundle,
} from '../../src/verify/index.js';
import { workDir } from '../helpers/cli.js';

const artifact = Buffer.from('release artifact\n');

describe('keyless signing on the local stack', () => {
  let stack: RunningStack;
  let bundleJson: string;
  let root: TrustedRoot;
  const identity = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

  let dataDir: string;

  before(async () => {
    dataDir = await workDir();
    stack = await startStack({ dataDir, host: '127.0.0.1' });
    root = parseTrustedRoot(readFileSync(stack.trustedRootPath), 'trusted_root.json');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signer = await keylessSigner(stack.urls.ca, token);
    const signed = await signBlob(signer, artifact, 'sigstore', new RekorClient(stack.urls.tlog));
    bundleJson = signed.bundle ?? '';
  });
  after(() => stack.close());

  const verify = (policy: IdentityPolicy, data = artifact, json = bundleJson) =>
    verifyBlobBundle(
      { artifact: data, ignoreTlog: false, keyless: { root, policy: compileIdentityPolicy(policy) } },
      parseBlobBundle(json, 'bundle'),
    );
  const rejects = (fn: () => unknown, code: string, pattern?: RegExp) =>
    assert.throws(
      fn,
      (err) => isSigilError(err) && err.code === code && (!pattern || pattern.test(err.message)),
    );

  it('verifies with @sigstore/verify given only trusted_root.json', () => {
    const trust = toTrustMaterial(
      TrustedRoot.fromJSON(JSON.parse(readFileSync(stack.trustedRootPath, 'utf8'))),
    );
    const signer = new Verifier(trust).verify(
      toSignedEntity(bundleFromJSON(JSON.parse(bundleJson)), artifact),
    );
    assert.equal(signer.identity?.subjectAlternativeName, identity);
    assert.equal(signer.identity?.extensions?.issuer, stack.issuers['github-actions']);
  });

  it('fails in @sigstore/verify when any part of the bundle is altered', () => {
    const trust = toTrustMaterial(
      TrustedRoot.fromJSON(JSON.parse(readFileSync(stack.trustedRootPath, 'utf8'))),
    );
    const verifier = new Verifier(trust);
    const json = JSON.parse(bundleJson);
    const flip = (b64: string, at: number) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ 0x01;
      return bytes.toString('base64');
    };
    const mutations: Array<(b: typeof json) => void> = [
      (b) => {
        b.messageSignature.signature = flip(b.messageSignature.signature, 20);
      },
      (b) => {
        b.verificationMaterial.certificate.rawBytes = flip(b.verificationMaterial.certificate.rawBytes, 300);
      },
      (b) => {
        const entry = b.verificationMaterial.tlogEntries[0];
        entry.canonicalizedBody = flip(entry.canonicalizedBody, 40);
      },
      (b) => {
        const entry = b.verificationMaterial.tlogEntries[0];
        entry.inclusionPromise.signedEntryTimestamp = flip(entry.inclusionPromise.signedEntryTimestamp, 10);
      },
      (b) => {
        const entry = b.verificationMaterial.tlogEntries[0];
        entry.integratedTime = String(Number(entry.integratedTime) + 1);
      },
    ];
    for (const [i, mutate] of mutations.entries()) {
      const altered = structuredClone(json);
      mutate(altered);
      assert.throws(
        () => verifier.verify(toSignedEntity(bundleFromJSON(altered), artifact)),
        `mutation ${i} was accepted`,
      );
    }
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(json), Buffer.from('other'))));
  });

  it('verifies with sigil against an exact identity and issuer, and an anchored regexp', () => {
    const result = verify({ identity, issuer: stack.issuers['github-actions'] });
    assert.equal(result.keyless?.identity.githubWorkflowRepository, 'org/app');
    verify({ identityRegexp: '^https://github.com/org/', issuer: stack.issuers['github-actions'] });
    verify({
      identity,
      issuerRegexp: '^http://127\\.0\\.0\\.1:[0-9]+/github-actions$',
      githubWorkflowRepository: 'org/app',
      githubWorkflowTrigger: 'push',
      githubWorkflowRef: 'refs/heads/main',
    });
  });

  it('rejects wrong identities, wrong issuers and workflow fields', () => {
    const issuer = stack.issuers['github-actions'];
    rejects(() => verify({ identity: `${identity}x`, issuer }), 'IDENTITY_MISMATCH');
    rejects(() => verify({ identityRegexp: '^https://github.com/org-evil/', issuer }), 'IDENTITY_MISMATCH');
    rejects(() => verify({ identity, issuer: stack.issuers.email }), 'IDENTITY_MISMATCH', /issuer/);
    rejects(() => verify({ identity, issuerRegexp: '^https://token\\.actions' }), 'IDENTITY_MISMATCH');
    rejects(() => verify({ identity, issuer, githubWorkflowRepository: 'org/other' }), 'IDENTITY_MISMATCH');
  });

  it('matches regexps as cosign does: a search unless anchored', () => {
    const issuer = stack.issuers['github-actions'];
    // `^https://github.com/org/` must not accept a sibling organisation whose name starts the same way.
    const policy = compileIdentityPolicy({ identityRegexp: '^https://github.com/org/', issuer });
    const base = { issuer, extensions: {} };
    assert.equal(
      policy.matches({
        ...base,
        subjects: ['https://github.com/org-evil/app/.github/workflows/x.yml@refs/heads/main'],
      }) !== undefined,
      true,
    );
    assert.equal(
      policy.matches({
        ...base,
        subjects: ['https://github.com/org/app/.github/workflows/x.yml@refs/heads/main'],
      }),
      undefined,
    );
    // An unanchored pattern matches anywhere, as Go's MatchString does; it is reported so the CLI can warn.
    const loose = compileIdentityPolicy({ identityRegexp: 'github.com/org/', issuer });
    assert.equal(loose.matches({ ...base, subjects: ['https://evil.example/?github.com/org/'] }), undefined);
    assert.deepEqual(loose.unanchored, ['github.com/org/']);
  });

  it('requires an identity and an issuer, as cosign does', () => {
    assert.throws(
      () => compileIdentityPolicy({ issuer: 'x' }),
      /--certificate-identity or --certificate-identity-regexp is required/,
    );
    assert.throws(
      () => compileIdentityPolicy({ identity: 'x' }),
      /--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required/,
    );
    assert.throws(
      () => compileIdentityPolicy({ identityRegexp: '(', issuer: 'x' }),
      /invalid regular expression/,
    );
  });

  it('rejects another artifact, and a bundle without its log entry', () => {
    const policy = { identity, issuer: stack.issuers['github-actions'] };
    rejects(() => verify(policy, Buffer.from('other')), 'DIGEST_MISMATCH');
    const unlogged = JSON.parse(bundleJson);
    unlogged.verificationMaterial.tlogEntries = [];
    rejects(() => verify(policy, artifact, JSON.stringify(unlogged)), 'TLOG_ENTRY_MISMATCH');
  });

  const policy = () => ({ identity, issuer: stack.issuers['github-actions'] });
  const withRoot = (edit: (json: Record<string, unknown>) => void, json = bundleJson, data = artifact) => {
    const rootJson = JSON.parse(readFileSync(stack.trustedRootPath, 'utf8'));
    edit(rootJson);
    return () =>
      verifyBlobBundle(
        {
          artifact: data,
          ignoreTlog: false,
          keyless: {
            root: parseTrustedRoot(JSON.stringify(rootJson), 'root'),
            policy: compileIdentityPolicy(policy()),
          },
        },
        parseBlobBundle(json, 'bundle'),
      );
  };

  it('rejects a certificate from another CA', async () => {
    const otherChain = (await createCaMaterial('other')).chain;
    rejects(
      withRoot((root) => {
        const [authority] = root.certificateAuthorities as Array<{ certChain: { certificates: unknown[] } }>;
        if (authority)
          authority.certChain.certificates = otherChain.map((cert) => ({
            rawBytes: cert.raw.toString('base64'),
          }));
      }),
      'BAD_CERTIFICATE',
    );
  });

  it('rejects an SCT from a CT log the trusted root does not list', () => {
    const stranger = generateKeyPair('ecdsa-p256').publicKey.export({ type: 'spki', format: 'der' });
    rejects(
      withRoot((root) => {
        const [ctlog] = root.ctlogs as Array<{ publicKey: { rawBytes: string }; logId: { keyId: string } }>;
        if (ctlog) {
          ctlog.publicKey.rawBytes = stranger.toString('base64');
          ctlog.logId.keyId = createHash('sha256').update(stranger).digest('base64');
        }
      }),
      'BAD_CERTIFICATE',
      /SCT/,
    );
  });

  it('rejects a log entry from a log the trusted root does not list', () => {
    rejects(
      withRoot((root) => {
        root.tlogs = [];
      }),
      'TLOG_ENTRY_MISMATCH',
    );
  });

  it('rejects a certificate that had expired when the signature was logged', async () => {
    const material = await loadCaMaterial(join(dataDir, 'ca'));
    const authority = new CertificateAuthority(
      material,
      new TokenVerifier([
        { issuerUrl: stack.issuers['github-actions'], clientId: 'sigstore', type: 'github-workflow' },
      ]),
      await embeddedCtLog(':memory:', material),
    );
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const ephemeral = keySigner(generateKeyPair('ecdsa-p256').privateKey);
    const sub = String(decodeJwt(token).sub);
    const request = parseSigningCertRequest({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { content: ephemeral.publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: (await ephemeral.sign(Buffer.from(sub))).toString('base64'),
      },
    });
    // Issued an hour ago: it expired 50 minutes before the log integrates the signature below.
    const { chain } = await authority.issue(request, new Date(Date.now() - 3600_000));
    const signed = await signBlob(
      { ...ephemeral, certificateChain: chain },
      artifact,
      'sigstore',
      new RekorClient(stack.urls.tlog),
    );
    rejects(() => verify(policy(), artifact, signed.bundle), 'BAD_CERTIFICATE');
  });

  it('rejects a certificate-signed bundle with no log entry and no timestamp, even with the log check off', async () => {
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await signBlob(await keylessSigner(stack.urls.ca, token), artifact, 'sigstore');
    const root = parseTrustedRoot(readFileSync(stack.trustedRootPath), 'root');
    rejects(
      () =>
        verifyBlobBundle(
          {
            artifact,
            ignoreTlog: true,
            keyless: { root, policy: compileIdentityPolicy(policy()), ignoreTlog: true },
          },
          parseBlobBundle(signed.bundle ?? '', 'bundle'),
        ),
      'TLOG_ENTRY_MISMATCH',
      /timestamp/,
    );
  });

  it('verifies the legacy bundle format with the same checks', async () => {
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await signBlob(
      await keylessSigner(stack.urls.ca, token),
      artifact,
      'legacy',
      new RekorClient(stack.urls.tlog),
    );
    const result = verify(policy(), artifact, signed.bundle);
    assert.equal(result.source, 'legacy-bundle');
    rejects(
      () => verify({ ...policy(), identity: 'someone@else' }, artifact, signed.bundle),
      'IDENTITY_MISMATCH',
    );
    rejects(() => verify(policy(), Buffer.from('other'), signed.bundle), 'TLOG_ENTRY_MISMATCH');
  });
});
