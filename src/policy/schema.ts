/**
 * What the policy front-ends share: schema pieces (label selectors, keyless identities), one-line load
 * errors, and the load warnings for key material that does not parse.
 */
import { type ZodType, z } from 'zod';
import { goRegexpProblem, SigilError } from '../core/index.js';
import type { Attestor, AttestorSet, Policy } from './model.js';

export const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.object({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/**
 * A regular expression the policy's own tool compiles with Go's regexp (Kyverno, the policy-controller,
 * cosign underneath): one RE2 refuses fails the policy's load, naming the field, instead of every review.
 */
const goRegexp = z.string().superRefine((pattern, ctx) => {
  const problem = goRegexpProblem(pattern);
  if (problem !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid regular expression ${JSON.stringify(pattern)}: ${problem}`,
    });
  }
});

/** A keyless identity's certificate subject and OIDC issuer, each exact or as a regular expression. */
export const identityFields = {
  subject: z.string().optional(),
  subjectRegExp: goRegexp.optional(),
  issuer: z.string().optional(),
  issuerRegExp: goRegexp.optional(),
};

/** The document as `schema` reads it, or a one-line error naming where, the field's path and the issue. */
export function parsePolicy<T>(schema: ZodType<T>, document: unknown, where: string, what: string): T {
  const parsed = schema.safeParse(document);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : '(document)';
  throw new SigilError('BAD_INPUT', `${where}: ${path}: ${issue?.message ?? `invalid ${what}`}`);
}

/**
 * One load warning per attestor whose key material does not parse (an `invalid` attestor), wherever it
 * stands in the policy: the images it checks will fail, and whoever loads the policy should hear why now.
 */
export function invalidAttestorWarnings(policy: Policy): string[] {
  const inAttestor = (attestor: Attestor): string[] =>
    attestor.kind === 'invalid'
      ? [`${attestor.reason} (images it checks will fail)`]
      : attestor.kind === 'nested'
        ? inSets([attestor.set])
        : attestor.kind === 'attested'
          ? inAttestor(attestor.by)
          : [];
  const inSets = (sets: AttestorSet[]): string[] => sets.flatMap((set) => set.entries.flatMap(inAttestor));
  return policy.rules.flatMap((rule) =>
    rule.verifyImages.flatMap((v) => [
      ...inSets(v.attestors),
      ...v.attestations.flatMap((a) => inSets(a.attestors)),
    ]),
  );
}
