/**
 * Regular expressions with Go's meaning. cosign's `--certificate-identity-regexp`, Kyverno's and the
 * policy-controller's `subjectRegExp`/`issuerRegExp`, Kyverno's regex functions and CEL's `matches` are
 * all compiled by Go's `regexp` package (RE2 syntax, leftmost-first, linear time). JavaScript's
 * RegExp accepts syntax RE2 refuses (look-around, back-references) and reads some RE2 syntax otherwise
 * (`[[:alpha:]]`, `\z`, `(?P<name>)`, `\Q..\E`, `(?i)` groups), so a policy could match other names in
 * sigil than in the tool it was written for. re2js is RE2/J (itself a port of Go's regexp) in pure
 * JavaScript: same parser, same Perl flags Go's `regexp.Compile` uses, and the same "All" iteration.
 */
import type * as Re2js from 're2js';
import { BoundedMap } from './bounded-map.js';
import { messageOf, SigilError } from './errors.js';
import { uniqueGroupNames } from './go-regexp-names.js';
import { lazyRequire } from './lazy.js';

/** One match, as Go's Submatch, with offsets in UTF-16 code units (Go's are UTF-8 byte offsets). */
export interface GoRegexpMatch {
  readonly index: number;
  readonly end: number;
  readonly text: string;
  /** Group 1..n; `undefined` where the group took no part in the match (Go's -1 index). */
  readonly groups: readonly (string | undefined)[];
}

export interface GoRegexp {
  readonly source: string;
  /** Go's MatchString: does the pattern match anywhere in `text` (unanchored). */
  test(text: string): boolean;
  /** Go's FindStringSubmatchIndex: the leftmost match. */
  find(text: string): GoRegexpMatch | undefined;
  /** Go's FindAllStringSubmatchIndex: successive non-overlapping matches, at most `limit` (< 0: all). */
  findAll(text: string, limit?: number): GoRegexpMatch[];
  /** Go's ReplaceAllString: every match replaced by `template` with `$1`/`${name}` expanded as Go's Expand. */
  replaceAll(text: string, template: string): string;
  /** Go's ReplaceAllLiteralString: every match replaced by `replacement` as it is. */
  replaceAllLiteral(text: string, replacement: string): string;
}

/** re2js is ~260 KB of JavaScript: loaded when the first pattern is compiled, not on every command. */
const loadRe2js = lazyRequire<typeof Re2js>('re2js');

/** Policies and flags name few patterns; the cap keeps a stream of distinct ones (JMESPath) bounded. */
const compiled = new BoundedMap<string, GoRegexp | { readonly refused: string }>(512);

/**
 * The pattern compiled as Go's `regexp.Compile` would; a pattern Go refuses throws a SigilError naming
 * `where` (a flag, a policy field) and RE2's reason.
 */
export function compileGoRegexp(pattern: string, where: string): GoRegexp {
  const entry = compileCached(pattern);
  if ('refused' in entry) {
    throw new SigilError(
      'BAD_INPUT',
      `${where}: invalid regular expression ${JSON.stringify(pattern)}: ${entry.refused}`,
      'patterns are read as Go reads them (RE2 syntax: no look-around, no back-references): https://github.com/google/re2/wiki/Syntax',
    );
  }
  return entry;
}

/** Why Go's regexp refuses `pattern` (RE2's one-line reason), or undefined when it compiles: for validators. */
export function goRegexpProblem(pattern: string): string | undefined {
  const entry = compileCached(pattern);
  return 'refused' in entry ? entry.refused : undefined;
}

function compileCached(pattern: string): GoRegexp | { readonly refused: string } {
  return compiled.getOrSet(pattern, () => {
    try {
      return compileWithGoNames(pattern);
    } catch (err) {
      return { refused: messageOf(err) };
    }
  });
}

/** RE2JS.compile, except that a group name may repeat, as Go allows (see go-regexp-names.ts). */
function compileWithGoNames(pattern: string): GoRegexp {
  const { RE2JS } = loadRe2js();
  try {
    return wrap(pattern, RE2JS.compile(pattern), new Map());
  } catch (err) {
    const renamed = uniqueGroupNames(pattern);
    if (renamed === undefined) throw err;
    return wrap(pattern, RE2JS.compile(renamed.source), renamed.original);
  }
}

