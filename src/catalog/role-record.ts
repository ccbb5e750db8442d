import type { Role } from '../generated/prisma/client.ts';

/** A role row as stored; its prose fields are templates (see src/stats/prose.ts). */
export type RoleRecord = Role;
