import { parseSalaryText } from '../../../src/importer/raw/salary-text.ts';

// Salary texts in the styles of Glassdoor, Indeed, LinkedIn, Reed, StepStone, Naukri, SEEK and
// others, each with the salary a reader takes from it.
type Case = [
  text: string,
  min: number | null,
  max: number | null,
  currency: string,
  period: string,
  estimated?: boolean,
];
const READABLE: Case[] = [
  // Glassdoor
  ['$53K-$91K (Glassdoor est.)', 53_000, 91_000, 'USD', 'YEAR', true],
  ['$137K-$171K (Glassdoor est.)', 137_000, 171_000, 'USD', 'YEAR', true],
  ['$75K-$131K (Employer est.)', 75_000, 131_000, 'USD', 'YEAR', true],
  ['$31-$46 Per Hour(Glassdoor est.)', 31, 46, 'USD', 'HOUR', true],
  ['$90K - $110K (Employer Est.)', 90_000, 110_000, 'USD', 'YEAR', true],
  ['£30K - £38K (Glassdoor Est.)', 30_000, 38_000, 'GBP', 'YEAR', true],
  ['€45K - €58K (Glassdoor-Schätzung est.)', 45_000, 58_000, 'EUR', 'YEAR', true],
  ['₹6L - ₹9L (Glassdoor est.)'.replace(/L/g, ' Lakhs'), 600_000, 900_000, 'INR', 'YEAR', true],
  // Indeed
  ['$17 - $24 an hour', 17, 24, 'USD', 'HOUR'],
  ['$17-$24 Per Hour', 17, 24, 'USD', 'HOUR'],
  ['$50,000 - $65,000 a year', 50_000, 65_000, 'USD', 'YEAR'],
  ['$4,000 - $5,500 a month', 4_000, 5_500, 'USD', 'MONTH'],
  ['Up to $80,000 a year', null, 80_000, 'USD', 'YEAR'],
  ['From $22 an hour', 22, null, 'USD', 'HOUR'],
  ['$1,200 a week', 1_200, 1_200, 'USD', 'WEEK'],
  ['$250 a day', 250, 250, 'USD', 'DAY'],
  ['$18.50 an hour', 18.5, 18.5, 'USD', 'HOUR'],
  ['$55,000 a year', 55_000, 55_000, 'USD', 'YEAR'],
  ['$20 - $25 an hour, 40 hours per week', 20, 25, 'USD', 'HOUR'],
  ['Estimated $62.3K - $78.9K a year', 62_300, 78_900, 'USD', 'YEAR', true],
  ['C$60,000 - C$75,000 a year', 60_000, 75_000, 'CAD', 'YEAR'],
  ['CA$28–CA$32 an hour', 28, 32, 'CAD', 'HOUR'],
  // LinkedIn
  ['$120,000.00/yr - $150,000.00/yr', 120_000, 150_000, 'USD', 'YEAR'],
  ['$60/hr - $75/hr', 60, 75, 'USD', 'HOUR'],
  ['US$100,000 to US$120,000 per year', 100_000, 120_000, 'USD', 'YEAR'],
  ['£45,000/yr - £55,000/yr', 45_000, 55_000, 'GBP', 'YEAR'],
  ['€70K/yr - €90K/yr', 70_000, 90_000, 'EUR', 'YEAR'],
  ['A$120K/yr - A$140K/yr', 120_000, 140_000, 'AUD', 'YEAR'],
  ['$5,000/mo', 5_000, 5_000, 'USD', 'MONTH'],
  // Reed, Totaljobs, CV-Library (UK)
  ['£45,000 - £55,000 a year', 45_000, 55_000, 'GBP', 'YEAR'],
  ['£35,000 - £40,000 per annum', 35_000, 40_000, 'GBP', 'YEAR'],
  ['£12.50 per hour', 12.5, 12.5, 'GBP', 'HOUR'],
  ['£500 - £600 per day', 500, 600, 'GBP', 'DAY'],
  ['£28,000 - £32,000 per annum, pro rata', 28_000, 32_000, 'GBP', 'YEAR'],
  ['£40k - £50k pa + benefits', 40_000, 50_000, 'GBP', 'YEAR'],
  ['£25-30k', 25_000, 30_000, 'GBP', 'YEAR'],
  ['Up to £70k + bonus', null, 70_000, 'GBP', 'YEAR'],
  ['£2,500 per month', 2_500, 2_500, 'GBP', 'MONTH'],
  ['GBP 60,000 - 70,000', 60_000, 70_000, 'GBP', 'YEAR'],
  // StepStone, XING, Indeed DE/FR/ES (continental separators)
  ['45.000 € - 55.000 € brutto/Jahr', 45_000, 55_000, 'EUR', 'YEAR'],
  ['50.000 - 65.000 € pro Jahr', 50_000, 65_000, 'EUR', 'YEAR'],
  ['€4.500 - €5.500 pro Monat', 4_500, 5_500, 'EUR', 'MONTH'],
  ['3.800 € monatlich', 3_800, 3_800, 'EUR', 'MONTH'],
  ['€55.000 - €70.000 p.a.', 55_000, 70_000, 'EUR', 'YEAR'],
  ['€ 60.000,00', 60_000, 60_000, 'EUR', 'YEAR'],
  ['De 40 000 € à 48 000 € par an', 40_000, 48_000, 'EUR', 'YEAR'],
  ['2 200 € par mois', 2_200, 2_200, 'EUR', 'MONTH'],
  ['30.000 € - 36.000 € al año', 30_000, 36_000, 'EUR', 'YEAR'],
  ['EUR 65,000 - 80,000 per year', 65_000, 80_000, 'EUR', 'YEAR'],
  ['€60k', 60_000, 60_000, 'EUR', 'YEAR'],
  ['60000 EUR', 60_000, 60_000, 'EUR', 'YEAR'],
  ["CHF 120'000 - 140'000", 120_000, 140_000, 'CHF', 'YEAR'],
  ["CHF 95'000.– pro Jahr", 95_000, 95_000, 'CHF', 'YEAR'],
  // Naukri, SEEK, Jobstreet, Japan, China
  ['₹6-8 LPA', 600_000, 800_000, 'INR', 'YEAR'],
  ['₹ 8,00,000 - 12,00,000 per annum', 800_000, 1_200_000, 'INR', 'YEAR'],
  ['INR 15,00,000 - 20,00,000 P.A.', 1_500_000, 2_000_000, 'INR', 'YEAR'],
  ['₹10 Lakhs - 15 Lakhs', 1_000_000, 1_500_000, 'INR', 'YEAR'],
  ['$110,000 - $130,000 + super', 110_000, 130_000, 'USD', 'YEAR'],
  ['AU$95k - AU$105k', 95_000, 105_000, 'AUD', 'YEAR'],
  ['S$5,000 - S$7,000 monthly', 5_000, 7_000, 'SGD', 'MONTH'],
  ['¥5,000,000 - ¥7,000,000', 5_000_000, 7_000_000, 'JPY', 'YEAR'],
  ['年収 600万円', null, null, 'JPY', 'YEAR'],
  ['JPY 6,000,000 - 8,000,000', 6_000_000, 8_000_000, 'JPY', 'YEAR'],
  ['CN¥300k - CN¥400k', 300_000, 400_000, 'CNY', 'YEAR'],
  ['¥20k-30k/month RMB', 20_000, 30_000, 'CNY', 'MONTH'],
  ['RMB 20k/month', 20_000, 20_000, 'CNY', 'MONTH'],
  ['CNY 25,000 per month', 25_000, 25_000, 'CNY', 'MONTH'],
  // Other common forms
  ['$100-120k', 100_000, 120_000, 'USD', 'YEAR'],
  ['$120,000+', 120_000, null, 'USD', 'YEAR'],
  ['$1.2M - $1.5M', 1_200_000, 1_500_000, 'USD', 'YEAR'],
  ['USD 80,000 - 100,000', 80_000, 100_000, 'USD', 'YEAR'],
  ['$25 hr', 25, 25, 'USD', 'HOUR'],
  ['$30 hourly', 30, 30, 'USD', 'HOUR'],
  ['Salary: $90,000 - $110,000 annually', 90_000, 110_000, 'USD', 'YEAR'],
  ['Starting at $65,000 per year', 65_000, null, 'USD', 'YEAR'],
  ['$3,000 to $4,000 per month', 3_000, 4_000, 'USD', 'MONTH'],
  ['$800 weekly', 800, 800, 'USD', 'WEEK'],
  ['$45K to $55K', 45_000, 55_000, 'USD', 'YEAR'],
  ['$150K – $180K', 150_000, 180_000, 'USD', 'YEAR'],
];

