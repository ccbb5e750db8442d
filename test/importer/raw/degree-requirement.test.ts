import fs from 'node:fs';
import path from 'node:path';
import { degreeRequiredOf, educationFromText, educationOf } from '../../../src/domain/education.ts';

interface LabelledAd {
  label: string;
  level: string | null;
  text: string;
}

// degree-ads-holdout.jsonl was written after the rules, as a check on ads they were not built on;
// degree-ads-blind.jsonl (60 ads) and degree-ads-blind2.jsonl (40) likewise, later, each measured
// before any rule was changed for it (docs/methodology.md gives those first figures). Once the
// rules are fixed on a set it is no longer unseen: the next set is the check.
const SETS = ['degree-ads.jsonl', 'degree-ads-holdout.jsonl', 'degree-ads-blind.jsonl', 'degree-ads-blind2.jsonl'];
const read = (name: string): LabelledAd[] =>
  fs
    .readFileSync(path.join(__dirname, '../../fixtures/raw', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LabelledAd);
const ADS: LabelledAd[] = SETS.flatMap(read);

/** As the import reads a description: HTML as text (educationOf). */
const classify = (text: string) =>
  educationOf({ degreeRequired: null, educationRequirements: null, description: text });

function accuracy(ads: LabelledAd[]) {
  const results = ads.map((ad) => ({ ad, got: classify(ad.text) }));
  return {
    binary:
      results.filter(({ ad, got }) => (got.requirement === 'REQUIRED') === (ad.label === 'REQUIRED')).length /
      ads.length,
    exact: results.filter(({ ad, got }) => got.requirement === ad.label).length / ads.length,
    level: results.filter(({ ad, got }) => got.level === ad.level).length / ads.length,
    wrong: results
      .filter(({ ad, got }) => got.requirement !== ad.label)
      .map(({ ad, got }) => `${ad.label} -> ${got.requirement}: ${ad.text.slice(0, 80)}`),
  };
}
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

describe('degree requirement from the description', () => {
  test('the labelled set holds at least 100 ads and every label', () => {
    expect(ADS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(ADS.map((a) => a.label))).toEqual(
      new Set(['REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED']),
    );
  });

  test('at least 90% of the labelled ads get the right REQUIRED-or-not answer and 80% the right label, in each set and overall', () => {
    const lines: string[] = [];
    for (const [name, ads] of [...SETS.map((n) => [n, read(n)] as const), ['all', ADS] as const]) {
      const a = accuracy(ads);
      lines.push(
        `degree labels, ${name} (${ads.length} ads): REQUIRED-or-not ${pct(a.binary)}, exact ${pct(a.exact)}, level ${pct(a.level)}`,
        ...a.wrong,
      );
      expect([name, a.binary >= 0.9, a.exact >= 0.8]).toEqual([name, true, true]);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  test.each([
    ['High school diploma or GED required.', 'NOT_MENTIONED', null],
    [
      "Bachelor's degree in Computer Science, or equivalent practical experience.",
      'REQUIRED_OR_EQUIVALENT',
      'BACHELOR',
    ],
    ['BA/BS in Marketing.', 'REQUIRED', 'BACHELOR'],
    ['B.Sc. in Electrical Engineering.', 'REQUIRED', 'BACHELOR'],
    ['A 4-year degree from an accredited university.', 'REQUIRED', 'BACHELOR'],
    ['Degree or equivalent experience.', 'REQUIRED_OR_EQUIVALENT', 'ANY'],
    ["Master's a plus.", 'PREFERRED', 'MASTER'],
    ['PhD strongly preferred.', 'PREFERRED', 'DOCTORATE'],
    ["We offer tuition for your master's.", 'NOT_MENTIONED', null],
    ['Do you need a degree? No. Do you need grit? Yes.', 'NOT_MENTIONED', null],
    ['We don’t care about degrees.', 'NOT_MENTIONED', null],
    [
      "Bachelor's degree in Accounting; in lieu of a degree, 4 additional years of experience.",
      'REQUIRED_OR_EQUIVALENT',
      'BACHELOR',
    ],
    [
      "Bachelor's degree required. In lieu of a Bachelor's degree, 6 years of experience.",
      'REQUIRED_OR_EQUIVALENT',
      'BACHELOR',
    ],
    ['*Required* Bachelor’s degree in Chemistry *Preferred* 2 years of HPLC experience', 'REQUIRED', 'BACHELOR'],
    ['Required:\n- 3 years of SQL\nPreferred:\n- MS in Statistics', 'PREFERRED', 'MASTER'],
    ['Preferred:\n- 3 years of SQL\nRequired:\n- BS in Statistics', 'REQUIRED', 'BACHELOR'],
    ['Requirements:\n\n- 5 years of Kotlin\n\n- Bachelor’s degree in Engineering', 'REQUIRED', 'BACHELOR'],
    ['<h3>Nice to have</h3><ul><li>A bachelor&rsquo;s degree in design</li></ul>', 'PREFERRED', 'BACHELOR'],
    ['Abgeschlossenes Hochschulstudium wünschenswert.', 'PREFERRED', 'ANY'],
  ])('as imported, %j is %s at %s', (text, requirement, level) => {
    const got = classify(text);
    expect([got.requirement, got.level]).toEqual([requirement, level]);
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
    const got = educationFromText(
      'We build robots.\nRequirements:\n- 3 years of C++\n- Bachelor’s degree in Mechanical Engineering\n- Fluent English',
    );
    expect(got).toEqual({
      requirement: 'REQUIRED',
      level: 'BACHELOR',
      evidence: 'Bachelor’s degree in Mechanical Engineering',
      origin: 'TEXT',
    });
  });

  test('a stated degreeRequired wins over the description and keeps meaning REQUIRED / NOT_MENTIONED; no text and nothing stated is UNKNOWN', () => {
    const text = 'Bachelor’s degree preferred.';
    expect(educationOf({ degreeRequired: true, educationRequirements: null, description: text })).toMatchObject({
      requirement: 'REQUIRED',
      origin: 'STATED',
    });
    expect(educationOf({ degreeRequired: false, educationRequirements: null, description: text })).toMatchObject({
      requirement: 'NOT_MENTIONED',
      origin: 'STATED',
    });
    expect(
      educationOf({
        degreeRequired: null,
        educationRequirements: 'bachelor degree',
        description: 'No degree required.',
      }),
    ).toMatchObject({
      requirement: 'REQUIRED',
      level: 'BACHELOR',
      origin: 'STATED',
    });
    expect(educationOf({ degreeRequired: null, educationRequirements: null, description: null })).toEqual({
      requirement: 'UNKNOWN',
      level: null,
      evidence: null,
      origin: null,
    });
  });

  test('the stored boolean follows the figures rule: REQUIRED true, UNKNOWN null, the other labels false', () => {
    expect(
      ['REQUIRED', 'REQUIRED_OR_EQUIVALENT', 'PREFERRED', 'NOT_MENTIONED', 'UNKNOWN'].map((r) =>
        degreeRequiredOf(r as never),
      ),
    ).toEqual([true, false, false, false, null]);
  });
});
