/**
 * The parity tables of docs/kyverno-parity.md: one row per policy, one column per image, each cell the
 * verdict both tools agree on, or both verdicts where they differ. The parity test renders the document and
 * fails when the committed one differs (SIGIL_UPDATE_PARITY_DOC=1 rewrites it), so it cannot go stale.
 */
import type { Verdict, Verdicts } from './policy-verdicts.js';

export interface ParityRow {
  policy: string;
  source: string;
  peer: Verdicts;
  sigil: Verdicts;
}

export interface ParitySection {
  title: string;
  intro: string;
  peerName: string;
  images: string[];
  rows: ParityRow[];
  /** `policy/image` → why sigil's verdict deliberately differs. */
  differences: Record<string, string>;
}

/**
 * The image a Pod is admitted with: the digest-pinned one when mutateDigest rewrote it. A denied Pod's
 * patch goes nowhere (the Kyverno CLI still computes one), so it does not count.
 */
function admittedImage(verdict: Verdict | undefined): string | undefined {
  return verdict?.result === 'fail' || verdict?.result === 'error' ? undefined : verdict?.patchedImage;
}

/** A verdict as a table cell: the result, `+digest` when the admitted image was pinned to its digest. */
export function cell(verdict: Verdict | undefined): string {
  if (!verdict) return 'none';
  return `${verdict.result}${admittedImage(verdict)?.includes('@sha256:') ? '+digest' : ''}`;
}

/** Same result, same failing rules, same admitted image. */
export function sameVerdict(a: Verdict | undefined, b: Verdict | undefined): boolean {
  const rules = (v: Verdict | undefined) => [...new Set(v?.failures.map((f) => f.rule))].sort().join(',');
  return a?.result === b?.result && admittedImage(a) === admittedImage(b) && rules(a) === rules(b);
}

/** The `policy/image` pairs where the two tools disagree. */
export function disagreements(rows: ParityRow[], images: string[]): string[] {
  return rows.flatMap((row) =>
    images
      .filter((image) => !sameVerdict(row.peer.get(image), row.sigil.get(image)))
      .map((image) => `${row.policy}/${image}`),
  );
}

export function renderSection(section: ParitySection): string {
  const header = `| policy | source | ${section.images.join(' | ')} |`;
  const rule = `|---|---|${section.images.map(() => '---').join('|')}|`;
  const rows = section.rows.map((row) => {
    const cells = section.images.map((image) => {
      const peer = row.peer.get(image);
      const ours = row.sigil.get(image);
      return sameVerdict(peer, ours)
        ? cell(peer)
        : `**${section.peerName}: ${cell(peer)}, sigil: ${cell(ours)}**`;
    });
    return `| ${row.policy} | ${row.source} | ${cells.join(' | ')} |`;
  });
  const found = disagreements(section.rows, section.images);
  // One line per policy and reason, naming its images: the reasons are per policy, rarely per image.
  const grouped = new Map<string, string[]>();
  for (const key of found) {
    const [policy, image] = key.split('/') as [string, string];
    const line = `${policy}\u0000${section.differences[key] ?? 'UNEXPLAINED'}`;
    grouped.set(line, [...(grouped.get(line) ?? []), image]);
  }
  const differences =
    found.length === 0
      ? 'None: every cell above is the same verdict from both.'
      : [...grouped]
          .map(([line, images]) => {
            const [policy, reason] = line.split('\u0000');
            return `- \`${policy}\` (${images.join(', ')}): ${reason}`;
          })
          .join('\n');
  return [
    `## ${section.title}`,
    '',
    section.intro,
    '',
    header,
    rule,
    ...rows,
    '',
    `### Where sigil differs from ${section.peerName}`,
    '',
    differences,
    '',
  ].join('\n');
}
