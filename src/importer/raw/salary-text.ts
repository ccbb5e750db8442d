import { CURRENCY_CODES } from '../../domain/currency-codes.ts';

/**
 * Salary text as job boards print it ("$53K-$91K (Glassdoor est.)", "£45,000 - £55,000 a year",
 * "€60k", "$17-$24 Per Hour") read into a range, a currency and a period. Pure: no database, no
 * I/O. The rules (docs/import-format.md, "Salary from text"):
 *
 * - currency: the first currency marker: a symbol with its prefix (US$, C$, CA$, A$, AU$, NZ$,
 *   HK$, S$, R$, CN¥, $, £, €, ¥, ₹, ₩, ₽, ₺, ₱, ₦, zł, Rs) or an ISO 4217 code as a word (CHF,
 *   RMB = CNY). `$` alone is USD; `¥` alone is JPY (CN¥, RMB and CNY are yuan). Text naming
 *   two different currencies is `ambiguousCurrency`; text naming none takes the row's own
 *   salaryCurrency, else is `noCurrency`.
 * - amounts: digits with thousands separators in either convention (`45,000.50`, `45.000,50`,
 *   `45 000`, `120'000`, and the Indian `8,00,000`): a `,` or `.` followed by exactly three digits is a thousands separator,
 *   followed by one or two digits a decimal mark; a multiplier right after the number:
 *   `k`/`K` thousands, `m`/`M`/`mn`/`mio` millions, `lakh`/`lac`/`LPA` 100,000, `crore`/`cr` 10^7
 *   (`m` followed by a letter, as in `/mo`, is no multiplier). Numbers followed by `%`, and
 *   numbers of hours ("40 hours"), are not amounts.
 * - range: the first amount (the first one next to a currency marker, if any) and, when only
 *   `-`, `–`, `—`, `to`, `bis`, `à`, `a` or `and` (and a currency marker) stand between them, the
 *   next: min and max. A multiplier written only on the upper bound applies to a lower bound
 *   below 1,000 ("$100-120k"). "up to X" gives only a max, "from X", "starting at X", "X+" only a
 *   min; a single amount is both.
 * - period: the first period phrase: HOUR (per hour, an hour, /hr, /h, hourly, ph), DAY (per day,
 *   a day, /day, daily, per diem), WEEK (per week, a week, /wk, weekly), MONTH (per month, a
 *   month, /mo, /month, monthly, pcm, pro Monat, monatlich, par mois, al mes), YEAR (per year,
 *   a year, /yr, annually, annual, yearly, p.a., pa, per annum, pro Jahr, jährlich, LPA);
 *   default YEAR. Without a stated period, an amount below 1,000 is `noPeriod` rather than a
 *   yearly salary of a few dollars (it is almost always an hourly rate whose unit was cut off).
 * - estimate markers: "est.", "estimate", "estimated" (Glassdoor est., Employer est.) set
 *   `estimated`.
 * - the lower bound must not exceed the upper one (`reversedRange`).
 */

export type SalaryTextPeriod = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'YEAR';

export interface ParsedSalary {
  min: number | null;
  max: number | null;
  currency: string;
  period: SalaryTextPeriod;
  estimated: boolean;
}

/** Why a text gave no salary; counted per reason in the import summary. */
export type SalaryTextProblem = 'noAmount' | 'noCurrency' | 'ambiguousCurrency' | 'noPeriod' | 'reversedRange';

export type SalaryTextResult = { ok: true; salary: ParsedSalary } | { ok: false; reason: SalaryTextProblem };

