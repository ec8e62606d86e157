import { TYPE_NUMBER, TYPE_OBJECT, TYPE_STRING } from '@jmespath-community/jmespath';
import { compileGoRegexp, type GoRegexp, goRegexpProblem } from '../../../core/go-regexp.js';
import { parseSemVer, satisfiesSemVerRange } from '../semver.js';
import { wildcardMatch } from '../wildcard.js';
import { goFloat32Text } from './go-float.js';
import { type CustomFunction, FunctionError } from './types.js';

const str = { types: [TYPE_STRING] };
const strOrNumber = { types: [TYPE_STRING, TYPE_NUMBER] };

/** Kyverno compiles these functions' patterns with Go's regexp.Compile: same syntax, same matches. */
function compileRegex(functionName: string, source: string): GoRegexp {
  const problem = goRegexpProblem(source);
  if (problem !== undefined) {
    throw new FunctionError(functionName, `invalid regular expression ${JSON.stringify(source)}: ${problem}`);
  }
  return compileGoRegexp(source, functionName);
}

/** A string argument, or a number one as Kyverno's ifaceToString writes it (Go's float32 formatting). */
function asString(value: unknown): string {
  if (typeof value === 'number') return goFloat32Text(value);
  return typeof value === 'string' ? value : String(value);
}

export const stringFunctions: CustomFunction[] = [
  {
    name: 'compare',
    signature: [str, str],
    run: ([a, b]) => {
      const x = asString(a);
      const y = asString(b);
      return x < y ? -1 : x > y ? 1 : 0;
    },
  },
  {
    name: 'equal_fold',
    signature: [str, str],
    run: ([a, b]) => asString(a).toLowerCase() === asString(b).toLowerCase(),
  },
  {
    // Kyverno's replace(str, old, new, n): n < 0 replaces every occurrence. n is optional to keep JMESPath community's 3-argument form.
    name: 'replace',
    signature: [str, str, str, { types: [TYPE_NUMBER], optional: true }],
    run: ([subject, old, replacement, count]) => {
      const text = asString(subject);
      const limit = typeof count === 'number' ? count : -1;
      if (limit < 0) return text.split(asString(old)).join(asString(replacement));
      let result = text;
      let from = 0;
      for (let i = 0; i < limit; i++) {
        const at = result.indexOf(asString(old), from);
        if (at < 0) break;
        result = result.slice(0, at) + asString(replacement) + result.slice(at + asString(old).length);
        from = at + asString(replacement).length;
      }
      return result;
    },
  },
  {
    name: 'replace_all',
    signature: [str, str, str],
    run: ([s, old, rep]) => asString(s).split(asString(old)).join(asString(rep)),
  },
  { name: 'to_upper', signature: [str], run: ([s]) => asString(s).toUpperCase() },
  { name: 'to_lower', signature: [str], run: ([s]) => asString(s).toLowerCase() },
  {
    // Go's strings.Trim: removes any of the cutset's characters from both ends.
    name: 'trim',
    signature: [str, str],
    run: ([s, cutset]) => {
      const cut = new Set(asString(cutset));
      const chars = [...asString(s)];
      let start = 0;
      let end = chars.length;
      while (start < end && cut.has(chars[start] ?? '')) start++;
      while (end > start && cut.has(chars[end - 1] ?? '')) end--;
      return chars.slice(start, end).join('');
    },
  },
  {
    name: 'trim_prefix',
    signature: [str, str],
    run: ([s, prefix]) =>
      asString(s).startsWith(asString(prefix)) ? asString(s).slice(asString(prefix).length) : asString(s),
  },
  { name: 'split', signature: [str, str], run: ([s, sep]) => asString(s).split(asString(sep)) },
  {
    name: 'regex_replace_all',
    signature: [str, strOrNumber, strOrNumber],
    run: ([regex, src, rep]) =>
      compileRegex('regex_replace_all', asString(regex)).replaceAll(asString(src), asString(rep)),
  },
  {
    name: 'regex_replace_all_literal',
    signature: [str, strOrNumber, strOrNumber],
    run: ([regex, src, rep]) =>
      compileRegex('regex_replace_all_literal', asString(regex)).replaceAllLiteral(
        asString(src),
        asString(rep),
      ),
  },
  {
    name: 'regex_match',
    signature: [str, strOrNumber],
    run: ([regex, src]) => compileRegex('regex_match', asString(regex)).test(asString(src)),
  },
  {
    name: 'pattern_match',
    signature: [str, strOrNumber],
    run: ([pattern, src]) => wildcardMatch(asString(pattern), asString(src)),
  },
  {
    // Every selector entry must be present with the same value in the labels (Kubernetes label selector, matchLabels form).
    name: 'label_match',
    signature: [{ types: [TYPE_OBJECT] }, { types: [TYPE_OBJECT] }],
    run: ([selector, labels]) => {
      const wanted = selector as Record<string, unknown>;
      const have = labels as Record<string, unknown>;
      return Object.entries(wanted).every(([k, v]) => Object.hasOwn(have, k) && have[k] === v);
    },
  },
  {
    name: 'truncate',
    signature: [str, { types: [TYPE_NUMBER] }],
    run: ([s, length]) => {
      const n = Math.max(0, Math.trunc(length as number));
      return [...asString(s)].slice(0, n).join('');
    },
  },
  {
    name: 'semver_compare',
    signature: [str, str],
    run: ([version, range]) => {
      // Kyverno ignores a version that does not parse and compares blang/semver's zero value, 0.0.0.
      const parsed = parseSemVer(asString(version)) ?? { major: 0, minor: 0, patch: 0, prerelease: [] };
      const result = satisfiesSemVerRange(parsed, asString(range));
      if (result === undefined)
        throw new FunctionError('semver_compare', `${JSON.stringify(range)} is not a semantic version range`);
      return result;
    },
  },
  {
    // Go's filepath.Clean for slash-separated paths.
    name: 'path_canonicalize',
    signature: [str],
    run: ([path]) => {
      const text = asString(path);
      const rooted = text.startsWith('/');
      const parts: string[] = [];
      for (const part of text.split('/')) {
        if (part === '' || part === '.') continue;
        if (part === '..' && parts.length > 0 && parts.at(-1) !== '..') parts.pop();
        else if (part !== '..' || !rooted) parts.push(part);
      }
      const joined = parts.join('/');
      return rooted ? `/${joined}` : joined === '' ? '.' : joined;
    },
  },
];
