import type { z } from 'zod';
import type { FieldError } from '../importer/import-types.ts';

/** A broken rule of a mutation's input, at its path such as ["input", "salaryMin"]. */
export interface UserError {
  field: string[];
  message: string;
}

/** The importer's field errors as user errors under `input` (an error about the whole row is on `input` itself). */
export function fromFieldErrors(errors: readonly FieldError[]): UserError[] {
  return errors.map((e) => ({ field: e.field === '(record)' ? ['input'] : ['input', e.field], message: e.message }));
}

/** zod issues as user errors under `input`. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): UserError[] {
  return issues.map((issue) => ({ field: ['input', ...issue.path.map(String)], message: issue.message }));
}
