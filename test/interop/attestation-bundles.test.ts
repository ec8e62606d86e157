/**
 * Attestation bundles (Sigstore bundle v0.3 with a DSSE envelope):
 * - the real public-good bundle cosign wrote for go-containerregistry's empty image verifies offline with
 *   the public-good trusted root, and fails when altered;
 * - keyless `attest-blob` on our stack is accepted by @sigstore/verify with our trusted_root.json, and
 *   rejected there when a payload byte changes; `verify-blob-attestation` agrees.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { errorLine, sigil, workDir } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

const PGI_BUNDLE = join(FIXTURES, 'cosign', 'oci-attestation.sigstore.json');
const PGI_ROOT = join(FIXTURES, 'cosign', 'trusted_root_pgi.json');
const EMPTY_IMAGE = '732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';

/** A copy of `json` with one base64 field's decoded bytes changed at `index`. */
function flipByte(json: Record<string, unknown>, path: string[], index: number): Record<string, unknown> {
  const copy = structuredClone(json);
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const field = path.at(-1) as string;
  const bytes = Buffer.from(node[field] as string, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  node[field] = bytes.toString('base64');
  return copy;
}

describe('interop: the public-good attestation bundle, verified offline', () => {
  let dir: string;
  before(async () => {
    dir = await workDir();
  });
  const verify = (bundle: string, ...flags: string[]) =>
    sigil(
      [
        'verify-blob-attestation',
        '--bundle',
        bundle,
        '--trusted-root',
        PGI_ROOT,
        '--type',
        'custom',
        ...flags,
      ],
      { cwd: dir },
    );
  const identity = [
    '--certificate-identity',
    'cody@soyland.com',
    '--certificate-oidc-issuer',
    'https://github.com/login/oauth',
  ];

  it('verifies with its identity, issuer and subject digest', async () => {
    const result = await verify(PGI_BUNDLE, ...identity, '--digest', EMPTY_IMAGE, '-o', 'json');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.predicateType, 'https://cosign.sigstore.dev/attestation/v1');
    assert.deepEqual(out.identities, ['cody@soyland.com']);
  });

  it('fails for a changed payload or signature byte, another identity, issuer, subject or type', async () => {
    const json = JSON.parse(readFileSync(PGI_BUNDLE, 'utf8'));
    writeFileSync(join(dir, 'payload.json'), JSON.stringify(flipByte(json, ['dsseEnvelope', 'payload'], 40)));
    writeFileSync(
      join(dir, 'sig.json'),
      JSON.stringify(flipByte(json, ['dsseEnvelope', 'signatures', '0', 'sig'], 20)),
    );
    const cases: [string[], RegExp][] = [
      [
        [join(dir, 'payload.json'), ...identity, '--digest', EMPTY_IMAGE],
        /verification failed|mismatch|not an in-toto/i,
      ],
      [[join(dir, 'sig.json'), ...identity, '--digest', EMPTY_IMAGE], /verification failed/i],
      [
        [
          PGI_BUNDLE,
          '--certificate-identity',
          'someone@else.com',
          '--certificate-oidc-issuer',
          'https://github.com/login/oauth',
          '--digest',
          EMPTY_IMAGE,
        ],
        /certificate identity rejected/,
      ],
      [
        [
          PGI_BUNDLE,
          '--certificate-identity',
          'cody@soyland.com',
          '--certificate-oidc-issuer',
          'https://accounts.google.com',
          '--digest',
          EMPTY_IMAGE,
        ],
        /certificate identity rejected/,
      ],
      [
        [PGI_BUNDLE, ...identity, '--digest', EMPTY_IMAGE.replace(/^7/, '8')],
        /the statement is about sha256:7321/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const [bundle, ...flags] = args;
      const result = await verify(bundle as string, ...flags);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(errorLine(result), pattern);
    }
    const wrongType = await sigil(
      [
        'verify-blob-attestation',
        '--bundle',
        PGI_BUNDLE,
        '--trusted-root',
        PGI_ROOT,
        ...identity,
        '--digest',
        EMPTY_IMAGE,
        '--type',
        'vuln',
      ],
      { cwd: dir },
    );
    assert.equal(wrongType.code, 1);
    assert.match(errorLine(wrongType), /predicate type https:\/\/cosign.sigstore.dev\/attestation\/v1, not/);
  });
});

describe('interop: sigil attest-blob (keyless, our stack) → @sigstore/verify', () => {
  let stack: RunningStack;
  let dir: string;
  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    writeFileSync(join(dir, 'app.tgz'), 'release artifact\n');
    writeFileSync(
      join(dir, 'provenance.json'),
      JSON.stringify({
        buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: {} },
        runDetails: { builder: { id: 'https://example.com/builder' } },
      }),
    );
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const result = await sigil(
      [
        'attest-blob',
        '--yes',
        '--identity-token',
        token,
        '--type',
        'slsaprovenance1',
        '--predicate',
        'provenance.json',
        '--bundle',
        'app.att.json',
        'app.tgz',
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
  });
  after(() => stack.close());

  function sigstoreVerify(json: unknown): void {
    const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(stack.trustedRootPath, 'utf8')));
    const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1 });
    verifier.verify(toSignedEntity(bundleFromJSON(json)));
  }

  it('is accepted by @sigstore/verify with our trusted root, and by verify-blob-attestation', async () => {
    const json = JSON.parse(readFileSync(join(dir, 'app.att.json'), 'utf8'));
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(json.verificationMaterial.tlogEntries[0].kindVersion.kind, 'dsse');
    sigstoreVerify(json);
    const result = await sigil(
      [
        'verify-blob-attestation',
        '--bundle',
        'app.att.json',
        '--type',
        'slsaprovenance1',
        '--certificate-identity-regexp',
        '^https://github.com/org/app/',
        '--certificate-oidc-issuer',
        stack.issuers['github-actions'],
        'app.tgz',
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
  });

  it('is rejected by @sigstore/verify when a payload byte changes, and for another file by sigil', async () => {
    const json = JSON.parse(readFileSync(join(dir, 'app.att.json'), 'utf8'));
    assert.throws(() => sigstoreVerify(flipByte(json, ['dsseEnvelope', 'payload'], 30)));
    writeFileSync(join(dir, 'other.tgz'), 'another artifact\n');
    const result = await sigil(
      [
        'verify-blob-attestation',
        '--bundle',
        'app.att.json',
        '--type',
        'slsaprovenance1',
        '--certificate-identity-regexp',
        '^https://github.com/org/app/',
        '--certificate-oidc-issuer',
        stack.issuers['github-actions'],
        'other.tgz',
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 1);
    assert.match(errorLine(result), /the statement is about sha256:/);
  });
});
