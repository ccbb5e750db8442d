/**
 * Writes a deterministic CSV of synthetic job postings for the import benchmark and the
 * kill-and-rerun test: varied roles, employers (with spelling variants), countries, salary
 * ranges in several currencies and periods, quoted titles with commas, quotes and line breaks.
 * The currencies used (USD, EUR, GBP, CAD) all have a rate in data/exchange-rates.csv.
 *
 * As a script: tsx scripts/generate-postings.ts FILE [ROWS]
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { seededRandom } from './seeded-random.ts';

export const GENERATED_POSTING_HEADER =
  'externalId,source,role,roleTitle,title,company,location,country,remote,salaryMin,salaryMax,salaryCurrency,salaryPeriod,degreeRequired,seniority,postedAt,closedAt';

const ROLES = [
  'software-engineer',
  'data-engineer',
  'data-scientist',
  'product-manager',
  'ux-designer',
  'devops-engineer',
  'qa-engineer',
  'engineering-manager',
  'security-engineer',
  'mobile-developer',
  'frontend-developer',
  'backend-developer',
  'ml-engineer',
  'technical-writer',
  'sales-engineer',
  'support-engineer',
];
const CITIES: [string, string, string][] = [
  ['Berlin', 'DE', 'EUR'],
  ['Munich', 'DE', 'EUR'],
  ['Paris', 'FR', 'EUR'],
  ['London', 'GB', 'GBP'],
  ['Manchester', 'GB', 'GBP'],
  ['New York, NY', 'US', 'USD'],
  ['Austin, TX', 'US', 'USD'],
  ['San Francisco, CA', 'US', 'USD'],
  ['Toronto', 'CA', 'CAD'],
  ['Amsterdam', 'NL', 'EUR'],
];
const SENIORITY = ['JUNIOR', 'MID', 'SENIOR', 'LEAD', '', ''];
const WORDS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Hooli',
  'Vandelay',
  'Soylent',
  'Tyrell',
  'Cyberdyne',
  'Aperture',
];
const SUFFIXES = ['GmbH', 'Ltd', 'Inc.', 'SA', 'BV', 'Corp'];

function csv(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The first `count` role slugs: the 16 named roles, then `role-17`, `role-18`, ... */
export function generatedRoleSlugs(count: number): string[] {
  return Array.from({ length: count }, (_, i) => ROLES[i] ?? `role-${i + 1}`);
}

/**
 * Picks among `count` roles with Zipf weights 1/k (s = 1): with 50 roles the first gets 22% of
 * the rows, the last 0.44%, like real job boards where a few roles dominate.
 */
export function zipfRolePicker(count: number): (random: () => number) => string {
  const slugs = generatedRoleSlugs(count);
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= count; k++) cumulative.push((total += 1 / k));
  return (random) => {
    const x = random() * total;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return slugs[lo] as string;
  };
}

/** One synthetic posting row (CSV line without the line break) for row number `i`. */
export function generatedPostingRow(
  i: number,
  random: () => number,
  pickRole?: (random: () => number) => string,
): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const role = pickRole ? pickRole(random) : pick(ROLES);
  const [city, country, currency] = pick(CITIES);
  const employerNo = Math.floor(random() * 20_000);
  const base = `${WORDS[employerNo % WORDS.length]} ${Math.floor(employerNo / WORDS.length)} ${SUFFIXES[employerNo % SUFFIXES.length]}`;
  // Some rows spell the employer differently: upper case, doubled spaces.
  const spelling = random();
  const company = spelling < 0.05 ? base.toUpperCase() : spelling < 0.1 ? base.replace(/ /g, '  ') : base;
  const seniority = pick(SENIORITY);
  const words = role.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  const shape = random();
  const title =
    shape < 0.1
      ? `${seniority ? seniority[0] + seniority.slice(1).toLowerCase() + ' ' : ''}${words.join(' ')}, "Platform"`
      : shape < 0.12
        ? `${words.join(' ')}\n(relocation offered)`
        : `${words.join(' ')}${shape < 0.4 ? ', Remote' : ''}`;
  const hasSalary = random() < 0.6;
  const periodRoll = random();
  const period = periodRoll < 0.8 ? 'YEAR' : periodRoll < 0.9 ? 'MONTH' : 'HOUR';
  const scale = period === 'YEAR' ? 1 : period === 'MONTH' ? 1 / 12 : 1 / 2080;
  const low = Math.round((40_000 + random() * 80_000) * scale * 100) / 100;
  const high = Math.round(low * (1 + random() * 0.4) * 100) / 100;
  const boundRoll = random();
  const salaryMin = hasSalary && boundRoll > 0.1 ? String(low) : '';
  const salaryMax = hasSalary && boundRoll < 0.9 ? String(high) : '';
  const day = 1 + Math.floor(random() * 700);
  const posted = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000);
  const postedAt = random() < 0.5 ? posted.toISOString().slice(0, 10) : posted.toISOString().slice(0, 19) + 'Z';
  const closedAt = random() < 0.3 ? new Date(posted.getTime() + 30 * 86_400_000).toISOString().slice(0, 10) : '';
  const degree = pick(['true', 'false', '']);
  const remote = pick(['true', 'false', 'yes', 'no', '']);
  return [
    `gen-${i}`,
    i % 3 === 0 ? 'board-a' : 'board-b',
    role,
    '',
    csv(title),
    csv(company),
    csv(city),
    country,
    remote,
    salaryMin,
    salaryMax,
    hasSalary ? currency : '',
    hasSalary ? period : '',
    degree,
    seniority,
    postedAt,
    closedAt,
  ].join(',');
}

/**
 * Writes `rows` generated postings (plus the header) to `file`; the same seed gives the same file.
 * `zipfRoles` spreads the rows over that many roles with Zipf weights instead of 16 uniform ones.
 * `skip` leaves out the first rows (still generated, so the rest are the same rows as in the
 * longer file): the rows that arrive after a file of `skip` rows.
 */
export async function writeGeneratedPostings(
  file: string,
  rows: number,
  seed = 42,
  options: { zipfRoles?: number; skip?: number } = {},
): Promise<void> {
  const skip = options.skip ?? 0;
  const random = seededRandom(seed);
  const pickRole = options.zipfRoles ? zipfRolePicker(options.zipfRoles) : undefined;
  const out = fs.createWriteStream(file);
  let buffer = GENERATED_POSTING_HEADER + '\n';
  for (let i = 1; i <= rows; i++) {
    const row = generatedPostingRow(i, random, pickRole);
    if (i > skip) buffer += row + '\n';
    if (buffer.length >= 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

if (require.main === module) {
  const [file, rows] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx scripts/generate-postings.ts FILE [ROWS]\n');
    process.exit(2);
  }
  writeGeneratedPostings(file, Number(rows ?? 1000)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
