import type { RoleRecord } from './role-record.ts';
import { roleInputSchema } from './role-input.ts';
import { upsertRole, type RoleWriteTarget } from './role-writer.ts';
import { fromZodIssues, type UserError } from './user-errors.ts';

export interface RolePageWrite {
  role: RoleRecord | null;
  userErrors: UserError[];
}

/**
 * Checks a role page with the schema of the role data files (roleInputSchema) and creates or
 * replaces the role; broken rules come back as user errors and nothing is written. A list left
 * out or null is empty: the page is replaced as a whole.
 */
export async function writeRolePage(db: RoleWriteTarget, input: Record<string, unknown>): Promise<RolePageWrite> {
  const parsed = roleInputSchema.safeParse({
    ...input,
    responsibilities: input.responsibilities ?? undefined,
    careerSteps: input.careerSteps ?? undefined,
  });
  if (!parsed.success) return { role: null, userErrors: fromZodIssues(parsed.error.issues) };
  const { role } = await upsertRole(db, parsed.data);
  return { role, userErrors: [] };
}
