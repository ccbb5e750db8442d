import fs from 'node:fs';
import path from 'node:path';
import { degreeRequiredOf, educationFromText, educationOf } from '../../../src/domain/education.ts';

interface LabelledAd {
  label: string;
  level: string | null;
  text: string;
}

// degree-ads-holdout.jsonl was written after the rules, as a check on ads they were not built on.
const ADS: LabelledAd[] = ['degree-ads.jsonl', 'degree-ads-holdout.jsonl'].flatMap((name) =>
  fs
    .readFileSync(path.join(__dirname, '../../fixtures/raw', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LabelledAd),
);

describe('degree requirement from the description', () => {
  test('the labelled set holds at least 100 ads and every label', () => {
    expect(ADS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(ADS.map((a) => a.label))).toEqual(new Set(['REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED']));
  });

  test('at least 90% of the labelled ads get the right REQUIRED-or-not answer and 80% the right label', () => {
    const results = ADS.map((ad) => ({ ad, got: educationFromText(ad.text) }));
    const binary = results.filter(({ ad, got }) => (got.requirement === 'REQUIRED') === (ad.label === 'REQUIRED')).length / ADS.length;
    const exact = results.filter(({ ad, got }) => got.requirement === ad.label).length / ADS.length;
    const level = results.filter(({ ad, got }) => got.level === ad.level).length / ADS.length;
    const wrong = results.filter(({ ad, got }) => got.requirement !== ad.label).map(({ ad, got }) => `${ad.label} -> ${got.requirement}: ${ad.text.slice(0, 80)}`);
    process.stdout.write(`degree labels on ${ADS.length} ads: REQUIRED-or-not ${(100 * binary).toFixed(1)}%, exact ${(100 * exact).toFixed(1)}%, level ${(100 * level).toFixed(1)}%\n${wrong.join('\n')}\n`);
    expect(binary).toBeGreaterThanOrEqual(0.9);
    expect(exact).toBeGreaterThanOrEqual(0.8);
  });

  test.each([
    ['Bachelor’s degree in Computer Science required.', 'REQUIRED', 'BACHELOR'],
    ['BS in Computer Science or equivalent experience.', 'REQUIRED_OR_EQUIVALENT', 'BACHELOR'],
    ["Master's preferred.", 'PREFERRED', 'MASTER'],
    ['BS/MS/PhD in Physics.', 'REQUIRED', 'BACHELOR'],
    ['BS required, MS preferred.', 'REQUIRED', 'BACHELOR'],
    ['No degree required.', 'NOT_MENTIONED', null],
    ['A degree is not necessary for this role.', 'NOT_MENTIONED', null],
    ['You will run 360-degree reviews.', 'NOT_MENTIONED', null],
    ['The role comes with a degree of autonomy.', 'NOT_MENTIONED', null],
    ['We pay for employees who want to earn a degree. Experience with Excel required.', 'NOT_MENTIONED', null],
    ['AWS Certified Solutions Architect certification required.', 'NOT_MENTIONED', null],
    ['Associate degree in Nursing required.', 'REQUIRED', 'ASSOCIATE'],
    ['PhD in Chemistry required.', 'REQUIRED', 'DOCTORATE'],
    ['A degree in a STEM field.', 'REQUIRED', 'ANY'],
  ])('%s is %s at %s', (text, requirement, level) => {
    const got = educationFromText(text);
    expect([got.requirement, got.level, got.origin]).toEqual([requirement, level, 'TEXT']);
    if (requirement !== 'NOT_MENTIONED') expect(got.evidence).toBe(text);
  });

  test('the evidence is the sentence that decided it', () => {
    const got = educationFromText('We build robots.\nRequirements:\n- 3 years of C++\n- Bachelor’s degree in Mechanical Engineering\n- Fluent English');
    expect(got).toEqual({ requirement: 'REQUIRED', level: 'BACHELOR', evidence: 'Bachelor’s degree in Mechanical Engineering', origin: 'TEXT' });
  });

  test('a stated degreeRequired wins over the description and keeps meaning REQUIRED / NOT_MENTIONED; no text and nothing stated is UNKNOWN', () => {
    const text = 'Bachelor’s degree preferred.';
    expect(educationOf({ degreeRequired: true, educationRequirements: null, description: text })).toMatchObject({ requirement: 'REQUIRED', origin: 'STATED' });
    expect(educationOf({ degreeRequired: false, educationRequirements: null, description: text })).toMatchObject({ requirement: 'NOT_MENTIONED', origin: 'STATED' });
    expect(educationOf({ degreeRequired: null, educationRequirements: 'bachelor degree', description: 'No degree required.' })).toMatchObject({
      requirement: 'REQUIRED',
      level: 'BACHELOR',
      origin: 'STATED',
    });
    expect(educationOf({ degreeRequired: null, educationRequirements: null, description: null })).toEqual({ requirement: 'UNKNOWN', level: null, evidence: null, origin: null });
  });

  test('the stored boolean follows the figures rule: REQUIRED true, UNKNOWN null, the other labels false', () => {
    expect(['REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED', 'UNKNOWN'].map((r) => degreeRequiredOf(r as never))).toEqual([true, false, false, false, null]);
  });
});
