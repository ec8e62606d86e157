/** Kyverno's wildcard matching: `*` matches any run of characters, `?` exactly one; nothing else is special. */
const compiled = new Map<string, RegExp>();
const COMPILED_LIMIT = 10_000;

export function wildcardMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === text;
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${wildcardSource(pattern)}$`, 's');
    // Patterns come from policies (few) and, rarely, from data; the bound keeps hostile data from growing the cache.
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex.test(text);
}

/** The regular-expression source of a wildcard pattern (unanchored), for callers that build their own. */
export function wildcardSource(pattern: string): string {
  return pattern.replace(/[.+^${}()|[\]\\*?]/g, (ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : `\\${ch}`));
}
