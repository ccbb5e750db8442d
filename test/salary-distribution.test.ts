import type { RunningServer } from '../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { mean, percentile } from './support/independent-stats.ts';
import { gql, startTestServer } from './support/server.ts';

// Salary reports in USD a year per role, so that each figure can be checked by hand.
const SAMPLES: Record<string, number[]> = {
  odd: [52000, 61000, 70500, 88000, 99000, 120000, 75000],
  even: [40000, 90000, 60000, 50000, 80000, 70000],
  ties: [100000, 100000, 100000, 200000, 200000],
  single: [50000],
  none: [],
  outliers: [60000, 61000, 62000, 63000, 64000, 65000, 66000, 67000, 68000, 69000, 70000, 900000],
  flat: [70000, 70000, 70000, 70000, 1000000],
};

// Student's t 0.975 quantiles from a printed table, by degrees of freedom.
const T975: Record<number, number> = { 1: 12.706205, 4: 2.776445, 5: 2.570582, 6: 2.446912, 11: 2.200985 };

function sampleStddev(values: number[]): number {
  const m = mean(values) as number;
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

const STATS = `query($slug: String!, $currency: String = "USD", $min: Int = 1, $outliers: Boolean = false, $buckets: Int = 10, $width: Float) {
  role(slug: $slug) { stats { salary(currency: $currency, minSampleSize: $min, excludeOutliers: $outliers) {
    currency count sampleSize confidence suppressed outliersExcluded mean median min max p10 p25 p75 p90 stddev standardError
    meanConfidenceInterval { level lower upper }
    histogram(buckets: $buckets, bucketWidth: $width) { lowerBound upperBound count } } } } }`;

interface Salary {
  currency: string;
  count: number;
  sampleSize: number;
  confidence: string;
  suppressed: boolean;
  outliersExcluded: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p25: number | null;
  p75: number | null;
  p90: number | null;
  stddev: number | null;
  standardError: number | null;
  meanConfidenceInterval: { level: number; lower: number; upper: number } | null;
  histogram: { lowerBound: number; upperBound: number; count: number }[];
}

describe('salary distribution', () => {
  let db: TestDatabase;
  let server: RunningServer;

  async function salary(slug: string, variables: Record<string, unknown> = {}) {
    const res = await gql<{ role: { stats: { salary: Salary } } | null }>(server.url, STATS, { slug, ...variables });
    return { salary: res.data?.role?.stats.salary, errors: res.errors };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await importRows(db, 'rates', [
      { currency: 'EUR', usdPerUnit: 1.25, asOf: '2020-01-01' },
      { currency: 'EUR', usdPerUnit: 1.1, asOf: '2026-01-01' },
    ]);
    const rows = Object.entries(SAMPLES).flatMap(([slug, values]) =>
      values.map((amount, i) => ({
        externalId: `${slug}-${i}`,
        source: 'survey',
        role: slug,
        amount,
        currency: 'USD',
        period: 'YEAR',
        observedAt: '2026-02-01',
      })),
    );
    await importRows(db, 'observations', rows);
    await db.pool.query(`INSERT INTO role (slug, title) VALUES ('none', 'None')`);
    server = await startTestServer(db);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it.each(['odd', 'even', 'ties', 'outliers'])(
    '%s sample: mean, percentiles, stddev, standard error and 95%% interval match an independent computation',
    async (slug) => {
      const values = SAMPLES[slug] as number[];
      const { salary: s } = await salary(slug);
      const sd = sampleStddev(values);
      const se = sd / Math.sqrt(values.length);
      expect(s?.count).toBe(values.length);
      expect(s?.sampleSize).toBe(values.length);
      expect(s?.mean).toBeCloseTo(mean(values) as number, 6);
      for (const [field, p] of [
        ['p10', 0.1],
        ['p25', 0.25],
        ['median', 0.5],
        ['p75', 0.75],
        ['p90', 0.9],
      ] as const) {
        expect(s?.[field]).toBeCloseTo(percentile(values, p) as number, 6);
      }
      expect(s?.min).toBe(Math.min(...values));
      expect(s?.max).toBe(Math.max(...values));
      expect(s?.stddev).toBeCloseTo(sd, 6);
      expect(s?.standardError).toBeCloseTo(se, 6);
      const t = T975[values.length - 1];
      if (t !== undefined) {
        expect(s?.meanConfidenceInterval?.level).toBe(0.95);
        expect(s?.meanConfidenceInterval?.lower).toBeCloseTo((mean(values) as number) - t * se, -1);
        expect(s?.meanConfidenceInterval?.upper).toBeCloseTo((mean(values) as number) + t * se, -1);
      }
    },
  );

  it('the median of an even count interpolates the two middle values', async () => {
    const { salary: s } = await salary('even');
    expect(s?.median).toBe(65000);
  });

  it('a single observation has every central figure equal to it and no spread', async () => {
    const { salary: s } = await salary('single');
    expect(s).toMatchObject({
      count: 1,
      mean: 50000,
      median: 50000,
      min: 50000,
      max: 50000,
      p10: 50000,
      p90: 50000,
      stddev: null,
      standardError: null,
      meanConfidenceInterval: null,
      confidence: 'INSUFFICIENT',
    });
    expect(s?.histogram).toEqual([{ lowerBound: 50000, upperBound: 50000, count: 1 }]);
  });

  it('no observation gives nulls, an empty histogram and INSUFFICIENT confidence', async () => {
    const { salary: s } = await salary('none');
    expect(s).toMatchObject({
      count: 0,
      mean: null,
      median: null,
      min: null,
      max: null,
      p25: null,
      stddev: null,
      confidence: 'INSUFFICIENT',
      histogram: [],
    });
  });

  it('labels confidence by sample size: INSUFFICIENT under 5, LOW 5-14', async () => {
    expect((await salary('single')).salary?.confidence).toBe('INSUFFICIENT');
    expect((await salary('ties')).salary?.confidence).toBe('LOW');
    expect((await salary('outliers')).salary?.confidence).toBe('LOW');
  });

  it('minSampleSize suppresses every figure below it', async () => {
    const { salary: s } = await salary('odd', { min: 8 });
    expect(s).toMatchObject({
      suppressed: true,
      count: 7,
      mean: null,
      median: null,
      p90: null,
      stddev: null,
      histogram: [],
    });
    expect((await salary('odd', { min: 7 })).salary?.suppressed).toBe(false);
  });

  it('excludeOutliers drops observations whose modified z-score exceeds 3.5 and says how many', async () => {
    const values = SAMPLES.outliers as number[];
    const med = percentile(values, 0.5) as number;
    const mad = percentile(
      values.map((v) => Math.abs(v - med)),
      0.5,
    ) as number;
    const kept = values.filter((v) => (0.6745 * Math.abs(v - med)) / mad <= 3.5);
    const { salary: s } = await salary('outliers', { outliers: true });
    expect(s?.outliersExcluded).toBe(values.length - kept.length);
    expect(s?.outliersExcluded).toBe(1);
    expect(s?.count).toBe(kept.length);
    expect(s?.mean).toBeCloseTo(mean(kept) as number, 6);
    expect(s?.max).toBe(70000);
  });

  it('excludeOutliers falls back to the mean absolute deviation when the MAD is zero', async () => {
    const values = SAMPLES.flat as number[];
    const med = percentile(values, 0.5) as number;
    const meanAd = mean(values.map((v) => Math.abs(v - med))) as number;
    const kept = values.filter((v) => Math.abs(v - med) / (1.253314 * meanAd) <= 3.5);
    const { salary: s } = await salary('flat', { outliers: true });
    expect(s?.count).toBe(kept.length);
    expect(s?.outliersExcluded).toBe(values.length - kept.length);
  });

  it('an equal-width histogram covers min..max with the requested number of buckets', async () => {
    const values = SAMPLES.odd as number[];
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const width = (hi - lo) / 4;
    const expected = [0, 1, 2, 3].map((i) => ({
      lowerBound: lo + i * width,
      upperBound: i === 3 ? hi : lo + (i + 1) * width,
      count: values.filter((v) => Math.min(Math.floor((v - lo) / width), 3) === i).length,
    }));
    const { salary: s } = await salary('odd', { buckets: 4 });
    expect(s?.histogram).toHaveLength(4);
    s?.histogram.forEach((b, i) => {
      expect(b.lowerBound).toBeCloseTo(expected[i]?.lowerBound as number, 6);
      expect(b.upperBound).toBeCloseTo(expected[i]?.upperBound as number, 6);
      expect(b.count).toBe(expected[i]?.count);
    });
    expect(s?.histogram.reduce((n, b) => n + b.count, 0)).toBe(values.length);
  });

  it('a bucketWidth histogram aligns buckets on multiples of the width', async () => {
    const values = SAMPLES.odd as number[];
    const { salary: s } = await salary('odd', { width: 25000 });
    const first = Math.floor(Math.min(...values) / 25000) * 25000;
    const last = Math.floor(Math.max(...values) / 25000) * 25000;
    expect(s?.histogram.map((b) => b.lowerBound)).toEqual(
      Array.from({ length: (last - first) / 25000 + 1 }, (_, i) => first + i * 25000),
    );
    for (const b of s?.histogram ?? []) {
      expect(b.count).toBe(values.filter((v) => v >= b.lowerBound && v < b.upperBound).length);
    }
  });

  it('converts every figure with the rates table when asked for another currency', async () => {
    const values = SAMPLES.odd as number[];
    const { salary: s } = await salary('odd', { currency: 'eur' });
    // The latest EUR rate as of now is 1.1 USD per EUR.
    expect(s?.currency).toBe('EUR');
    expect(s?.mean).toBeCloseTo((mean(values) as number) / 1.1, 6);
    expect(s?.median).toBeCloseTo((percentile(values, 0.5) as number) / 1.1, 6);
    expect(s?.max).toBeCloseTo(Math.max(...values) / 1.1, 6);
  });

  it('an unknown currency is a BAD_USER_INPUT error naming it', async () => {
    const { errors } = await salary('odd', { currency: 'JPY' });
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toContain('JPY');
    const malformed = await salary('odd', { currency: 'dollars' });
    expect(malformed.errors?.[0]?.message).toContain('"currency"');
  });

  it.each([
    [{ buckets: 0 }, '"buckets"'],
    [{ buckets: 101 }, '"buckets"'],
    [{ width: -5 }, '"bucketWidth"'],
    [{ width: 0.01 }, 'at most 1000'],
    [{ min: 0 }, '"minSampleSize"'],
  ])('rejects %p with BAD_USER_INPUT', async (variables, text) => {
    const { errors } = await salary('odd', variables);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toContain(text);
  });
});
