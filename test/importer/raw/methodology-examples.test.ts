import fs from 'node:fs';
import path from 'node:path';
import { educationFromText } from '../../../src/domain/education.ts';
import { parseSalaryText } from '../../../src/importer/raw/salary-text.ts';
import { parseTitleRules, TitleClassifier } from '../../../src/importer/raw/title-rules.ts';

const METHODOLOGY = fs.readFileSync(path.resolve(__dirname, '../../../docs/methodology.md'), 'utf8');

/** The rows of the table after `<!-- examples: NAME -->`, cells trimmed, backticks removed, `\n` as a line break. */
function examples(name: string): string[][] {
  const start = METHODOLOGY.indexOf(`<!-- examples: ${name} -->`);
  if (start < 0) throw new Error(`docs/methodology.md has no examples table ${name}`);
  const lines = METHODOLOGY.slice(start).split('\n').slice(1);
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim().replace(/^`|`$/g, '').replace(/\\n/g, '\n')),
    );
  }
  return rows;
}

describe('the worked examples of docs/methodology.md', () => {
  test.each(examples('degree'))('degree: %s is %s at %s', (text, requirement, level) => {
    const got = educationFromText(text as string);
    expect([got.requirement, got.level ?? '']).toEqual([requirement, level]);
  });

  test.each(examples('salary'))('salary: %s', (text, min, max, currency, period, estimated) => {
    const got = parseSalaryText(text as string);
    if ((min as string).startsWith('unreadable: ')) {
      expect(got).toEqual({ ok: false, reason: (min as string).slice('unreadable: '.length) });
      return;
    }
    const n = (v: string | undefined): number | null => (v === '' || v === undefined ? null : Number(v));
    expect(got).toEqual({
      ok: true,
      salary: { min: n(min), max: n(max), currency, period, estimated: estimated === 'yes' },
    });
  });

  const rules = new TitleClassifier(
    parseTitleRules(
      [
        { role: 'data-scientist', include: ['data scientist', 'scientist'], exclude: ['intern'] },
        { role: 'ml-engineer', include: ['machine learning'] },
        { role: 'intern', include: ['intern'] },
      ],
      'docs/methodology.md',
    ),
  );
  test.each(examples('titles'))('title: %s is %s', (title, role) => {
    expect(rules.classify(title as string)?.role ?? '').toBe(role);
  });
});