// Longest spellings first, so that "US$" is not read as "$" and "CN¥" not as "¥".
const SYMBOLS: [string, string][] = [
  ['us$', 'USD'],
  ['usd$', 'USD'],
  ['ca$', 'CAD'],
  ['cad$', 'CAD'],
  ['c$', 'CAD'],
  ['au$', 'AUD'],
  ['a$', 'AUD'],
  ['nz$', 'NZD'],
  ['hk$', 'HKD'],
  ['s$', 'SGD'],
  ['r$', 'BRL'],
  ['mx$', 'MXN'],
  ['cn¥', 'CNY'],
  ['元', 'CNY'],
  ['円', 'JPY'],
  ['$', 'USD'],
  ['£', 'GBP'],
  ['€', 'EUR'],
  ['¥', 'YEN'],
  ['₹', 'INR'],
  ['₩', 'KRW'],
  ['₽', 'RUB'],
  ['₺', 'TRY'],
  ['₱', 'PHP'],
  ['₦', 'NGN'],
  ['₪', 'ILS'],
  ['zł', 'PLN'],
];
const WORD_CURRENCIES: Record<string, string> = {
  rmb: 'CNY',
  rs: 'INR',
  'rs.': 'INR',
  inr: 'INR',
  sfr: 'CHF',
  'fr.': 'CHF',
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SYMBOL_PATTERN = SYMBOLS.map(([s]) => escapeRegExp(s)).join('|');
/** A currency marker: a symbol (any case for its letters), or a three-letter code / word on word boundaries. */
const CURRENCY_RE = new RegExp(`(${SYMBOL_PATTERN})|(?<![a-zà-ÿ])(rs\\.?|rmb|sfr|fr\\.|[a-z]{3})(?![a-zà-ÿ])`, 'gi');

const NUMBER_RE =
  /(?<![\d.,])(\d{1,2}(?:,\d{2})+,\d{3}|\d{1,3}(?:(?:,\d{3})+|(?:\.\d{3})+|(?:[ \u00a0\u202f']\d{3})+)|\d+)(?:([.,])(\d{1,2}))?(?!\d)(?:\s*(k|mn|mio|m|lakhs?|lacs?|lpa|crores?|cr)(?![a-zà-ÿ]))?/gi;

const MULTIPLIERS: Record<string, number> = {
  k: 1e3,
  m: 1e6,
  mn: 1e6,
  mio: 1e6,
  lakh: 1e5,
  lakhs: 1e5,
  lac: 1e5,
  lacs: 1e5,
  lpa: 1e5,
  crore: 1e7,
  crores: 1e7,
  cr: 1e7,
};

/** `per hour`, `an hour`, `/hr`: a word (per, a, an, each) with a space, or a slash, before one of `units`. */
const per = (units: string): string =>
  `(?:(?<![a-zà-ÿ])(?:per|an|a|each)\\s+(?:${units})|\\/\\s*(?:${units}))(?![a-zà-ÿ])`;
const PERIODS: [SalaryTextPeriod, RegExp][] = [
  [
    'HOUR',
    new RegExp(
      `${per('hour|hr|h')}|(?<=[\\dk]\\s?)(?:hr|hour)s?\\b|\\bhourly\\b|\\bph\\b|\\bp\\/h\\b|pro stunde|\\bstundenlohn|par heure|por hora`,
      'i',
    ),
  ],
  ['DAY', new RegExp(`${per('day|d')}|\\bdaily\\b|\\bper diem\\b|pro tag\\b|par jour|por d[ií]a`, 'i')],
  ['WEEK', new RegExp(`${per('week|wk|w')}|\\bweekly\\b|pro woche|par semaine|por semana`, 'i')],
  [
    'MONTH',
    new RegExp(
      `${per('month|mo|mth|mon')}|\\bmonthly\\b|\\bpcm\\b|pro monat|\\bmonatlich|par mois|\\bmensuel|al mes\\b|por mes\\b|\\bmensual`,
      'i',
    ),
  ],
  [
    'YEAR',
    new RegExp(
      `${per('year|yr|annum|y')}|\\bannual(?:ly)?\\b|\\byearly\\b|\\bp\\.\\s?a\\b\\.?|\\bpa\\b|pro jahr|\\bj[äa]hrlich|par an\\b|\\bannuel|al a[ñn]o|por a[ñn]o|\\blpa\\b`,
      'i',
    ),
  ],
];

const ESTIMATE_RE = /\b(?:est\.?|estimated?|estimates)(?![a-zà-ÿ])/i;
const UP_TO_RE = /(?:up to|upto|max(?:imum)?\.?|bis zu|jusqu'?à|hasta)\s*$/i;
const FROM_RE = /(?:from|starting(?: at| from)?|min(?:imum)?\.?|at least|ab|à partir de|desde)\s*$/i;
const RANGE_GAP_RE = new RegExp(
  `^\\s*(?:${SYMBOL_PATTERN}|[a-z]{3})?\\s*(?:\\/\\s*[a-zà-ÿ]+\\.?|(?:per|an?|each)\\s+[a-zà-ÿ]+)?\\s*(?:-|–|—|~|to|bis|à|a|and)\\s*(?:${SYMBOL_PATTERN}|[a-z]{3})?\\s*$`,
  'i',
);
const HOURS_AFTER_RE = /^\s*(?:\+\s*)?(?:hours|stunden|h\/week|days|weeks|years|yrs|months|percent)\b|^\s*%/i;

interface Amount {
  value: number;
  multiplier: string | null;
  start: number;
  end: number;
}

function readNumber(whole: string, sep: string | undefined, decimals: string | undefined): number {
  const digits = whole.replace(/[^\d]/g, '');
  return Number(decimals !== undefined && sep !== undefined ? `${digits}.${decimals}` : digits);
}

function currencies(text: string): { code: string; start: number; end: number }[] {
  const found: { code: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(CURRENCY_RE)) {
    const start = m.index;
    if (m[1] !== undefined) {
      const symbol = m[1].toLowerCase();
      const entry = SYMBOLS.find(([s]) => s === symbol);
      if (entry) found.push({ code: entry[1], start, end: start + m[0].length });
      continue;
    }
    const word = (m[2] as string).toLowerCase();
    const mapped = WORD_CURRENCIES[word];
    // Only upper-case three-letter words are codes: "per", "and", "est" must not be read as currencies.
    if (mapped) found.push({ code: mapped, start, end: start + m[0].length });
    else if (/^[A-Z]{3}$/.test(m[2] as string) && CURRENCY_CODES.has(m[2] as string))
      found.push({ code: m[2] as string, start, end: start + m[0].length });
  }
  return found;
}

/** Reads a salary text; `fallbackCurrency` is the row's stated salaryCurrency, used when the text names none. */
export function parseSalaryText(input: string, fallbackCurrency: string | null = null): SalaryTextResult {
  const text = input.normalize('NFKC').replace(/[\u00a0\u202f]/g, ' ');
  const estimated = ESTIMATE_RE.test(text);
  // A bare ¥ is JPY unless the text also says RMB, CNY or CN¥.
  const found = currencies(text);
  const yuan = found.some((m) => m.code === 'CNY');
  const marks = found.map((m) => (m.code === 'YEN' ? { ...m, code: yuan ? 'CNY' : 'JPY' } : m));
  const codes = new Set(marks.map((m) => m.code));
  if (codes.size > 1) return { ok: false, reason: 'ambiguousCurrency' };

  const amounts: Amount[] = [];
  for (const m of text.matchAll(NUMBER_RE)) {
    const end = m.index + m[0].length;
    if (HOURS_AFTER_RE.test(text.slice(end))) continue;
    const multiplier = m[4] ? m[4].toLowerCase() : null;
    amounts.push({
      value: readNumber(m[1] as string, m[2], m[3]),
      multiplier,
      start: m.index,
      end: m.index + m[0].trimEnd().length,
    });
  }
  if (amounts.length === 0 || amounts.every((a) => a.value === 0)) return { ok: false, reason: 'noAmount' };

  const near = (a: Amount): boolean =>
    marks.some((c) => Math.abs(c.end - a.start) <= 2 || Math.abs(a.end - c.start) <= 2);
  let i = amounts.findIndex(near);
  if (i < 0) i = 0;
  // "50.000 - 65.000 €": the marker follows the upper bound, so the range starts one amount earlier.
  const previous = amounts[i - 1];
  if (previous && RANGE_GAP_RE.test(text.slice(previous.end, (amounts[i] as Amount).start))) i -= 1;
  const first = amounts[i] as Amount;
  const next = amounts[i + 1];
  const scaled = (a: Amount, multiplier = a.multiplier): number =>
    a.value * (multiplier ? (MULTIPLIERS[multiplier] as number) : 1);

  let min: number | null;
  let max: number | null;
  if (next && RANGE_GAP_RE.test(text.slice(first.end, next.start))) {
    const lowMultiplier =
      first.multiplier === null && next.multiplier !== null && first.value < 1000 ? next.multiplier : first.multiplier;
    min = scaled(first, lowMultiplier);
    max = scaled(next);
  } else {
    const before = text.slice(0, first.start).replace(new RegExp(`(?:${SYMBOL_PATTERN}|[A-Z]{3})\\s*$`), '');
    const value = scaled(first);
    if (UP_TO_RE.test(before)) [min, max] = [null, value];
    else if (FROM_RE.test(before) || /^\s*\+(?!\s*[a-zà-ÿ])/i.test(text.slice(first.end))) [min, max] = [value, null];
    else [min, max] = [value, value];
  }
  if (min !== null && max !== null && min > max) return { ok: false, reason: 'reversedRange' };

  const currency = marks[0]?.code ?? fallbackCurrency;
  if (currency === null) return { ok: false, reason: 'noCurrency' };

  let period: SalaryTextPeriod | null = null;
  let at = Infinity;
  for (const [name, re] of PERIODS) {
    const m = re.exec(text);
    if (m && m.index < at) [period, at] = [name, m.index];
  }
  if (period === null) {
    if (Math.max(min ?? 0, max ?? 0) < 1000) return { ok: false, reason: 'noPeriod' };
    period = 'YEAR';
  }
  return { ok: true, salary: { min, max, currency, period, estimated } };
}
