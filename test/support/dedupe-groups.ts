// Reference grouping of duplicates for the tests, written from docs/methodology.md
// ("Duplicates across sources") without using any code under test.

import { annualUsd, employerKey, type Rate } from './independent-stats.ts';

export interface RawPosting {
  externalId: string;
  source: string;
  role: string;
  title: string | null;
  company: string;
  location: string | null;
  country: string | null;
  remote: boolean | null;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency?: string | null;
  salaryPeriod?: string | null;
  degreeRequired: boolean | null;
  postedAt: Date;
  closedAt: Date | null;
}

const DAY = 86_400_000;

/** Title and location as compared: NFKC, case folding, punctuation to space, spaces collapsed. */
export function comparable(text: string | null): string {
  if (text === null) return '';
  let out = '';
  for (const ch of text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC'))
    out += /\p{P}/u.test(ch) ? ' ' : ch;
  return out.split(/\s+/u).filter(Boolean).join(' ');
}

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Earliest posting first; ties by source, then externalId. */
export function canonicalOrder(a: RawPosting, b: RawPosting): number {
  return (
    a.postedAt.getTime() - b.postedAt.getTime() || byCode(a.source, b.source) || byCode(a.externalId, b.externalId)
  );
}

/** Groups of duplicates, each earliest member first. */
export function groupDuplicates<T extends RawPosting>(postings: readonly T[], windowDays = 60): T[][] {
  const byKey = new Map<string, T[]>();
  for (const p of postings) {
    const key = JSON.stringify([employerKey(p.company), comparable(p.title), comparable(p.location)]);
    byKey.set(key, [...(byKey.get(key) ?? []), p]);
  }
  const groups: T[][] = [];
  for (const members of byKey.values()) {
    let current: T[] = [];
    for (const p of [...members].sort(canonicalOrder)) {
      const first = current[0];
      if (first && p.postedAt.getTime() - first.postedAt.getTime() <= windowDays * DAY) current.push(p);
      else {
        if (current.length) groups.push(current);
        current = [p];
      }
    }
    if (current.length) groups.push(current);
  }
  return groups;
}

export const isOpen = (p: RawPosting, at: number): boolean =>
  p.postedAt.getTime() <= at && (p.closedAt === null || p.closedAt.getTime() > at);

/** A group as statistics see it: the earliest member's attributes, the group's status, salary and degree requirement. */
export interface CountedGroup<T extends RawPosting> {
  first: T;
  members: T[];
  open: boolean;
  salaryUsd: number | null;
  degreeRequired: boolean | null;
}

export function countedGroups<T extends RawPosting>(
  groups: readonly T[][],
  at: number,
  rates: Rate[] = [],
): CountedGroup<T>[] {
  return groups.map((members) => {
    const first = members[0] as T;
    const paid = members.find((m) => m.salaryMin !== null || m.salaryMax !== null);
    const known = members.find((m) => m.degreeRequired !== null);
    return {
      first,
      members,
      open: members.some((m) => isOpen(m, at)),
      salaryUsd: paid
        ? annualUsd(
            paid.salaryMin,
            paid.salaryMax,
            paid.salaryPeriod ?? 'YEAR',
            paid.salaryCurrency ?? 'USD',
            paid.postedAt,
            rates,
          )
        : null,
      degreeRequired: known ? known.degreeRequired : null,
    };
  });
}

/** Degree figures over counted units (groups or postings) with an employer and a requirement. */
export function degreeFigures(units: { company: string; degreeRequired: boolean | null }[]) {
  const employers = new Map<string, boolean | null>();
  for (const u of units) {
    const key = employerKey(u.company);
    const before = employers.get(key) ?? null;
    employers.set(key, u.degreeRequired === null ? before : (before ?? false) || u.degreeRequired);
  }
  const known = [...employers.values()].filter((v) => v !== null);
  const postingsKnown = units.filter((u) => u.degreeRequired !== null);
  return {
    employersRequiring: known.filter(Boolean).length,
    employersKnown: known.length,
    postingsRequiring: postingsKnown.filter((u) => u.degreeRequired).length,
    postingsKnown: postingsKnown.length,
  };
}
