import type { PrismaClient } from '../db/prisma.ts';
import type { RoleRecord } from './role-record.ts';
import type { RoleInput } from './role-input.ts';

interface Item {
  title: string;
  text: string;
}

const sameItems = (a: Item[], b: Item[]): boolean =>
  a.length === b.length && a.every((x, i) => x.title === b[i]?.title && x.text === b[i]?.text);

/**
 * Creates or replaces a role's page (title, prose, ordered responsibilities and career steps)
 * in one transaction. A page identical to the stored one is not written at all, so re-running
 * a seed changes nothing, not even updated_at.
 */
export async function upsertRole(prisma: PrismaClient, input: RoleInput): Promise<{ role: RoleRecord; changed: boolean }> {
  const existing = await prisma.role.findUnique({
    where: { slug: input.slug },
    include: { responsibilities: { orderBy: { position: 'asc' } }, careerSteps: { orderBy: { position: 'asc' } } },
  });
  const fields = {
    title: input.title,
    summary: input.summary,
    responsibilitiesIntro: input.responsibilitiesIntro,
    careerIntro: input.careerIntro,
    careerStepsIntro: input.careerStepsIntro,
    conclusion: input.conclusion,
  };
  if (
    existing &&
    (Object.keys(fields) as (keyof typeof fields)[]).every((key) => existing[key] === fields[key]) &&
    sameItems(existing.responsibilities, input.responsibilities) &&
    sameItems(existing.careerSteps, input.careerSteps)
  ) {
    const { responsibilities: _r, careerSteps: _c, ...role } = existing;
    return { role, changed: false };
  }
  const numbered = (items: Item[]) => items.map((item, i) => ({ position: i + 1, title: item.title, text: item.text }));
  const role = await prisma.role.upsert({
    where: { slug: input.slug },
    create: {
      slug: input.slug,
      ...fields,
      responsibilities: { create: numbered(input.responsibilities) },
      careerSteps: { create: numbered(input.careerSteps) },
    },
    update: {
      ...fields,
      responsibilities: { deleteMany: {}, create: numbered(input.responsibilities) },
      careerSteps: { deleteMany: {}, create: numbered(input.careerSteps) },
    },
  });
  return { role, changed: true };
}
