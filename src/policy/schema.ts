/** Schema pieces the policy front-ends share: label selectors, keyless identities, one-line load errors. */
import { type ZodType, z } from 'zod';
import { SigilError } from '../core/index.js';

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

/** A keyless identity's certificate subject and OIDC issuer, each exact or as a regular expression. */
export const identityFields = {
  subject: z.string().optional(),
  subjectRegExp: z.string().optional(),
  issuer: z.string().optional(),
  issuerRegExp: z.string().optional(),
};

/** The document as `schema` reads it, or a one-line error naming where, the field's path and the issue. */
export function parsePolicy<T>(schema: ZodType<T>, document: unknown, where: string, what: string): T {
  const parsed = schema.safeParse(document);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : '(document)';
  throw new SigilError('BAD_INPUT', `${where}: ${path}: ${issue?.message ?? `invalid ${what}`}`);
}
