import { z } from 'zod';
import { conditionOperators, isConditionOperator } from './operators.js';
import type { AnyAllConditions, Condition } from './types.js';

export { conditionOperators } from './operators.js';

/** One condition; an unknown operator is reported on the `operator` path with the list of valid ones. */
export const conditionSchema: z.ZodType<Condition> = z
  .object({
    key: z.unknown(),
    operator: z.string().superRefine((name, ctx) => {
      if (!isConditionOperator(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown operator ${JSON.stringify(name)} (one of ${conditionOperators.join(', ')})`,
        });
      }
    }),
    value: z.unknown().optional(),
    message: z.string().optional(),
  })
  .strict()
  .refine((condition) => condition.key !== undefined, { message: 'key is required', path: ['key'] });

/** A Kyverno `any`/`all` block, for the policy schema (issues' paths read `conditions[0].all[1].operator`). */
export const anyAllConditionsSchema: z.ZodType<AnyAllConditions> = z
  .object({ any: z.array(conditionSchema).optional(), all: z.array(conditionSchema).optional() })
  .strict();
