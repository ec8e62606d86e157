/**
 * The keyless verifier remembers a certificate's chain and SCTs per trusted root, and parses a certificate
 * once per DER. Each test warms those caches with a bundle that verifies, then proves that what the
 * uncached path refuses is still refused: a new root without the CA (or with the CA's or a log's validity
 * ended), a signing time outside the certificate's validity, another artifact, another identity policy,
 * another bundle's log entry or signature.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { createCaMaterial } from '../../src/ca/index.js';
import { isSigilError } from '../../src/core/index.js';
import { keylessSigner, signBlob } from '../../src/cosign/index.js';
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

interface Validity {
  start: string;
  end?: string;
}
interface RootJson {
  certificateAuthorities: Array<{
    certChain: { certificates: Array<{ rawBytes: string }> };
    validFor: Validity;
  }>;
  ctlogs: Array<{ publicKey: { validFor: Validity } }>;
  tlogs: Array<{ publicKey: { validFor: Validity } }>;
}
interface BundleJson {
  verificationMaterial: { certificate: { rawBytes: string }; tlogEntries: Array<{ integratedTime: string }> };
  messageSignature: { signature: string };
}

function first<T>(items: T[]): T {
  const [item] = items;
  if (item === undefined) throw new Error('expected at least one item');
  return item;
}

/**
 * A validity period that ended a second before the original start (moved an hour back, so the period is
 * well formed). A second, not the same instant: a log entry's integrated time has whole seconds, and one
 * made within the second the log was set up would otherwise fall exactly on the end.
 */
function end(validity: Validity): void {
  const start = Date.parse(validity.start);
  validity.start = new Date(start - 3_600_000).toISOString();
  validity.end = new Date(start - 1_000).toISOString();
}

const artifacts = [Buffer.from('first artifact\n'), Buffer.from('second artifact\n')];
const identity = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

