import { z } from 'zod';
import { COUNTRY_CODES } from './country-codes.ts';
import { CURRENCY_CODES } from './currency-codes.ts';
import { MAX_RAW_SALARY } from './salary.ts';

/**
 * The field rules shared by the posting, observation and rate schemas. Each rule is a zod schema
 * that accepts one raw value, as it comes from a CSV cell (a string, '' when empty) or from a JSON
 * value (string, number, boolean or null), and outputs the normalized value. A broken rule is a
 * zod `custom` issue whose `params.rule` is the stable rule name that the importer reports.
 */

/** One broken rule of one field of one row (what the schemas report). */
export interface FieldError {
  field: string;
  /** The raw value as text ('' when absent). */
  value: string;
  /** Stable rule name, e.g. `required`, `slug`, `knownCurrency`; docs/import-format.md lists them. */
  rule: string;
  message: string;
}

export type RowValidation<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export const SALARY_PERIODS = ['HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR'] as const;
export type SalaryPeriod = (typeof SALARY_PERIODS)[number];
export const SENIORITIES = ['JUNIOR', 'MID', 'SENIOR', 'LEAD'] as const;
export type Seniority = (typeof SENIORITIES)[number];

/** Length limits that keep every value inside PostgreSQL's btree index limits. */
export const LIMITS = { externalId: 200, source: 100, slug: 100, company: 300, text: 2000 } as const;

type Check<T> = (value: string) => T | Broken;

/** A broken rule, returned by the checks below. */
export class Broken {
  constructor(
    readonly rule: string,
    readonly message: string,
  ) {}
}

/** The raw value as text, for messages and the errors file. */
export function rawText(raw: unknown): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return JSON.stringify(raw);
}

/**
 * Turns a raw value into trimmed text, or undefined when absent (missing, null or blank).
 * Numbers and booleans from JSON become their text; objects and arrays are not text.
 */
function toText(raw: unknown): string | undefined | Broken {
  if (raw === undefined || raw === null) return undefined;
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'number' || typeof raw === 'boolean') text = String(raw);
  else return new Broken('type', 'must be text, a number or a boolean, not an object or array');
  text = text.trim();
  if (text === '') return undefined;
  if (text.includes('\u0000')) return new Broken('nulCharacter', 'must not contain a NUL character');
  return text;
}

function issue(ctx: z.core.$RefinementCtx, raw: unknown, broken: Broken): void {
  ctx.addIssue({ code: 'custom', message: broken.message, input: raw, params: { rule: broken.rule } });
}

/**
 * A field's rule as a plain function: the normalized value, or Broken. The zod schema of the
 * field runs exactly this function (and turns a Broken into an issue), so the fast path of
 * `fastRow` and the schema cannot disagree.
 */
export type FieldParse<T> = (raw: unknown) => T | Broken;

/** A field schema that also exposes its plain parse function. */
export type FieldSchema<T> = z.ZodType<T, unknown> & { readonly parseField: FieldParse<T> };

function fieldSchema<T>(parseField: FieldParse<T>): FieldSchema<T> {
  const schema = z.unknown().transform((raw, ctx): T => {
    const value = parseField(raw);
    if (value instanceof Broken) {
      issue(ctx, raw, value);
      return z.NEVER;
    }
    return value;
  });
  return Object.assign(schema, { parseField });
}

/** A required field: absent or blank breaks `required`; otherwise `check` decides. */
export function required<T>(check: Check<T>): FieldSchema<T> {
  const isRequired = new Broken('required', 'is required');
  return fieldSchema((raw): T | Broken => {
    const text = toText(raw);
    if (text instanceof Broken) return text;
    if (text === undefined) return isRequired;
    return check(text);
  });
}

/** An optional field: absent or blank gives `fallback`; otherwise `check` decides. */
export function optional<T, F extends T | null>(check: Check<T>, fallback: F): FieldSchema<T | F> {
  return fieldSchema((raw): T | F | Broken => {
    const text = toText(raw);
    if (text instanceof Broken) return text;
    if (text === undefined) return fallback;
    return check(text);
  });
}

// ---- checks on trimmed, non-empty text ----

export const text =
  (max: number = LIMITS.text): Check<string> =>
  (value) =>
    value.length <= max ? value : new Broken('maxLength', `must be at most ${max} characters (has ${value.length})`);

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const slug: Check<string> = (value) => {
  if (!SLUG.test(value))
    return new Broken('slug', 'must be a slug: lower-case letters and digits in words joined by single hyphens');
  return value.length <= LIMITS.slug ? value : new Broken('maxLength', `must be at most ${LIMITS.slug} characters`);
};

export const countryCode: Check<string> = (value) => {
  const upper = value.toUpperCase();
  return COUNTRY_CODES.has(upper)
    ? upper
    : new Broken('countryCode', 'must be an ISO 3166-1 alpha-2 country code such as DE or US');
};

const CURRENCY = /^[A-Za-z]{3}$/;
/** An ISO 4217 code, upper-cased. */
export const currencyCode: Check<string> = (value) => {
  const upper = value.toUpperCase();
  return CURRENCY.test(value) && CURRENCY_CODES.has(upper)
    ? upper
    : new Broken('currencyCode', 'must be an ISO 4217 currency code such as USD or EUR');
};

