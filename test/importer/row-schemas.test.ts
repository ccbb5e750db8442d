import { normalizeEmployerName } from '../../src/domain/normalize-employer.ts';
import { runRowSchema } from '../../src/domain/field-rules.ts';
import { observationSchemaFor, validateObservationRow } from '../../src/importer/observation-schema.ts';
import { postingSchemaFor, validatePostingRow } from '../../src/importer/posting-schema.ts';
import { validateRateRow } from '../../src/importer/rate-schema.ts';
import { seededRandom } from '../../scripts/seeded-random.ts';

const ctx = { knownCurrencies: new Set(['EUR']) };
const base = { externalId: 'x-1', role: 'data-engineer', company: 'Acme', postedAt: '2025-01-01' };

function rulesOf(raw: Record<string, unknown>): string[] {
  const result = validatePostingRow(raw, ctx);
  return result.ok ? [] : result.errors.map((e) => `${e.field}:${e.rule}`);
}

describe('posting row schema', () => {
  test('normalizes CSV strings: defaults, upper-cased codes, booleans, numbers and UTC dates', () => {
    const result = validatePostingRow(
      {
        ...base,
        externalId: '  x-1 ',
        country: 'de',
        remote: 'YES',
        salaryMin: '50.5',
        salaryCurrency: 'eur',
        salaryPeriod: 'hour',
        degreeRequired: '',
        seniority: 'senior',
        postedAt: '2025-01-01T10:00:00+02:00',
        closedAt: '2025-02-01',
      },
      ctx,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        externalId: 'x-1',
        source: 'manual',
        role: 'data-engineer',
        roleTitle: null,
        title: null,
        company: 'Acme',
        location: null,
        country: 'DE',
        remote: true,
        salaryMin: 50.5,
        salaryMax: null,
        salaryCurrency: 'EUR',
        salaryPeriod: 'HOUR',
        degreeRequired: null,
        seniority: 'SENIOR',
        postedAt: new Date('2025-01-01T08:00:00Z'),
        closedAt: new Date('2025-02-01T00:00:00Z'),
        salaryText: null,
        salaryEstimated: null,
        salaryTextProblem: null,
        salaryFromText: false,
        salaryOrigin: 'STATED',
        roleOrigin: 'STATED',
        description: null,
        educationRequirements: null,
        employmentType: null,
        url: null,
        educationRequirement: 'UNKNOWN',
        educationLevel: null,
        educationEvidence: null,
        educationOrigin: null,
      },
    });
  });

  test('accepts JSON values (numbers, booleans, null) as well as strings', () => {
    const result = validatePostingRow(
      { ...base, externalId: 42, salaryMax: 90000, remote: false, degreeRequired: null },
      ctx,
    );
    expect(result.ok && result.value).toMatchObject({
      externalId: '42',
      salaryMax: 90000,
      remote: false,
      degreeRequired: null,
    });
  });

  test('defaults the salary currency to USD and the period to YEAR only when a salary is stated', () => {
    const withSalary = validatePostingRow({ ...base, salaryMax: '100' }, ctx);
    const without = validatePostingRow(base, ctx);
    expect(withSalary.ok && [withSalary.value.salaryCurrency, withSalary.value.salaryPeriod]).toEqual(['USD', 'YEAR']);
    expect(without.ok && [without.value.salaryCurrency, without.value.salaryPeriod]).toEqual([null, null]);
  });

  test.each([
    ['externalId:required', { externalId: '' }],
    ['externalId:maxLength', { externalId: 'x'.repeat(201) } as Record<string, unknown>],
    ['role:slug', { role: 'Data Engineer' }],
    ['role:slug', { role: 'data--engineer' }],
    ['company:required', { company: '   ' }],
    ['country:countryCode', { country: 'XX' }],
    ['remote:boolean', { remote: 'maybe' }],
    ['salaryMin:positiveNumber', { salaryMin: '0' }],
    ['salaryMin:positiveNumber', { salaryMin: '1e400' }],
    ['salaryMin:positiveNumber', { salaryMin: '1,000' }],
    ['salaryMax:salaryRange', { salaryMin: '9', salaryMax: '8' }],
    ['salaryCurrency:currencyCode', { salaryCurrency: 'EURO' }],
    ['salaryCurrency:knownCurrency', { salaryCurrency: 'GBP' }],
    ['salaryPeriod:period', { salaryPeriod: 'FORTNIGHT' }],
    ['degreeRequired:boolean', { degreeRequired: 'perhaps' }],
    ['seniority:seniority', { seniority: 'INTERN' }],
    ['postedAt:isoDate', { postedAt: '2025-02-29' }],
    ['postedAt:isoDate', { postedAt: '01/02/2025' }],
    ['postedAt:required', { postedAt: undefined }],
    ['closedAt:closedBeforePosted', { closedAt: '2024-12-31' }],
    ['title:nulCharacter', { title: 'a\u0000b' }],
    ['title:type', { title: { nested: true } }],
  ])('a row breaking %s is rejected with exactly that field and rule', (expected, patch) => {
    expect(rulesOf({ ...base, ...patch })).toEqual([expected]);
  });

  test('reports every broken rule of a row with its raw value', () => {
    const result = validatePostingRow(
      { externalId: '', role: 'X', company: 'c', postedAt: 'soon', remote: 'maybe' },
      ctx,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((e) => [e.field, e.value, e.rule])).toEqual([
        ['externalId', '', 'required'],
        ['role', 'X', 'slug'],
        ['remote', 'maybe', 'boolean'],
        ['postedAt', 'soon', 'isoDate'],
      ]);
    }
  });
});

