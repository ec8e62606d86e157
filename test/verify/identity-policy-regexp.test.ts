/**
 * cosign compiles --certificate-identity-regexp and --certificate-oidc-issuer-regexp with Go's regexp:
 * sigil reads them the same way (RE2 syntax, Go's flags), refuses what Go refuses with one line naming the
 * flag, and still accepts the identities it accepted when it used JavaScript's RegExp.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSigilError } from '../../src/core/index.js';
import {
  type CertificateIdentity,
  compileIdentityPolicy,
  compilePartialIdentityPolicy,
  type IdentityPolicy,
} from '../../src/verify/index.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main';

function accepts(policy: IdentityPolicy, subject = WORKFLOW, issuer: string | undefined = ISSUER): boolean {
  const identity: CertificateIdentity = {
    subjects: [subject],
    ...(issuer !== undefined ? { issuer } : {}),
    extensions: {},
  };
  return compileIdentityPolicy(policy).matches(identity) === undefined;
}

function refusedNaming(name: string) {
  return (err: unknown) =>
    isSigilError(err, 'BAD_INPUT') &&
    err.message.startsWith(`${name}: invalid regular expression `) &&
    err.message.includes('error parsing regexp') &&
    !err.message.includes('\n');
}

describe("identity regexps with Go's meaning", () => {
  it('still accepts what the JavaScript reading accepted', () => {
    assert.equal(accepts({ identityRegexp: '^https://github\\.com/org/', issuer: ISSUER }), true);
    assert.equal(accepts({ identityRegexp: '(?i)^HTTPS://GITHUB\\.COM/ORG/', issuer: ISSUER }), true);
    assert.equal(
      accepts({ identityRegexp: 'release\\.yml@refs/heads/main$', issuerRegexp: '^https://token\\.' }),
      true,
    );
    assert.equal(accepts({ identityRegexp: '.*@example\\.com$', issuer: ISSUER }, 'ci@example.com'), true);
    // cosign matches an issuer regexp against "" when the certificate names none (a private CA's).
    assert.equal(accepts({ identityRegexp: '.*', issuerRegexp: '.*' }, WORKFLOW, undefined), true);
    assert.equal(
      accepts(
        { identityRegexp: '^https://github\\.com/org/', issuer: ISSUER },
        WORKFLOW.replace('org', 'org-evil'),
      ),
      false,
    );
  });

  it('reads the RE2 syntax JavaScript reads otherwise or refuses', () => {
    const policies: [IdentityPolicy, string, boolean][] = [
      // A flag group mid-pattern: JavaScript refused it, Go applies it from there on.
      [{ identityRegexp: '^https://github\\.com/(?i)ORG/APP/', issuer: ISSUER }, WORKFLOW, true],
      [{ identityRegexp: '^https://GITHUB\\.com/(?i)org/', issuer: ISSUER }, WORKFLOW, false],
      // POSIX classes: JavaScript read `[[:alnum:]-]` as a class of "[:alnum" followed by "-]".
      [{ identityRegexp: '^https://github\\.com/org/[[:alnum:]-]+/', issuer: ISSUER }, WORKFLOW, true],
      // \z is the end of the text; `$` without (?m) is too, so a trailing newline never passes.
      [{ identityRegexp: '^ci@example\\.com\\z', issuer: ISSUER }, 'ci@example.com', true],
      [{ identityRegexp: '^ci@example\\.com\\z', issuer: ISSUER }, 'ci@example.com\n', false],
      [{ identityRegexp: '\\Aci@example\\.com$', issuer: ISSUER }, 'ci@example.com', true],
      // Go's named groups and quoting.
      [{ identityRegexp: '^https://github\\.com/(?P<org>org)/', issuer: ISSUER }, WORKFLOW, true],
      [{ identityRegexp: '^\\Qhttps://github.com/org/\\E', issuer: ISSUER }, WORKFLOW, true],
      [
        { identityRegexp: '^\\Qhttps://github.com/org/\\E', issuer: ISSUER },
        'https://githubxcom/org/',
        false,
      ],
      // \s is ASCII in Go: a no-break space is not white space.
      [{ identityRegexp: '^a\\sb$', issuer: ISSUER }, 'a\u00a0b', false],
    ];
    for (const [policy, subject, expected] of policies) {
      assert.equal(
        accepts(policy, subject),
        expected,
        `${policy.identityRegexp} on ${JSON.stringify(subject)}`,
      );
    }
  });

  it('refuses what Go refuses, naming the flag, in one line', () => {
    for (const pattern of [
      '^https://github\\.com/(?!evil)',
      '(org)/\\1',
      '(?<=github\\.com/)org',
      'a{1001}',
      '\\Z',
    ]) {
      assert.throws(
        () => compileIdentityPolicy({ identityRegexp: pattern, issuer: ISSUER }),
        refusedNaming('--certificate-identity-regexp'),
      );
      assert.throws(
        () => compileIdentityPolicy({ identity: WORKFLOW, issuerRegexp: pattern }),
        refusedNaming('--certificate-oidc-issuer-regexp'),
      );
    }
  });

  it("names a policy's own fields when a policy compiles it", () => {
    assert.throws(
      () =>
        compilePartialIdentityPolicy(
          { identityRegexp: '(?=x)' },
          { identityRegexp: 'subjectRegExp', issuerRegexp: 'issuerRegExp' },
        ),
      refusedNaming('subjectRegExp'),
    );
  });

  it('counts a pattern as anchored after leading flag groups and with \\A', () => {
    const policy = compileIdentityPolicy({
      identityRegexp: '(?i)\\Ahttps://github\\.com/org/',
      issuerRegexp: '(?s)(?i)^https://',
    });
    assert.deepEqual(policy.unanchored, []);
    assert.deepEqual(
      compileIdentityPolicy({ identityRegexp: 'github\\.com/org/', issuerRegexp: '(?i)x^' }).unanchored,
      ['github\\.com/org/', '(?i)x^'],
    );
  });
});
