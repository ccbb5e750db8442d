import type { z } from 'zod';
import type { FieldError } from '../domain/field-rules.ts';

/** A broken rule of a mutation's input, at its path such as ["input", "salaryMin"]. */
export interface UserError {
  field: string[];
  /** Stable name of the rule, the same as the importer reports (e.g. positiveNumber). */
  rule: string;
  message: string;
}

/** The importer's field errors as user errors under `input` (an error about the whole row is on `input` itself). */
export function fromFieldErrors(errors: readonly FieldError[]): UserError[] {
  return errors.map((e) => ({
    field: e.field === '(record)' ? ['input'] : ['input', e.field],
    rule: e.rule,
    message: e.message,
  }));
}

/** zod issues as user errors under `input`. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): UserError[] {
  return issues.map((issue) => {
    const custom = issue.code === 'custom' ? (issue.params as { rule?: unknown } | undefined)?.rule : undefined;
    return {
      field: ['input', ...issue.path.map(String)],
      rule: typeof custom === 'string' ? custom : issue.code,
      message: issue.message,
    };
  });
}
