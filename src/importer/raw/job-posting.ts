import type { FieldError } from '../../domain/field-rules.ts';
import { countryCodeOf } from './country-names.ts';
import { descriptionText, looksLikeHtml, htmlToText } from '../../domain/html-text.ts';

/**
 * A schema.org JobPosting (https://schema.org/JobPosting, as Google reads it) as a flat posting
 * row with the importer's field names. Pure. docs/import-format.md, "schema.org JobPosting",
 * lists the mapping. A posting that is not an object, has no title, no hiringOrganization name,
 * or a datePosted that is missing or not a date gives errors instead (field, value, rule).
 */

type Json = unknown;
type Obj = Record<string, Json>;

const isObject = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const first = (v: Json): Json => (Array.isArray(v) ? v[0] : v);

/** Text of a JSON-LD value: a string or number, or an object's `value`/`name`/`@value`. */
function textOf(v: Json): string | null {
  const x = first(v);
  if (typeof x === 'string') return x.trim() === '' ? null : x.trim();
  if (typeof x === 'number' && Number.isFinite(x)) return String(x);
  if (isObject(x)) return textOf(x['@value'] ?? x.value ?? x.name);
  return null;
}

const numberOf = (v: Json): number | string | null => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim().replace(/,/g, ''));
    return Number.isFinite(n) ? n : v.trim();
  }
  return null;
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const types = (o: Obj): string[] => {
  const t = o['@type'];
  return (Array.isArray(t) ? t : [t]).filter((x): x is string => typeof x === 'string');
};

export const isJobPosting = (o: Obj): boolean =>
  types(o).some((t) => t === 'JobPosting' || t.endsWith('/JobPosting') || t.endsWith(':JobPosting'));

function place(jobLocation: Json): { location: string | null; country: string | null; raw: string | null } {
  const loc = first(jobLocation);
  if (!isObject(loc))
    return { location: typeof loc === 'string' ? loc.trim() || null : null, country: null, raw: null };
  const address = first(loc.address);
  if (typeof address === 'string') return { location: address.trim() || null, country: null, raw: null };
  if (!isObject(address)) return { location: textOf(loc.name), country: null, raw: null };
  const parts = [textOf(address.addressLocality), textOf(address.addressRegion)].filter((p): p is string => p !== null);
  const rawCountry = textOf(address.addressCountry);
  return {
    location: parts.length > 0 ? parts.join(', ') : null,
    country: rawCountry === null ? null : countryCodeOf(rawCountry),
    raw: rawCountry,
  };
}

const UNITS: Record<string, string> = {
  HOUR: 'HOUR',
  HOURLY: 'HOUR',
  DAY: 'DAY',
  DAILY: 'DAY',
  WEEK: 'WEEK',
  WEEKLY: 'WEEK',
  MONTH: 'MONTH',
  MONTHLY: 'MONTH',
  YEAR: 'YEAR',
  YEARLY: 'YEAR',
  ANNUAL: 'YEAR',
  ANNUALLY: 'YEAR',
};

/** baseSalary / estimatedSalary: a MonetaryAmount (value a number or a QuantitativeValue), a number, or text. */
function salary(amount: Json, row: Obj): void {
  const a = first(amount);
  if (typeof a === 'string') {
    row.salaryText = a;
    return;
  }
  if (typeof a === 'number') {
    row.salaryMin = a;
    row.salaryMax = a;
    return;
  }
  if (!isObject(a)) return;
  const currency = textOf(a.currency);
  const value = first(a.value);
  let unit: string | null = textOf(a.unitText);
  if (typeof value === 'string' && !/^\s*[\d.,]+\s*$/.test(value)) {
    row.salaryText = value;
  } else if (isObject(value)) {
    unit = textOf(value.unitText) ?? unit;
    const single = numberOf(value.value);
    const min = numberOf(value.minValue) ?? single;
    const max = numberOf(value.maxValue) ?? single;
    row.salaryMin = min;
    row.salaryMax = max;
  } else {
    const n = numberOf(value);
    row.salaryMin = n;
    row.salaryMax = n;
  }
  if (currency !== null) row.salaryCurrency = currency;
  if (unit !== null) row.salaryPeriod = UNITS[unit.toUpperCase()] ?? unit;
}

