/**
 * Kyverno's regex_* JMESPath functions, sigil beside the real Kyverno CLI (`kyverno jp query`, whose
 * functions compile their patterns with Go's regexp): the same expressions give the same results, and a
 * pattern Go refuses is an error in both, with Go's reason.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { queryJmesPath } from '../../src/policy/index.js';
import { runProcess, workDir } from '../helpers/cli.js';
import { requirePeer } from '../helpers/peers.js';

const kyverno = requirePeer('kyverno', 'kubectl-kyverno');

const EXPRESSIONS = [
  "regex_match('^ghcr[.]io/', 'ghcr.io/org/app')",
  "regex_match('^ghcr\\.io/', 'ghcrxio/org/app')",
  "regex_match('^nginx\\z', 'nginx')",
  "regex_match('^[[:alpha:]]+$', 'nginx')",
  "regex_match('^[[:alpha:]]+$', 'nginx-1')",
  "regex_match('(?i)^GHCR', 'ghcr.io')",
  "regex_match('^a(?i)B$', 'ab')",
  "regex_match('^a(?i)B$', 'Ab')",
  "regex_match('[]a]', ']')",
  "regex_match('^.$', 'é')",
  "regex_match('^123456790$', `123456789`)",
  "regex_match('^0[.]1$', `0.1`)",
  "regex_match('^1000000000000000000000$', `1e21`)",
  "regex_replace_all('a*', 'baaac', 'X')",
  "regex_replace_all('', 'abc', '-')",
  "regex_replace_all('a(x*)b', '-ab-axxb-', '$1W')",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement template, not a JS placeholder
  "regex_replace_all('a(x*)b', '-ab-axxb-', '${1}W')",
  "regex_replace_all('a(x*)b', '-ab-axxb-', '$$1|$|${1')",
  "regex_replace_all('(?P<reg>[^/]+)/(?P<repo>.+)', 'ghcr.io/org/app', '$repo@$reg')",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement template, not a JS placeholder
  "regex_replace_all('(?P<n>a)|(?P<n>b)', 'ab', '[${n}]')",
  "regex_replace_all('(?<n>x+)', 'axxb', '<$n>')",
  "regex_replace_all_literal('a*', 'baaac', '$1')",
  "regex_replace_all('[[:digit:]]+', `12.5`, 'N')",
];

const REFUSED = [
  "regex_match('a(?=b)', 'ab')",
  "regex_replace_all('(a)\\1', 'aa', 'x')",
  "regex_match('x{1001}', 'x')",
];

describe('interop: Kyverno regex_* functions, sigil beside kyverno jp query', { skip: kyverno.skip }, () => {
  it('gives the results Kyverno gives', async () => {
    const dir = await workDir();
    const input = join(dir, 'input.json');
    writeFileSync(input, '{}');
    const run = await runProcess(kyverno.path, ['jp', 'query', '-c', '-i', input, ...EXPRESSIONS], {
      cwd: dir,
    });
    assert.equal(run.code, 0, run.stderr);
    // One "# expression" line, then the result's JSON, per expression.
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, EXPRESSIONS.length * 2, run.stdout);
    for (const [i, expression] of EXPRESSIONS.entries()) {
      assert.equal(lines[2 * i], `# ${expression}`);
      const theirs = JSON.parse(lines[2 * i + 1] ?? 'null');
      assert.deepEqual(queryJmesPath(expression, {}), theirs, expression);
    }
  });

  it("refuses the patterns Go refuses, with Go's reason", async () => {
    const dir = await workDir();
    const input = join(dir, 'input.json');
    writeFileSync(input, '{}');
    for (const expression of REFUSED) {
      const run = await runProcess(kyverno.path, ['jp', 'query', '-i', input, expression], { cwd: dir });
      assert.notEqual(run.code, 0, expression);
      const reason = /error parsing regexp: [^`]+/.exec(run.stderr)?.[0];
      assert.ok(reason, run.stderr);
      assert.throws(
        () => queryJmesPath(expression, {}),
        (err: Error) => err.message.includes(reason),
        expression,
      );
    }
  });
});
