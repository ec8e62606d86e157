/**
 * Go's regexp accepts two groups of one name (`(?P<v>a)|(?P<v>b)`); RE2/J, and so re2js, refuses them.
 * To compile such a pattern as Go does, later groups of a name get a unique stand-in name, and the
 * stand-ins are read back as the name the pattern gave (Go's SubexpNames).
 */

/** Go's capture names: ASCII letters, digits and `_`. */
const NAMED_GROUP = /^\(\?P?<([A-Za-z0-9_]+)>/;

export interface RenamedGroups {
  /** The pattern with every repeated group name but the first replaced by a stand-in. */
  readonly source: string;
  /** Stand-in name → the name in the pattern. */
  readonly original: ReadonlyMap<string, string>;
}

/** The pattern with its repeated group names made unique, or undefined when no name repeats. */
export function uniqueGroupNames(pattern: string): RenamedGroups | undefined {
  const names = groupNames(pattern);
  if (new Set(names.map((n) => n.name)).size === names.length) return undefined;
  const taken = new Set(names.map((n) => n.name));
  const seen = new Set<string>();
  const original = new Map<string, string>();
  let source = '';
  let from = 0;
  for (const { name, at } of names) {
    if (!seen.has(name)) {
      seen.add(name);
      continue;
    }
    let standIn = name;
    for (let k = 2; taken.has(standIn); k++) standIn = `${name}_${k}`;
    taken.add(standIn);
    original.set(standIn, name);
    source += `${pattern.slice(from, at)}${standIn}`;
    from = at + name.length;
  }
  return { source: source + pattern.slice(from), original };
}

/** Each named group's name and where the name starts, skipping escapes, `\Q...\E` and character classes. */
function groupNames(pattern: string): { name: string; at: number }[] {
  const found: { name: string; at: number }[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        i = end < 0 ? pattern.length : end + 2;
      } else i += 2;
    } else if (c === '[') {
      i = classEnd(pattern, i);
    } else {
      const named = c === '(' ? NAMED_GROUP.exec(pattern.slice(i, i + 260)) : null;
      if (named?.[1] !== undefined)
        found.push({ name: named[1], at: i + named[0].length - named[1].length - 1 });
      i += 1;
    }
  }
  return found;
}

const POSIX_CLASS = /^\[:\^?[a-z]+:\]/;

/** Just past the `]` closing the class opened at `start` (a leading `]` is a member, `[:alpha:]` nests). */
function classEnd(pattern: string, start: number): number {
  let j = start + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  while (j < pattern.length) {
    if (pattern[j] === '\\') j += 2;
    else if (POSIX_CLASS.test(pattern.slice(j, j + 12))) j = pattern.indexOf(':]', j) + 2;
    else if (pattern[j] === ']') return j + 1;
    else j++;
  }
  return pattern.length;
}