/** The row, or the errors of a posting that cannot be one. */
export function jobPostingRow(value: Json): { row: Obj } | { errors: FieldError[] } {
  if (!isObject(value)) {
    return {
      errors: [
        {
          field: '(record)',
          value: JSON.stringify(value)?.slice(0, 200) ?? '',
          rule: 'object',
          message: 'a JobPosting must be a JSON object',
        },
      ],
    };
  }
  const errors: FieldError[] = [];
  const title = textOf(value.title) ?? textOf(value.name);
  if (title === null)
    errors.push({ field: 'title', value: '', rule: 'required', message: 'a JobPosting needs a title' });
  const org = first(value.hiringOrganization);
  const company =
    typeof org === 'string' ? org.trim() || null : isObject(org) ? (textOf(org.name) ?? textOf(org.legalName)) : null;
  if (company === null)
    errors.push({
      field: 'hiringOrganization.name',
      value: '',
      rule: 'required',
      message: 'a JobPosting needs the name of its hiringOrganization',
    });
  const posted = textOf(value.datePosted);
  if (posted === null)
    errors.push({ field: 'datePosted', value: '', rule: 'required', message: 'a JobPosting needs a datePosted' });
  else if (!ISO_DATE.test(posted)) {
    errors.push({
      field: 'datePosted',
      value: posted,
      rule: 'isoDate',
      message: 'must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T09:30:00Z)',
    });
  }
  if (errors.length > 0) return { errors };

  const row: Obj = {
    title: looksLikeHtml(title as string) ? htmlToText(title as string) : title,
    company,
    postedAt: posted,
  };
  const identifier = first(value.identifier);
  const id =
    typeof identifier === 'string' || typeof identifier === 'number'
      ? String(identifier).trim()
      : isObject(identifier)
        ? textOf(identifier.value)
        : null;
  if (id) row.externalId = id;
  for (const key of ['source', 'role', 'roleTitle', 'seniority', 'salaryText', 'degreeRequired']) {
    if (value[key] !== undefined && value[key] !== null && typeof value[key] !== 'object') row[key] = value[key];
  }
  const description = textOf(value.description);
  if (description !== null) row.description = descriptionText(description);
  const through = textOf(value.validThrough);
  if (through !== null) row.closedAt = through;
  const where = place(value.jobLocation);
  if (where.location !== null) row.location = where.location;
  if (where.raw !== null) row.country = where.country ?? where.raw; // an unknown country is reported by the country rule

  const locationTypes = (Array.isArray(value.jobLocationType) ? value.jobLocationType : [value.jobLocationType]).map(
    (t) => String(t ?? '').toUpperCase(),
  );
  const telecommute =
    locationTypes.includes('TELECOMMUTE') ||
    (value.applicantLocationRequirements !== undefined && value.applicantLocationRequirements !== null);
  if (telecommute) row.remote = true;
  else if (value.jobLocation !== undefined && value.jobLocation !== null) row.remote = false;
  if (row.country === undefined && telecommute) {
    const required = value.applicantLocationRequirements;
    const only = Array.isArray(required) && required.length !== 1 ? null : textOf(first(required));
    const code = only === null ? null : countryCodeOf(only);
    if (code !== null) row.country = code;
  }

  if (value.baseSalary !== undefined && value.baseSalary !== null) salary(value.baseSalary, row);
  else if (value.estimatedSalary !== undefined && value.estimatedSalary !== null) {
    salary(value.estimatedSalary, row);
    row.salaryEstimated = true;
  }

  const education = first(value.educationRequirements);
  if (typeof education === 'string' && education.trim() !== '') row.educationRequirements = descriptionText(education);
  else if (isObject(education)) {
    const category = textOf(education.credentialCategory) ?? textOf(education.name) ?? textOf(education.description);
    if (category !== null) row.educationRequirements = category;
  }
  const employment = value.employmentType;
  if (typeof employment === 'string') row.employmentType = employment.trim();
  else if (Array.isArray(employment)) row.employmentType = employment.filter((e) => typeof e === 'string').join(', ');
  const url = textOf(value.url) ?? textOf(value.sameAs);
  if (url !== null) row.url = url;
  return { row };
}

/** Every JobPosting inside a JSON-LD value: the value itself, arrays, and `@graph` lists. Non-objects in a list are reported. */
export function* jobPostingsIn(value: Json, top = true): Generator<Json> {
  if (Array.isArray(value)) {
    for (const item of value) yield* jobPostingsIn(item, false);
    return;
  }
  if (!isObject(value)) {
    yield value; // not an object: a rejected row
    return;
  }
  if (Array.isArray(value['@graph'])) {
    for (const item of value['@graph']) yield* jobPostingsIn(item, false);
    return;
  }
  if (isJobPosting(value) || (top && value['@type'] === undefined)) yield value;
}
