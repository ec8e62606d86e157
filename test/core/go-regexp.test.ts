import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGoRegexp, isSigilError } from '../../src/core/index.js';

describe('compileGoRegexp', () => {
  it('searches unanchored, as Go MatchString', () => {
    const re = compileGoRegexp('@example\\.com$', 'test');
    assert.equal(re.test('alice@example.com'), true);
    assert.equal(re.test('alice@example.com.evil'), false);
  });

  it('refuses what RE2 refuses with one line naming where and the reason', () => {
    for (const pattern of ['(?=a)b', '(a)\\1', '(?<=a)b', 'x{1001}']) {
      assert.throws(
        () => compileGoRegexp(pattern, '--certificate-identity-regexp'),
        (err: unknown) =>
          isSigilError(err, 'BAD_INPUT') &&
          err.message.startsWith('--certificate-identity-regexp: invalid regular expression') &&
          err.message.includes('error parsing regexp') &&
          !err.message.includes('\n'),
      );
    }
  });

  it('finds the leftmost match with its groups, unmatched groups undefined', () => {
    const match = compileGoRegexp('(?P<user>\\w+)@(x)?(example)', 'test').find('to: bob@example');
    assert.deepEqual(match, {
      index: 4,
      end: 15,
      text: 'bob@example',
      groups: ['bob', undefined, 'example'],
    });
  });

  it('iterates matches as Go does: no empty match right after a match', () => {
    const re = compileGoRegexp('a*', 'test');
    assert.deepEqual(
      re.findAll('baaac').map((m) => [m.index, m.end]),
      [
        [0, 0],
        [1, 4],
        [5, 5],
      ],
    );
    assert.equal(re.replaceAll('baaac', 'X'), 'XbXcX');
    assert.equal(re.findAll('baaac', 2).length, 2);
  });

  it("expands $1, braced names, $$ and malformed $ as Go's Expand", () => {
    const re = compileGoRegexp('(?P<first>\\w+) (\\w+)', 'test');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement template, not a JS placeholder
    assert.equal(re.replaceAll('hello world', '$2 ${first}'), 'world hello');
    assert.equal(re.replaceAll('hello world', '$1x'), ''); // group "1x" does not exist
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement template, not a JS placeholder
    assert.equal(re.replaceAll('hello world', '${1}x'), 'hellox');
    assert.equal(re.replaceAll('hello world', '$$1 $ ${1'), '$1 $ ${1');
    assert.equal(re.replaceAll('hello world', '$01|$first|$nope|$9'), '|hello||');
    assert.equal(re.replaceAllLiteral('hello world', '$1'), '$1');
  });

  it('indexes by UTF-16 code units on astral text', () => {
    const re = compileGoRegexp('.', 'test');
    assert.deepEqual(
      re.findAll('😀a').map((m) => m.text),
      ['😀', 'a'],
    );
    assert.equal(compileGoRegexp('x*', 'test').replaceAll('😀', '-'), '-😀-');
  });
});
