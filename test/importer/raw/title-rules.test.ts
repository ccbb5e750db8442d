import {
  normalizeTitle,
  parseTitleRules,
  TitleClassifier,
  TitleRulesError,
} from '../../../src/importer/raw/title-rules.ts';

const rules = parseTitleRules(
  [
    { role: 'data-scientist', title: 'Data Scientist', include: ['data scientist', 'scientist'], exclude: ['intern'] },
    { role: 'ml-engineer', include: ['machine learning', 'ml engineer'] },
    { role: 'intern', include: ['intern', 'internship'] },
  ],
  'rules.json',
);
const classifier = new TitleClassifier(rules);

describe('roles from titles', () => {
  test.each([
    ['Sr. Data Scientist - NLP', 'data-scientist'],
    ['DATA-SCIENTIST (m/w/d)', 'data-scientist'],
    ['Ｄａｔａ Ｓｃｉｅｎｔｉｓｔ', 'data-scientist'],
    ['Research Scientist, Machine Learning', 'data-scientist'],
    ['Data Scientist Intern', 'intern'],
    ['Machine Learning Engineer', 'ml-engineer'],
    ['Summer Internship 2026', 'intern'],
  ])('%s is %s: the first rule with an include and no exclude wins', (title, role) => {
    expect(classifier.classify(title)?.role).toBe(role);
  });

  test('phrases match on word boundaries only', () => {
    expect(classifier.classify('Scientists Wanted')).toBeNull();
    expect(classifier.classify('International Sales')).toBeNull();
  });

  test('titles are NFKC-normalized, case-folded and punctuation becomes space', () => {
    expect(normalizeTitle('  Sr.  Data_Scientist/NLP  ')).toBe('sr data scientist nlp');
    expect(normalizeTitle('STRASSE Straße')).toBe('strasse strasse');
  });

  test.each([
    [{ role: 'x' }, /rules\.json: rule 1 \(role x\): "include" is required/],
    ['not a list', /must be a JSON list of rules/],
    [[{ role: 'Data Scientist', include: ['a'] }], /rule 1: "role" must be a role slug/],
    [
      [
        { role: 'a', include: ['a'] },
        { role: 'b', include: [] },
      ],
      /rule 2 \(role b\): "include" must not be empty/,
    ],
    [[{ role: 'a', include: ['a'], exclude: 'b' }], /rule 1 \(role a\): "exclude" must be a list/],
    [[{ role: 'a', include: ['a'], includes: ['b'] }], /rule 1 \(role a\): unknown key "includes"/],
  ])('a rules file that is not a list of rules is refused, naming the rule: %j', (value, message) => {
    const parse = (): unknown =>
      parseTitleRules(Array.isArray(value) || typeof value === 'string' ? value : [value], 'rules.json');
    expect(parse).toThrow(TitleRulesError);
    expect(parse).toThrow(message);
  });
});
