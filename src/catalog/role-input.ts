import { z } from 'zod';
import { unknownPlaceholders } from '../stats/prose.ts';

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const prose = z
  .string()
  .max(20_000, 'must be at most 20000 characters')
  .refine((text) => unknownPlaceholders(text).length === 0, {
    message: 'may only use the placeholders listed in docs/methodology.md',
  })
  .nullish()
  .transform((v) => v ?? null);

const item = z.object({
  title: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  text: z.string().trim().min(1, 'must not be empty').max(5_000, 'must be at most 5000 characters'),
});

/** A role page as written by the role data files and (later) the upsertRole mutation. */
export const roleInputSchema = z.object({
  slug: z.string().regex(SLUG, 'must match [a-z0-9]+(-[a-z0-9]+)*').max(100, 'must be at most 100 characters'),
  title: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  summary: prose,
  responsibilitiesIntro: prose,
  responsibilities: z.array(item).max(50, 'must have at most 50 items').default([]),
  careerIntro: prose,
  careerStepsIntro: prose,
  careerSteps: z.array(item).max(50, 'must have at most 50 items').default([]),
  conclusion: prose,
});

export type RoleInput = z.output<typeof roleInputSchema>;
