import { jobPostingRow, jobPostingsIn } from '../../../src/importer/raw/job-posting.ts';
import { htmlToText, descriptionText } from '../../../src/domain/html-text.ts';
import { countryCodeOf } from '../../../src/importer/raw/country-names.ts';

const base = {
  '@type': 'JobPosting',
  title: 'Data Scientist',
  datePosted: '2026-01-01',
  hiringOrganization: { name: 'Acme' },
};
const row = (extra: Record<string, unknown>): Record<string, unknown> => {
  const mapped = jobPostingRow({ ...base, ...extra });
  if ('errors' in mapped) throw new Error(JSON.stringify(mapped.errors));
  return mapped.row;
};

describe('a JobPosting as a posting row', () => {
  test('identifier: text, a number, a PropertyValue, or the first of a list', () => {
    expect(row({ identifier: 'A-1' }).externalId).toBe('A-1');
    expect(row({ identifier: 42 }).externalId).toBe('42');
    expect(row({ identifier: { '@type': 'PropertyValue', name: 'Acme', value: 'P-7' } }).externalId).toBe('P-7');
    expect(row({ identifier: [{ value: 'L-1' }, { value: 'L-2' }] }).externalId).toBe('L-1');
    expect(row({}).externalId).toBeUndefined();
  });

  test('jobLocation: the first place of a list; the first address of a list; locality and region joined', () => {
    const places = [
      { address: [{ addressLocality: 'Lyon', addressRegion: 'ARA', addressCountry: 'France' }] },
      { address: { addressLocality: 'Paris' } },
    ];
    expect(row({ jobLocation: places })).toMatchObject({ location: 'Lyon, ARA', country: 'FR', remote: false });
    expect(
      row({
        jobLocation: { address: { addressRegion: 'Bavaria', addressCountry: { '@type': 'Country', name: 'DE' } } },
      }),
    ).toMatchObject({ location: 'Bavaria', country: 'DE' });
  });

  test('TELECOMMUTE or applicantLocationRequirements is remote; a single required country is the country', () => {
    expect(row({ jobLocationType: 'TELECOMMUTE' })).toMatchObject({ remote: true });
    expect(
      row({ jobLocationType: ['TELECOMMUTE'], applicantLocationRequirements: { '@type': 'Country', name: 'Canada' } }),
    ).toMatchObject({ remote: true, country: 'CA' });
    expect(row({ applicantLocationRequirements: [{ name: 'US' }, { name: 'CA' }] })).toMatchObject({ remote: true });
    expect(row({ applicantLocationRequirements: [{ name: 'US' }, { name: 'CA' }] }).country).toBeUndefined();
  });

  test('baseSalary: a QuantitativeValue range or value with its unit, a bare number, or text', () => {
    expect(
      row({ baseSalary: { currency: 'EUR', value: { minValue: 50000, maxValue: 60000, unitText: 'YEAR' } } }),
    ).toMatchObject({
      salaryMin: 50000,
      salaryMax: 60000,
      salaryCurrency: 'EUR',
      salaryPeriod: 'YEAR',
    });
    expect(row({ baseSalary: { currency: 'USD', value: { value: 40, unitText: 'hour' } } })).toMatchObject({
      salaryMin: 40,
      salaryMax: 40,
      salaryPeriod: 'HOUR',
    });
    expect(row({ baseSalary: { currency: 'USD', value: 90000, unitText: 'YEAR' } })).toMatchObject({
      salaryMin: 90000,
      salaryPeriod: 'YEAR',
    });
    expect(row({ baseSalary: '$53K-$91K (Glassdoor est.)' })).toMatchObject({
      salaryText: '$53K-$91K (Glassdoor est.)',
    });
    expect(row({ estimatedSalary: { currency: 'USD', value: { value: 100000 } } })).toMatchObject({
      salaryMin: 100000,
      salaryEstimated: true,
    });
  });

  test('educationRequirements as text or credential; employmentType lists; url; description HTML read as text', () => {
    expect(
      row({
        educationRequirements: { '@type': 'EducationalOccupationalCredential', credentialCategory: 'bachelor degree' },
      }).educationRequirements,
    ).toBe('bachelor degree');
    expect(row({ educationRequirements: 'High school diploma' }).educationRequirements).toBe('High school diploma');
    expect(row({ employmentType: ['FULL_TIME', 'CONTRACTOR'] }).employmentType).toBe('FULL_TIME, CONTRACTOR');
    expect(row({ url: 'https://example.com/1' }).url).toBe('https://example.com/1');
    expect(
      row({ description: '<h2>Role</h2><p>Build &amp; ship.</p><ul><li>Go</li><li>SQL</li></ul><script>x()</script>' })
        .description,
    ).toBe('Role\nBuild & ship.\n• Go\n• SQL');
  });

  test('not an object, no title, no employer, a datePosted that is not a date: errors with field, value and rule', () => {
    expect(jobPostingRow('x')).toEqual({ errors: [expect.objectContaining({ field: '(record)', rule: 'object' })] });
    const bad = jobPostingRow({ '@type': 'JobPosting', datePosted: '31/01/2026' });
    expect('errors' in bad && bad.errors.map((e) => [e.field, e.value, e.rule])).toEqual([
      ['title', '', 'required'],
      ['hiringOrganization.name', '', 'required'],
      ['datePosted', '31/01/2026', 'isoDate'],
    ]);
  });

  test('JobPostings inside arrays and @graph are found; other types are skipped; non-objects in a list are reported', () => {
    const found = [
      ...jobPostingsIn({
        '@graph': [{ '@type': 'Organization' }, { ...base, identifier: 'g1' }, [{ ...base, identifier: 'g2' }], 7],
      }),
    ];
    expect(found).toEqual([{ ...base, identifier: 'g1' }, { ...base, identifier: 'g2' }, 7]);
    expect([...jobPostingsIn({ title: 'no @type at the top' })]).toHaveLength(1);
  });
});

describe('HTML and country names', () => {
  test('HTML escaped twice is read as text', () => {
    expect(descriptionText('&lt;p&gt;A &amp;amp; B&lt;/p&gt;')).toBe('A & B');
    expect(descriptionText('Plain text, 5 < 6 and R&D')).toBe('Plain text, 5 < 6 and R&D');
    expect(htmlToText('<div>one<br>two</div>')).toBe('one\ntwo');
  });

  test.each([
    ['us', 'US'],
    ['United States', 'US'],
    ['United Kingdom', 'GB'],
    ['UK', 'GB'],
    ['Deutschland', 'DE'],
    ['Côte d’Ivoire', 'CI'],
    ['south korea', 'KR'],
    ['Narnia', null],
  ])('%s is %s', (name, code) => {
    expect(countryCodeOf(name)).toBe(code);
  });
});
