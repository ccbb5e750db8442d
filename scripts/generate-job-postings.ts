/**
 * Writes a deterministic NDJSON file of schema.org JobPostings for the raw-posting run of
 * `npm run bench:import`: titles without roles (title rules classify them), descriptions of
 * about 2,000 characters in HTML with a degree sentence in one of the documented forms, salary
 * as text in several styles, and a share of cross-source duplicates (the same ad, with the same
 * title, employer, location and date, published again by another board under another id).
 * Also writes the title rules that cover its titles (`writeJobPostingRules`).
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { seededRandom } from './seeded-random.ts';

const ROLES: [slug: string, title: string][] = [
  ['software-engineer', 'Software Engineer'],
  ['data-engineer', 'Data Engineer'],
  ['data-scientist', 'Data Scientist'],
  ['product-manager', 'Product Manager'],
  ['devops-engineer', 'DevOps Engineer'],
  ['qa-engineer', 'QA Engineer'],
  ['security-engineer', 'Security Engineer'],
  ['frontend-developer', 'Frontend Developer'],
  ['backend-developer', 'Backend Developer'],
  ['ml-engineer', 'Machine Learning Engineer'],
];
const PREFIXES = ['', 'Senior ', 'Sr. ', 'Junior ', 'Lead ', 'Staff ', ''];
const SUFFIXES = ['', ' - Remote', ' (m/w/d)', ', Platform', ' II', ''];
const CITIES: [string, string, string, string][] = [
  ['Berlin', 'BE', 'DE', '€'],
  ['London', 'England', 'GB', '£'],
  ['Austin', 'TX', 'US', '$'],
  ['New York', 'NY', 'US', '$'],
  ['Toronto', 'ON', 'CA', 'C$'],
  ['Paris', 'Île-de-France', 'FR', '€'],
];
const COMPANIES = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Hooli',
  'Vandelay',
  'Tyrell',
  'Cyberdyne',
  'Aperture',
];
const DEGREE_SENTENCES = [
  "Bachelor's degree in Computer Science or a related field required.",
  'BS in Computer Science or equivalent experience.',
  "Master's degree preferred.",
  'No degree required: show us what you have built.',
  'BS/MS/PhD in a quantitative field.',
  'A degree in Computer Science is a plus.',
  '',
];
const FILLER = [
  'You will design, build and operate services used by millions of people every day.',
  'Our team values ownership, clear writing and pragmatic engineering.',
  'You collaborate closely with product, design and data to ship features end to end.',
  'We run on Kubernetes, PostgreSQL and Kafka, and deploy many times a day.',
  'You review code, mentor colleagues and improve our engineering practices.',
  'Experience with cloud infrastructure (AWS, GCP or Azure) is expected.',
  'We offer flexible hours, remote work within the country and a learning budget.',
  'You will enjoy a high degree of autonomy and a 360-degree feedback culture.',
  'Strong communication skills in English; German is a plus.',
  'You care about testing, observability and performance.',
];

/** Salary text in the styles of Glassdoor, Indeed, Reed and StepStone, for a yearly midpoint. */
function salaryText(symbol: string, yearly: number, random: () => number): string {
  const low = Math.round((yearly * 0.9) / 1000);
  const high = Math.round((yearly * 1.1) / 1000);
  const style = random();
  if (style < 0.25) return `${symbol}${low}K-${symbol}${high}K (Glassdoor est.)`;
  if (style < 0.45)
    return `${symbol}${(low * 1000).toLocaleString('en-US')} - ${symbol}${(high * 1000).toLocaleString('en-US')} a year`;
  if (style < 0.6)
    return `${symbol}${Math.round(yearly / 2080)} - ${symbol}${Math.round((yearly * 1.2) / 2080)} an hour`;
  if (style < 0.75)
    return `${(low * 1000).toLocaleString('de-DE')} ${symbol} - ${(high * 1000).toLocaleString('de-DE')} ${symbol} pro Jahr`;
  if (style < 0.9) return `Up to ${symbol}${high}k`;
  return 'Competitive';
}

function html(random: () => number, degree: string): string {
  const paragraphs: string[] = [];
  let length = 0;
  while (length < 1850) {
    const sentence = FILLER[Math.floor(random() * FILLER.length)] as string;
    paragraphs.push(sentence);
    length += sentence.length + 7;
  }
  const at = Math.floor(random() * paragraphs.length);
  const items = paragraphs
    .map((p, i) => (i === at && degree ? `<li>${degree}</li><li>${p}</li>` : `<li>${p}</li>`))
    .join('');
  return `<p>About the role</p><ul>${items}</ul>`.slice(0, 2000);
}

/**
 * Writes `rows` JobPostings; a share `duplicates` of them repeat an earlier ad from another
 * board (same title, employer, location and datePosted; another identifier and source).
 */
export async function writeGeneratedJobPostings(file: string, rows: number, duplicates = 0.2, seed = 7): Promise<void> {
  const random = seededRandom(seed);
  const out = fs.createWriteStream(file);
  const recent: string[] = [];
  let buffer = '';
  for (let i = 1; i <= rows; i++) {
    let line: string;
    if (recent.length > 0 && random() < duplicates) {
      const original = JSON.parse(recent[Math.floor(random() * recent.length)] as string) as Record<string, unknown>;
      line = JSON.stringify({
        ...original,
        identifier: `dup-${i}`,
        source: 'board-b',
        url: `https://board-b.example/jobs/${i}`,
      });
    } else {
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
      const [, roleTitle] = pick(ROLES);
      const [city, region, country, symbol] = pick(CITIES);
      const day = 1 + Math.floor(random() * 500);
      const posted = new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      const yearly = 45_000 + Math.floor(random() * 90_000);
      const posting = {
        '@context': 'https://schema.org/',
        '@type': 'JobPosting',
        identifier: { '@type': 'PropertyValue', name: 'board-a', value: `a-${i}` },
        source: 'board-a',
        title: `${pick(PREFIXES)}${roleTitle}${pick(SUFFIXES)}`,
        description: html(random, pick(DEGREE_SENTENCES)),
        datePosted: posted,
        employmentType: 'FULL_TIME',
        hiringOrganization: { '@type': 'Organization', name: `${pick(COMPANIES)} ${Math.floor(random() * 2000)}` },
        jobLocation: {
          '@type': 'Place',
          address: { '@type': 'PostalAddress', addressLocality: city, addressRegion: region, addressCountry: country },
        },
        baseSalary: { '@type': 'MonetaryAmount', value: salaryText(symbol, yearly, random) },
        url: `https://board-a.example/jobs/${i}`,
      };
      line = JSON.stringify(posting);
      if (recent.length < 5000) recent.push(line);
      else recent[Math.floor(random() * recent.length)] = line;
    }
    buffer += line + '\n';
    if (buffer.length >= 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

/** The title rules that put every generated title in its role. */
export function writeJobPostingRules(file: string): void {
  const rules = ROLES.map(([role, title]) => ({ role, title, include: [title.toLowerCase()] }));
  fs.writeFileSync(file, JSON.stringify(rules, null, 2));
}
