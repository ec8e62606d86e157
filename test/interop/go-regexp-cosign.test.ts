/**
 * Identity regular expressions, sigil beside the real cosign v3 (which compiles them with Go's regexp): one
 * blob signed keyless on sigil's private stack, verified by both with each pattern; both accept, or both
 * refuse (a pattern that does not match, or one Go's regexp does not compile).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningStack, startStack } from '../../src/server/index.js';
import { runProcess, sigil, workDir } from '../helpers/cli.js';
import { requirePeer } from '../helpers/peers.js';

const cosign = requirePeer('cosign-v3', 'cosign');

/** [identity pattern, issuer pattern, Go's verdict on the signer]. */
const CASES: [string, string, 'accepted' | 'mismatch' | 'invalid'][] = [
  ['^https://github\\.com/org/', '^http://127\\.0\\.0\\.1:', 'accepted'],
  ['^https://github\\.com/org-evil/', '.*', 'mismatch'],
  // Go-only syntax JavaScript's RegExp refused or read otherwise.
  [
    '^https://github\\.com/(?P<org>[[:alnum:]-]+)/app/',
    '(?i)^HTTP://127\\.0\\.0\\.1:[[:digit:]]+/github-actions\\z',
    'accepted',
  ],
  ['^https://github\\.com/(?i)ORG/APP/', '.*', 'accepted'],
  ['^https://GITHUB\\.com/(?i)org/', '.*', 'mismatch'],
  ['^\\Qhttps://github.com/org/app/\\E', '.*', 'accepted'],
  ['@refs/heads/main\\z', '.*', 'accepted'],
  // Refused by Go's regexp: look-around, back-references, \Z.
  ['^https://github\\.com/(?!evil)', '.*', 'invalid'],
  ['^(https)://github\\.com/org/', '\\1', 'invalid'],
  ['main\\Z', '.*', 'invalid'],
];

describe('interop: identity regexps read as cosign v3 reads them', { skip: cosign.skip }, () => {
  let stack: RunningStack;
  let dir: string;

  before(async () => {
    dir = await workDir();
    stack = await startStack({ dataDir: join(dir, '.sigil'), host: '127.0.0.1' });
    writeFileSync(join(dir, 'artifact.txt'), 'release artifact\n');
    const token = await stack.mintToken({ kind: 'github-actions', repository: 'org/app' });
    const signed = await sigil(
      ['sign-blob', '--yes', '--identity-token', token, '--bundle', 'b.json', 'artifact.txt'],
      {
        cwd: dir,
      },
    );
    assert.equal(signed.code, 0, signed.stderr);
  });
  after(() => stack.close());

  it('sigil and cosign accept and refuse the same patterns', async () => {
    for (const [identity, issuer, verdict] of CASES) {
      const accepted = verdict === 'accepted';
      const flags = [
        '--bundle',
        'b.json',
        '--certificate-identity-regexp',
        identity,
        '--certificate-oidc-issuer-regexp',
        issuer,
        'artifact.txt',
      ];
      const [bySigil, byCosign] = await Promise.all([
        sigil(['verify-blob', ...flags], { cwd: dir }),
        runProcess(cosign.path, ['verify-blob', '--trusted-root', stack.trustedRootPath, ...flags], {
          cwd: dir,
        }),
      ]);
      const what = `${identity} / ${issuer}`;
      assert.equal(byCosign.code === 0, accepted, `cosign on ${what}: ${byCosign.stderr}`);
      assert.equal(bySigil.code === 0, accepted, `sigil on ${what}: ${bySigil.stderr}`);
      if (verdict === 'invalid') {
        assert.match(byCosign.stderr, /error parsing regexp/, what);
        assert.match(
          bySigil.stderr,
          /^Error: --certificate-\S+-regexp: invalid regular expression .*: error parsing regexp/m,
          what,
        );
      }
    }
  });
});