describe('keyless verification caches', () => {
  let stack: RunningStack;
  let rootText: string;
  let root: TrustedRoot;
  /** Two bundles signed with one certificate, as JSON. */
  let bundles: string[];

  before(async () => {
    stack = await startStack({ dataDir: await workDir(), host: '127.0.0.1' });
    rootText = readFileSync(stack.trustedRootPath, 'utf8');
    root = parseTrustedRoot(rootText, 'trusted_root.json');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signer = await keylessSigner(stack.urls.ca, token);
    const tlog = new RekorClient(stack.urls.tlog);
    bundles = [];
    for (const artifact of artifacts)
      bundles.push((await signBlob(signer, artifact, 'sigstore', tlog)).bundle ?? '');
  });
  after(() => stack.close());

  const policy = (): IdentityPolicy => ({ identity, issuer: stack.issuers['github-actions'] });
  const verify = (
    json: string,
    options: {
      artifact?: Buffer;
      trustedRoot?: TrustedRoot;
      identityPolicy?: IdentityPolicy;
      ignoreSct?: boolean;
    } = {},
  ) =>
    verifyBlobBundle(
      {
        artifact: options.artifact ?? artifacts[0],
        ignoreTlog: false,
        keyless: {
          root: options.trustedRoot ?? root,
          policy: compileIdentityPolicy(options.identityPolicy ?? policy()),
          ...(options.ignoreSct ? { ignoreSct: true } : {}),
        },
      },
      parseBlobBundle(json, 'bundle'),
    );
  const rejects = (fn: () => unknown, code: string, pattern?: RegExp) =>
    assert.throws(
      fn,
      (err) => isSigilError(err) && err.code === code && (!pattern || pattern.test(err.message)),
    );
  /** The stack's root with `edit` applied, as a new root object. */
  const rootWith = (edit: (json: RootJson) => void) => {
    const json = JSON.parse(rootText) as RootJson;
    edit(json);
    return parseTrustedRoot(JSON.stringify(json), 'edited root');
  };
  const bundleWith = (edit: (json: BundleJson) => void, json = bundles[0] ?? '') => {
    const parsed = JSON.parse(json) as BundleJson;
    edit(parsed);
    return JSON.stringify(parsed);
  };
  const warm = () => {
    verify(bundles[0] ?? '');
    verify(bundles[1] ?? '', { artifact: artifacts[1] });
  };

  it('verifies bundles from one certificate again and again, with fresh identities each time', () => {
    warm();
    const first = verify(bundles[0] ?? '');
    first.keyless?.identity.subjects.splice(0);
    assert.deepEqual(verify(bundles[0] ?? '').keyless?.identity.subjects, [identity]);
  });

  it('refuses the remembered certificate under a new root without its CA', async () => {
    warm();
    const other = (await createCaMaterial('other')).chain;
    const withoutCa = rootWith((json) => {
      first(json.certificateAuthorities).certChain.certificates = other.map((cert) => ({
        rawBytes: cert.raw.toString('base64'),
      }));
    });
    rejects(() => verify(bundles[0] ?? '', { trustedRoot: withoutCa }), 'BAD_CERTIFICATE', /chain/);
    rejects(
      () => verify(bundles[0] ?? '', { trustedRoot: rootWith((json) => (json.certificateAuthorities = [])) }),
      'BAD_CERTIFICATE',
    );
    verify(bundles[0] ?? '');
  });

  it("refuses the remembered certificate under a new root whose CA's validity ended before the signing", () => {
    warm();
    const ended = rootWith((json) => {
      end(first(json.certificateAuthorities).validFor);
    });
    rejects(() => verify(bundles[0] ?? '', { trustedRoot: ended }), 'BAD_CERTIFICATE', /chain/);
  });

  it("refuses the remembered SCT under a new root without its CT log, or with the log's validity ended", () => {
    warm();
    rejects(
      () => verify(bundles[0] ?? '', { trustedRoot: rootWith((json) => (json.ctlogs = [])) }),
      'BAD_CERTIFICATE',
      /SCT/,
    );
    const ended = rootWith((json) => {
      end(first(json.ctlogs).publicKey.validFor);
    });
    rejects(() => verify(bundles[0] ?? '', { trustedRoot: ended }), 'BAD_CERTIFICATE', /SCT/);
  });

  it('skips the SCT check altogether with ignoreSct, as cosign --insecure-ignore-sct (even an untrusted CT log)', () => {
    warm();
    const withoutCtLog = rootWith((json) => {
      json.ctlogs.splice(0);
    });
    rejects(() => verify(bundles[0] ?? '', { trustedRoot: withoutCtLog }), 'BAD_CERTIFICATE', /SCT/);
    assert.ok(verify(bundles[0] ?? '', { trustedRoot: withoutCtLog, ignoreSct: true }).keyless);
  });

  it("refuses a log entry under a new root whose log's validity ended before the entry", () => {
    warm();
    const ended = rootWith((json) => {
      end(first(json.tlogs).publicKey.validFor);
    });
    rejects(() => verify(bundles[0] ?? '', { trustedRoot: ended }), 'TLOG_ENTRY_MISMATCH');
  });

  it('checks the remembered certificate at each bundle’s signing time', () => {
    warm();
    const cert = new X509Certificate(
      Buffer.from(
        (JSON.parse(bundles[0] ?? '') as BundleJson).verificationMaterial.certificate.rawBytes,
        'base64',
      ),
    );
    const moved = (seconds: number) =>
      bundleWith((json) => {
        first(json.verificationMaterial.tlogEntries).integratedTime = String(seconds);
      });
    // Signing times after expiry and before issuance: refused for the certificate (not only for the SET,
    // which no longer matches either and would be checked after it).
    rejects(
      () => verify(moved(Math.floor(Date.parse(cert.validTo) / 1000) + 60)),
      'BAD_CERTIFICATE',
      /chain/,
    );
    rejects(
      () => verify(moved(Math.floor(Date.parse(cert.validFrom) / 1000) - 60)),
      'BAD_CERTIFICATE',
      /chain/,
    );
  });

  it('refuses a certificate that differs from the remembered one in one byte of its identity', () => {
    warm();
    const altered = bundleWith((json) => {
      const der = Buffer.from(json.verificationMaterial.certificate.rawBytes, 'base64');
      const at = der.indexOf(Buffer.from('github.com/org/app'));
      assert.ok(at > 0);
      der[at + 'github.com/org/'.length] = 'b'.charCodeAt(0);
      json.verificationMaterial.certificate.rawBytes = der.toString('base64');
    });
    rejects(() => verify(altered), 'BAD_CERTIFICATE', /chain/);
  });

  it('refuses another artifact, another identity policy, and another bundle’s signature or log entry', () => {
    warm();
    rejects(() => verify(bundles[0] ?? '', { artifact: artifacts[1] }), 'DIGEST_MISMATCH');
    rejects(
      () => verify(bundles[0] ?? '', { identityPolicy: { ...policy(), identity: `${identity}x` } }),
      'IDENTITY_MISMATCH',
    );
    rejects(
      () =>
        verify(bundles[0] ?? '', {
          identityPolicy: { ...policy(), githubWorkflowRepository: 'org/other' },
        }),
      'IDENTITY_MISMATCH',
    );
    const second = JSON.parse(bundles[1] ?? '') as BundleJson;
    const withSecondEntry = bundleWith((json) => {
      json.verificationMaterial.tlogEntries = second.verificationMaterial.tlogEntries;
    });
    rejects(() => verify(withSecondEntry), 'TLOG_ENTRY_MISMATCH', /body|mismatch/);
    const withSecondSignature = bundleWith((json) => {
      json.messageSignature.signature = second.messageSignature.signature;
    });
    rejects(() => verify(withSecondSignature), 'TLOG_ENTRY_MISMATCH');
    // The second bundle's signature and digest with the first's log entry: the entry is not about them.
    const swapped = bundleWith((json) => {
      json.verificationMaterial.tlogEntries = (
        JSON.parse(bundles[0] ?? '') as BundleJson
      ).verificationMaterial.tlogEntries;
    }, bundles[1]);
    rejects(() => verify(swapped, { artifact: artifacts[1] }), 'TLOG_ENTRY_MISMATCH');
  });
});