function wrap(source: string, re: Re2js.RE2JS, originalNames: ReadonlyMap<string, string>): GoRegexp {
  const engine = re.re2();
  const groupNames = subexpNames(re, originalNames);
  const all = (text: string, limit: number): number[][] =>
    (engine.findAllSubmatchIndex(text, limit) as number[][] | null) ?? [];
  return {
    source,
    test: (text) => re.test(text),
    find: (text) => {
      const found = engine.findSubmatchIndex(text) as number[] | null;
      return found === null ? undefined : toMatch(text, found);
    },
    findAll: (text, limit = -1) => all(text, limit).map((found) => toMatch(text, found)),
    replaceAll: (text, template) =>
      replaceEach(text, all(text, -1), (found) => expand(template, text, found, groupNames)),
    replaceAllLiteral: (text, replacement) => replaceEach(text, all(text, -1), () => replacement),
  };
}

/** Go's SubexpNames: index 0 is the whole match, unnamed groups are "". */
function subexpNames(re: Re2js.RE2JS, originalNames: ReadonlyMap<string, string>): string[] {
  const names = new Array<string>(re.groupCount() + 1).fill('');
  for (const [name, index] of Object.entries(re.namedGroups()))
    names[index] = originalNames.get(name) ?? name;
  return names;
}

function toMatch(text: string, found: readonly number[]): GoRegexpMatch {
  const groups: (string | undefined)[] = [];
  for (let i = 2; i + 1 < found.length; i += 2) groups.push(slice(text, found, i / 2));
  const index = found[0] ?? 0;
  const end = found[1] ?? index;
  return { index, end, text: text.slice(index, end), groups };
}

function slice(text: string, found: readonly number[], group: number): string | undefined {
  const start = found[2 * group] ?? -1;
  const end = found[2 * group + 1] ?? -1;
  return start < 0 || end < 0 ? undefined : text.slice(start, end);
}

/**
 * Go's replaceAll keeps the text between matches and skips an empty match abutting the previous one;
 * the "All" match list (findAllSubmatchIndex) already leaves those out, so one splice per match.
 */
function replaceEach(
  text: string,
  matches: readonly number[][],
  replace: (found: number[]) => string,
): string {
  let out = '';
  let last = 0;
  for (const found of matches) {
    const start = found[0] ?? last;
    out += text.slice(last, start) + replace(found);
    last = found[1] ?? start;
  }
  return out + text.slice(last);
}

/**
 * Go's Regexp.Expand: `$$` is a dollar; `$name`/`${name}` is the group of that number or name, where
 * a bare name is the longest run of letters, digits and `_` (so `$1x` means group "1x", which is empty);
 * an unknown group is empty; a `$` not followed by a valid name stays as it is.
 */
function expand(template: string, text: string, found: readonly number[], names: readonly string[]): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const reference = GROUP_REFERENCE.exec(rest);
    if (reference === null) {
      out += '$';
      continue;
    }
    const name = reference[1] ?? reference[2] ?? '';
    rest = rest.slice(reference[0].length);
    out += groupText(text, found, names, name) ?? '';
  }
  return out + rest;
}

/** Group `name` (a number or a name; Go takes the leftmost group of that name that took part in the match). */
function groupText(
  text: string,
  found: readonly number[],
  names: readonly string[],
  name: string,
): string | undefined {
  const number = groupNumber(name);
  if (number !== undefined) return slice(text, found, number);
  for (const [index, groupName] of names.entries()) {
    const value = groupName === name ? slice(text, found, index) : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}

/** `{name}` (closed) or a bare name: Go's unicode.IsLetter / IsDigit / `_`. */
const GROUP_REFERENCE = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u;

/** A group number as Go reads one: at most nine ASCII digits, no leading zero; otherwise a name. */
function groupNumber(name: string): number | undefined {
  if (!/^[0-9]{1,9}$/.test(name) || (name.length > 1 && name.startsWith('0'))) return undefined;
  return Number(name);
}
