/**
 * Kyverno and the policy-controller compile subjectRegExp/issuerRegExp and the regex_* JMESPath functions
 * with Go's regexp: a pattern Go refuses fails the policy's load (one line naming the field, non-zero exit),
 * a pattern only Go reads (POSIX classes, (?P<name>), \z) loads, and the functions replace as Go does.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { goFloat32Text } from '../../src/policy/conditions/functions/go-float.js';
import { loadPolicies, queryJmesPath } from '../../src/policy/index.js';
import { sigil, workDir } from '../helpers/cli.js';

const ISSUER = 'https://token.actions.githubusercontent.com';

function kyvernoPolicy(keyless: string): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: go-regexp}
spec:
  validationFailureAction: Enforce
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ["ghcr.io/org/*"]
          attestors:
            - entries:
                - keyless: ${keyless}
`;
}

function clusterImagePolicy(identity: string): string {
  return `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: go-regexp}
spec:
  images: [{glob: "ghcr.io/org/**"}]
  authorities: [{keyless: {identities: [${identity}]}}]
`;
}

const KYVERNO_FIELD = 'spec.rules.0.verifyImages.0.attestors.0.entries.0.keyless';
const CIP_FIELD = 'spec.authorities.0.keyless.identities.0';

describe("policies' regular expressions with Go's meaning", () => {
  it('refuses at load what Go refuses, naming the file, document and field in one line', async () => {
    const dir = await workDir();
    const file = join(dir, 'policy.yaml');
    const refused: [string, RegExp][] = [
      [
        kyvernoPolicy(`{subjectRegExp: '^https://github\\.com/(?!evil)', issuer: ${ISSUER}}`),
        new RegExp(
          `policy\\.yaml: document 1: ${KYVERNO_FIELD}\\.subjectRegExp: invalid regular expression .*: error parsing regexp: invalid or unsupported Perl syntax`,
        ),
      ],
      [
        kyvernoPolicy(`{subject: x, issuerRegExp: '(https)://\\1'}`),
        new RegExp(`${KYVERNO_FIELD}\\.issuerRegExp: invalid regular expression .*invalid escape sequence`),
      ],
      [
        clusterImagePolicy(`{issuer: ${ISSUER}, subjectRegExp: '(?<=github\\.com/)org'}`),
        new RegExp(`policy\\.yaml: document 1: ${CIP_FIELD}\\.subjectRegExp: invalid regular expression `),
      ],
      [
        clusterImagePolicy(`{issuerRegExp: 'https://x\\Z', subject: s}`),
        new RegExp(`${CIP_FIELD}\\.issuerRegExp: invalid regular expression .*invalid escape sequence`),
      ],
    ];
    for (const [policy, message] of refused) {
      await writeFile(file, policy);
      assert.throws(
        () => loadPolicies([file]),
        (err: Error) => message.test(err.message) && !err.message.includes('\n'),
        policy,
      );
    }
    // The CLI exits non-zero with that line.
    await writeFile(file, refused[0]?.[0] ?? '');
    await writeFile(
      join(dir, 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: ghcr.io/org/app:1}]}\n',
    );
    const run = await sigil(['policy', 'apply', '--policy', file, '--resource', join(dir, 'pod.yaml')], {
      cwd: dir,
    });
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      /keyless\.subjectRegExp: invalid regular expression "\^https:\/\/github\\\\\.com\/\(\?!evil\)": error parsing regexp/,
    );
  });

  it('loads what only Go reads: POSIX classes, (?P<name>), \\z, \\Q..\\E, flag groups', async () => {
    const dir = await workDir();
    const file = join(dir, 'policy.yaml');
    const kyverno = "'^https://github\\.com/(?P<org>[[:alnum:]-]+)/(?i)APP/.*\\z'";
    const issuer = "'^\\Qhttps://token.actions.githubusercontent.com\\E$'";
    for (const policy of [
      kyvernoPolicy(`{subjectRegExp: ${kyverno}, issuerRegExp: ${issuer}}`),
      clusterImagePolicy(`{subjectRegExp: ${kyverno}, issuerRegExp: ${issuer}}`),
    ]) {
      await writeFile(file, policy);
      assert.equal(loadPolicies([file]).policies.length, 1);
    }
  });

  it("regex_* functions match and replace as Kyverno's Go code does", () => {
    const rows: [string, unknown][] = [
      ["regex_match('^[[:alpha:]]+\\z', 'nginx')", true],
      ["regex_match('^[[:alpha:]]+\\z', 'nginx:1')", false],
      ["regex_match('(?i)^GHCR\\.io/', 'ghcr.io/org')", true],
      ["regex_match('^\\Qghcr.io\\E', 'ghcrxio')", false],
      // Go's Expand: `$1W` names group "1W" (empty); braces end the name.
      ["regex_replace_all('a(x*)b', '-ab-axxb-', '$1W')", '---'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${1} is Go's regexp template syntax, not a JS placeholder
      ["regex_replace_all('a(x*)b', '-ab-axxb-', '${1}W')", '-W-xxW-'],
      [
        "regex_replace_all('(?P<reg>[^/]+)/(?P<repo>.+)', 'ghcr.io/org/app', '$repo@$reg')",
        'org/app@ghcr.io',
      ],
      // Go's All iteration: no empty match right after a match (JavaScript gives XbXXcX).
      ["regex_replace_all('a*', 'baaac', 'X')", 'XbXcX'],
      ["regex_replace_all_literal('a*', 'baaac', '$1')", '$1b$1c$1'],
    ];
    for (const [expression, expected] of rows)
      assert.deepEqual(queryJmesPath(expression, {}), expected, expression);
    for (const fn of ['regex_match', 'regex_replace_all', 'regex_replace_all_literal']) {
      const args = fn === 'regex_match' ? "'a(?=b)', 'ab'" : "'a(?=b)', 'ab', 'x'";
      assert.throws(
        () => queryJmesPath(`${fn}(${args})`, {}),
        (err: Error) =>
          err.message.includes(
            `${fn}(): invalid regular expression "a(?=b)": error parsing regexp: invalid or unsupported Perl syntax`,
          ) && !err.message.includes('\n'),
      );
    }
  });

  it("writes a number argument as Kyverno does: Go's FormatFloat(x, 'f', -1, 32)", () => {
    // Printed by Go 1.26's strconv.FormatFloat(v, 'f', -1, 32) for each value.
    const go: [number, string][] = [
      [1.5, '1.5'],
      [0.1, '0.1'],
      [0.3, '0.3'],
      [16777217, '16777216'],
      [1e21, '1000000000000000000000'],
      [1e-7, '0.0000001'],
      [Math.PI, '3.1415927'],
      [123456789, '123456790'],
      [-2.5, '-2.5'],
      [0, '0'],
      [100, '100'],
      [1e39, '+Inf'],
      [5e-324, '0'],
    ];
    for (const [value, text] of go) assert.equal(goFloat32Text(value), text, String(value));
    assert.equal(queryJmesPath("regex_match('^123456790$', `123456789`)", {}), true);
    assert.equal(queryJmesPath("regex_replace_all('0+1$', `0.0000001`, 'x')", {}), '0.x');
  });
});