describe('observation and rate row schemas', () => {
  test('an observation defaults to USD per YEAR and needs a positive amount and a date', () => {
    const ok = validateObservationRow({ externalId: 'o', role: 'qa', amount: '10', observedAt: '2025-01-01' }, ctx);
    expect(ok.ok && [ok.value.currency, ok.value.period, ok.value.source]).toEqual(['USD', 'YEAR', 'manual']);
    const bad = validateObservationRow({ externalId: 'o', role: 'qa', amount: '-1', currency: 'JPY' }, ctx);
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field}:${e.rule}`)).toEqual([
      'amount:positiveNumber',
      'currency:knownCurrency',
      'observedAt:required',
    ]);
  });

  test('a rate needs an ISO 4217 code, a positive rate and a calendar date', () => {
    expect(validateRateRow({ currency: 'chf', usdPerUnit: '1.25', asOf: '2026-01-01' })).toEqual({
      ok: true,
      value: { currency: 'CHF', usdPerUnit: 1.25, asOf: '2026-01-01' },
    });
    const bad = validateRateRow({ currency: 'ABC', usdPerUnit: '0', asOf: '2026-01-01T00:00:00Z' });
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field}:${e.rule}`)).toEqual([
      'currency:currencyCode',
      'usdPerUnit:positiveNumber',
      'asOf:isoDate',
    ]);
  });
});

describe('employer name normalization', () => {
  test.each([
    ['Acme GmbH', 'acme gmbh'],
    ['  ACME\t\tGmbH ', 'acme gmbh'],
    ['Ａｃｍｅ　GmbH', 'acme gmbh'],
    ['Straße AG', 'strasse ag'],
    ['STRASSE ag', 'strasse ag'],
  ])('%j becomes %j', (name, key) => {
    expect(normalizeEmployerName(name)).toBe(key);
  });
});

describe('fast path of the row schemas', () => {
  // validatePostingRow / validateObservationRow try the schema's field functions directly and run
  // the zod schema only when a rule breaks. On valid and invalid rows alike, they must give what
  // the zod schema alone gives.
  const values: unknown[] = [
    undefined,
    null,
    '',
    ' ',
    '  x  ',
    'abc',
    'data-engineer',
    'Data-Engineer',
    'a--b',
    'x'.repeat(201),
    'y'.repeat(2001),
    '0',
    '-1',
    '1',
    '85000',
    ' 42.5 ',
    '1e400',
    '1,000',
    '.5',
    '+3',
    12,
    0,
    -5,
    1.5,
    true,
    false,
    'yes',
    'No',
    '1',
    'Y',
    'usd',
    'EUR',
    'GBP',
    'XXX',
    'de',
    'DE',
    'ZZ',
    'hour',
    'YEAR',
    'weekly',
    'senior',
    'LEAD',
    'boss',
    '2026-01-31',
    '2026-02-30',
    '2026-01-31T09:30:00Z',
    '2026-01-31 09:30',
    '2026-01-31T09:30:00.123456+02:00',
    '2025-12-31T23:59:59-0100',
    '31/01/2026',
    'a\u0000b',
    {},
    [],
    { a: 1 },
  ];
  const validPosting = {
    externalId: 'gen-1',
    source: 'board-b',
    role: 'mobile-developer',
    roleTitle: '',
    title: 'Mobile Developer',
    company: 'Tyrell 1420 SA',
    location: 'Manchester',
    country: 'GB',
    remote: 'yes',
    salaryMin: '109237.97',
    salaryMax: '129875.95',
    salaryCurrency: 'EUR',
    salaryPeriod: 'YEAR',
    degreeRequired: 'true',
    seniority: 'MID',
    postedAt: '2025-09-10T00:00:00Z',
    closedAt: '2025-10-01',
  };
  const validObservation = {
    externalId: 'o-1',
    source: 's',
    role: 'data-engineer',
    roleTitle: 'Data Engineer',
    amount: '50',
    currency: 'EUR',
    period: 'HOUR',
    observedAt: '2026-01-02',
    country: 'de',
  };

  function mutations(valid: Record<string, unknown>, seed: number): Record<string, unknown>[] {
    const random = seededRandom(seed);
    const keys = Object.keys(valid);
    const rows: Record<string, unknown>[] = [valid, {}, { ...valid, unknown: 'x' }];
    for (let i = 0; i < 4000; i++) {
      const row: Record<string, unknown> = { ...valid };
      const changes = 1 + Math.floor(random() * 3);
      for (let j = 0; j < changes; j++) {
        const key = keys[Math.floor(random() * keys.length)] as string;
        const value = values[Math.floor(random() * values.length)];
        if (value === undefined) delete row[key];
        else row[key] = value;
      }
      rows.push(row);
    }
    return rows;
  }

  test('postings: the same records and the same errors as the zod schema', () => {
    const schema = postingSchemaFor(ctx);
    let valid = 0;
    for (const raw of mutations(validPosting, 1)) {
      const result = validatePostingRow(raw, ctx);
      expect({ raw, result }).toEqual({ raw, result: runRowSchema(schema, raw) });
      if (result.ok) valid++;
    }
    // Both paths were exercised.
    expect(valid).toBeGreaterThan(100);
  });

  test('observations: the same records and the same errors as the zod schema', () => {
    const schema = observationSchemaFor(ctx);
    let valid = 0;
    for (const raw of mutations(validObservation, 2)) {
      const result = validateObservationRow(raw, ctx);
      expect({ raw, result }).toEqual({ raw, result: runRowSchema(schema, raw) });
      if (result.ok) valid++;
    }
    expect(valid).toBeGreaterThan(100);
  });
});