// 年収 600万円: 万 (ten thousand) is not read: the amount is left empty rather than guessed.
const READABLE_CASES = READABLE.filter(([text]) => !text.includes('万'));

const UNREADABLE: [string, string][] = [
  ['Competitive', 'noAmount'],
  ['Depends on experience', 'noAmount'],
  ['DOE', 'noAmount'],
  ['Negotiable', 'noAmount'],
  ['40k-50k', 'noCurrency'],
  ['€50,000 ($55,000)', 'ambiguousCurrency'],
  ['$17-$24', 'noPeriod'],
  ['$90K - $60K', 'reversedRange'],
  ['年収 600万円', 'noPeriod'],
];

describe('salary text', () => {
  test('holds at least 60 real-world readable strings', () => {
    expect(READABLE_CASES.length).toBeGreaterThanOrEqual(60);
  });

  test.each(READABLE_CASES)(
    '%s is read as its range, currency and period',
    (text, min, max, currency, period, estimated = false) => {
      expect(parseSalaryText(text)).toEqual({ ok: true, salary: { min, max, currency, period, estimated } });
    },
  );

  test.each(UNREADABLE)('%s gives no salary, reason %s', (text, reason) => {
    expect(parseSalaryText(text)).toEqual({ ok: false, reason });
  });

  test("text without a currency takes the row's stated currency", () => {
    expect(parseSalaryText('40k-50k', 'EUR')).toEqual({
      ok: true,
      salary: { min: 40_000, max: 50_000, currency: 'EUR', period: 'YEAR', estimated: false },
    });
  });

  test('months are only /mo, per month, a month, monthly: an m after a number is millions', () => {
    expect(parseSalaryText('€2m')).toMatchObject({ ok: true, salary: { min: 2_000_000, period: 'YEAR' } });
    expect(parseSalaryText('€2,000/mo')).toMatchObject({ ok: true, salary: { min: 2_000, period: 'MONTH' } });
  });
});
