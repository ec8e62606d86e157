/** Semantic versions and ranges as Kyverno reads them (blang/semver): `1.2.3-rc.1`, ranges `>=1.0.0 <2.0.0 || 3.x`-free form `>1.0.0`. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseSemVer(text: string): SemVer | undefined {
  const match = VERSION.exec(text.trim());
  if (match === null) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] === undefined ? [] : match[4].split('.'),
  };
}

export function compareSemVer(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  // A version without a prerelease ranks above the same version with one.
  if (a.prerelease.length === 0 || b.prerelease.length === 0)
    return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const order = comparePrereleasePart(x, y);
    if (order !== 0) return order;
  }
  return 0;
}

function comparePrereleasePart(x: string, y: string): number {
  const xNumeric = /^\d+$/.test(x);
  const yNumeric = /^\d+$/.test(y);
  if (xNumeric && yNumeric) return Math.sign(Number(x) - Number(y));
  if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const COMPARATOR = /^(>=|<=|!=|==|=|>|<)?\s*(.+)$/;

/** Whether `version` satisfies `range` (space = and, `||` = or); undefined when the range is malformed. */
export function satisfiesSemVerRange(version: SemVer, range: string): boolean | undefined {
  let anySatisfied = false;
  for (const alternative of range.split('||')) {
    const comparators = alternative.trim().split(/\s+/).filter(Boolean);
    if (comparators.length === 0) return undefined;
    let all = true;
    for (const comparator of comparators) {
      const match = COMPARATOR.exec(comparator);
      const bound = match?.[2] === undefined ? undefined : parseSemVer(match[2]);
      if (match === null || bound === undefined) return undefined;
      const order = compareSemVer(version, bound);
      const op = match[1] ?? '=';
      const ok =
        op === '>'
          ? order > 0
          : op === '>='
            ? order >= 0
            : op === '<'
              ? order < 0
              : op === '<='
                ? order <= 0
                : op === '!='
                  ? order !== 0
                  : order === 0;
      all &&= ok;
    }
    anySatisfied ||= all;
  }
  return anySatisfied;
}