/** An ISO 4217 code that has an exchange rate (USD always has one). */
export const knownCurrency =
  (known: ReadonlySet<string>): Check<string> =>
  (value) => {
    const code = currencyCode(value);
    if (code instanceof Broken) return code;
    return code === 'USD' || known.has(code)
      ? code
      : new Broken(
          'knownCurrency',
          `has no exchange rate: import a rate for ${code} first (npm run import -- rates FILE)`,
        );
  };

const BOOLEANS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, '1': true, '0': false };
export const boolean: Check<boolean> = (value) => {
  const b = BOOLEANS[value.toLowerCase()];
  return b === undefined ? new Broken('boolean', 'must be true, false, yes, no, 1 or 0') : b;
};

const DECIMAL = /^\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
export const positiveNumber: Check<number> = (value) => {
  if (!DECIMAL.test(value))
    return new Broken('positiveNumber', 'must be a positive number such as 85000 or 42.5 (no thousands separators)');
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) return new Broken('positiveNumber', 'must be a positive number within range');
  return n;
};

/** A salary amount: a positive number no larger than MAX_RAW_SALARY (rule salaryImplausible above it). */
export const salaryAmount: Check<number> = (value) => {
  const n = positiveNumber(value);
  if (typeof n === 'number' && n > MAX_RAW_SALARY) {
    return new Broken(
      'salaryImplausible',
      `must be at most ${MAX_RAW_SALARY} before conversion: no salary in any currency and period is that large`,
    );
  }
  return n;
};

export const salaryPeriod: Check<SalaryPeriod> = (value) => {
  const upper = value.toUpperCase();
  return (SALARY_PERIODS as readonly string[]).includes(upper)
    ? (upper as SalaryPeriod)
    : new Broken('period', 'must be HOUR, DAY, WEEK, MONTH or YEAR');
};

export const seniority: Check<Seniority> = (value) => {
  const upper = value.toUpperCase();
  return (SENIORITIES as readonly string[]).includes(upper)
    ? (upper as Seniority)
    : new Broken('seniority', 'must be JUNIOR, MID, SENIOR or LEAD');
};

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1-12) of `year` (Gregorian calendar, as Date uses). */
function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] as number;
}

/**
 * ISO 8601 calendar date (midnight UTC) or date-time; a date-time without an offset is UTC.
 * Fractions of a second beyond milliseconds are cut (the database keeps milliseconds).
 */
export const isoDateTime: Check<Date> = (value) => {
  const m = ISO_DATE_TIME.exec(value);
  const bad = new Broken('isoDate', 'must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T09:30:00Z)');
  if (!m) return bad;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return bad;
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return bad;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return bad;
    offsetMinutes = sign * (oh * 60 + om);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
};

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** An ISO 8601 calendar date, kept as YYYY-MM-DD. */
export const isoDate: Check<string> = (value) => {
  const m = ISO_DATE.exec(value);
  const bad = new Broken('isoDate', 'must be an ISO 8601 date such as 2026-01-01');
  if (!m) return bad;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return bad;
  return value;
};

type RowShape = Record<string, FieldSchema<unknown>>;
type RowOutput<S extends RowShape> = { [K in keyof S]: z.output<S[K]> };

/**
 * A row object schema: every field of `shape` is read, absent keys counting as empty, so that the
 * per-field rules (required / default) decide; keys outside `shape` are ignored.
 */
export function rowObject<S extends RowShape>(shape: S) {
  const keys = Object.keys(shape);
  return z.preprocess((raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
    const source = raw as Record<string, unknown>;
    const full: Record<string, unknown> = {};
    for (const key of keys) full[key] = source[key] ?? null;
    return full;
  }, z.object(shape));
}

/**
 * The fast path of `rowObject(shape)`: the same field functions (see FieldSchema) run directly,
 * giving the same object (same keys, same order, same values) as the schema when every field
 * passes; undefined as soon as one breaks, for the caller to run the schema, which reports
 * every issue of the row.
 */
export function fastRow<S extends RowShape>(shape: S): (raw: Record<string, unknown>) => RowOutput<S> | undefined {
  const entries = Object.entries(shape).map(([key, schema]) => [key, schema.parseField] as const);
  return (raw) => {
    const out: Record<string, unknown> = {};
    for (const [key, parseField] of entries) {
      const value = parseField(raw[key] ?? null);
      if (value instanceof Broken) return undefined;
      out[key] = value;
    }
    return out as RowOutput<S>;
  };
}

/** Adds a cross-field issue (reported on `field` with that field's raw value). */
export function crossFieldIssue(
  ctx: z.core.$RefinementCtx,
  field: string,
  raw: unknown,
  rule: string,
  message: string,
): void {
  ctx.addIssue({ code: 'custom', path: [field], message, input: raw, params: { rule } });
}

/** The first path element of an issue, or `(record)` for an issue about the whole row. */
function issueField(path: readonly PropertyKey[]): string {
  const first = path[0];
  return first === undefined ? '(record)' : String(first);
}

/** Runs a row schema and turns zod issues into FieldErrors (field, raw value, rule, message). */
export function runRowSchema<T>(schema: z.ZodType<T>, raw: Record<string, unknown>): RowValidation<T> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const errors: FieldError[] = result.error.issues.map((zi) => {
    const field = issueField(zi.path);
    const params = zi.code === 'custom' ? (zi.params as { rule?: string } | undefined) : undefined;
    return {
      field,
      value: rawText(field === '(record)' ? undefined : raw[field]),
      rule: params?.rule ?? zi.code,
      message: zi.message,
    };
  });
  return { ok: false, errors };
}
