import crypto from 'node:crypto';
import type { PoolClient } from 'pg';
import { Readable } from 'node:stream';
import { createApiKey, revokeApiKeys } from '../src/auth/api-keys.ts';
import type { RunningServer } from '../src/http/server.ts';
import { importFile } from '../src/importer/import-file.ts';
import type { RowError } from '../src/importer/import-types.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { importRows } from './support/import-rows.ts';
import { annualUsd, mean, type Rate } from './support/independent-stats.ts';
import { runScript } from './support/run.ts';
import { gql, startTestServer } from './support/server.ts';

const DAY = 24 * 3600 * 1000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

const rates: Rate[] = [{ currency: 'EUR', usdPerUnit: 1.1, asOf: '2026-01-01' }];

/** The test's own model of what the database holds, for the independent computations. */
interface PostingModel {
  externalId: string;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency: string;
  salaryPeriod: string;
  postedAt: Date;
  closedAt: Date | null;
}
interface ReportModel {
  externalId: string;
  amount: number;
  currency: string;
  period: string;
  observedAt: Date;
}

const postings: PostingModel[] = [
  {
    externalId: 'p1',
    salaryMin: 100000,
    salaryMax: 120000,
    salaryCurrency: 'USD',
    salaryPeriod: 'YEAR',
    postedAt: daysAgo(30),
    closedAt: null,
  },
  {
    externalId: 'p2',
    salaryMin: 5000,
    salaryMax: null,
    salaryCurrency: 'EUR',
    salaryPeriod: 'MONTH',
    postedAt: daysAgo(20),
    closedAt: null,
  },
];
const reports: ReportModel[] = [
  { externalId: 'r1', amount: 90000, currency: 'USD', period: 'YEAR', observedAt: daysAgo(15) },
];

function expectedStats(): { openings: number; count: number; mean: number | null } {
  const now = new Date();
  const open = postings.filter((p) => p.postedAt <= now && (p.closedAt === null || p.closedAt > now));
  const amounts = [
    ...open.map((p) => annualUsd(p.salaryMin, p.salaryMax, p.salaryPeriod, p.salaryCurrency, p.postedAt, rates)),
    ...reports
      .filter((r) => r.observedAt <= now)
      .map((r) => annualUsd(r.amount, null, r.period, r.currency, r.observedAt, rates)),
  ].filter((v): v is number => v !== null);
  return { openings: open.length, count: amounts.length, mean: mean(amounts) };
}

const STATS = `query($slug: String!) { role(slug: $slug) { stats { openings salary { count mean } } } }`;
interface StatsData {
  role: { stats: { openings: number; salary: { count: number; mean: number | null } } } | null;
}

const POSTING_FIELDS = `id source externalId title location country remote salaryMin salaryMax salaryCurrency salaryPeriod
  annualSalaryUsd degreeRequired seniority postedAt closedAt open role { slug } employer { name }`;
interface PostingData {
  id: string;
  source: string;
  externalId: string;
  title: string | null;
  location: string | null;
  country: string | null;
  remote: boolean | null;
  salaryMin: number | null;
  salaryMax: number | null;
  salaryCurrency: string | null;
  salaryPeriod: string | null;
  annualSalaryUsd: number | null;
  degreeRequired: boolean | null;
  seniority: string | null;
  postedAt: string;
  closedAt: string | null;
  open: boolean;
  role: { slug: string };
  employer: { name: string };
}
interface UserError {
  field: string[];
  message: string;
}
interface PostingPayload {
  posting: PostingData | null;
  userErrors: UserError[];
}

const CREATE = `mutation($input: CreatePostingInput!) { createPosting(input: $input) { posting { ${POSTING_FIELDS} } userErrors { field message } } }`;
const UPDATE = `mutation($input: UpdatePostingInput!) { updatePosting(input: $input) { posting { ${POSTING_FIELDS} } userErrors { field message } } }`;
const UPSERT = `mutation($input: UpsertPostingInput!) { upsertPosting(input: $input) { posting { ${POSTING_FIELDS} } userErrors { field rule message } } }`;
const DELETE = `mutation($input: DeletePostingInput!) { deletePosting(input: $input) { deletedId userErrors { field rule message } } }`;
const CLOSE = `mutation($input: ClosePostingInput!) { closePosting(input: $input) { posting { ${POSTING_FIELDS} } userErrors { field message } } }`;
const REPORT = `mutation($input: ReportSalaryInput!) { reportSalary(input: $input) {
  salaryReport { id source externalId amount currency amountUsd observedAt country role { slug title } } userErrors { field message } } }`;
const UPSERT_ROLE = `mutation($input: UpsertRoleInput!) { upsertRole(input: $input) {
  role { id slug title summary responsibilities { position title text } careerSteps { position title text } } userErrors { field message } } }`;

/** What the importer says about one row: the errors of a dry run of a one-line NDJSON file. */
async function importerErrors(
  db: TestDatabase,
  kind: 'postings' | 'observations',
  row: Record<string, unknown>,
): Promise<RowError[]> {
  const summary = await importFile(db, kind, Readable.from([`${JSON.stringify(row)}\n`]), {
    format: 'ndjson',
    dryRun: true,
  });
  return summary.errors;
}

async function rowCounts(db: TestDatabase): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{
    postings: number;
    observations: number;
    roles: number;
    employers: number;
    steps: number;
    updated: Date | null;
  }>(
    `SELECT (SELECT count(*)::int FROM posting) AS postings, (SELECT count(*)::int FROM salary_observation) AS observations,
            (SELECT count(*)::int FROM role) AS roles, (SELECT count(*)::int FROM employer) AS employers,
            (SELECT count(*)::int FROM responsibility) + (SELECT count(*)::int FROM career_step) AS steps,
            (SELECT max(updated_at) FROM posting) AS updated`,
  );
  const row = rows[0]!;
  return { ...row, updated: row.updated?.getTime() ?? 0 };
}

describe('mutations', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let auth: Record<string, string>;

  const stats = async (slug = 'data-engineer') => (await gql<StatsData>(server.url, STATS, { slug })).data?.role?.stats;
  const mutate = <T>(query: string, input: Record<string, unknown>, headers = auth) =>
    gql<T>(server.url, query, { input }, headers);

  beforeAll(async () => {
    db = await createTestDatabase();
    await importRows(db, 'rates', rates as unknown as Record<string, unknown>[]);
    await importRows(
      db,
      'postings',
      postings.map((p) => ({
        ...p,
        source: 'test',
        role: 'data-engineer',
        roleTitle: 'Data Engineer',
        company: `Company ${p.externalId}`,
      })),
    );
    await importRows(
      db,
      'observations',
      reports.map((r) => ({ ...r, source: 'survey', role: 'data-engineer' })),
    );
    server = await startTestServer(db);
    const created = await createApiKey(db.pool, 'test suite');
    auth = { authorization: `Bearer ${created.key}` };
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  describe('createPosting', () => {
    it('creates a posting through the importer and the statistics reflect it at once', async () => {
      const before = await stats();
      expect(before).toEqual({ openings: 2, salary: { count: 3, mean: expectedStats().mean } });
      const input = {
        externalId: ' m1 ',
        role: 'data-engineer',
        company: 'Initech',
        title: 'Senior Data Engineer',
        location: 'Berlin',
        country: 'de',
        remote: true,
        salaryMin: 60,
        salaryMax: 70,
        salaryCurrency: 'EUR',
        salaryPeriod: 'HOUR',
        degreeRequired: false,
        postedAt: daysAgo(3).toISOString(),
      };
      const res = await mutate<{ createPosting: PostingPayload }>(CREATE, input);
      expect(res.errors).toBeUndefined();
      expect(res.data?.createPosting.userErrors).toEqual([]);
      const posting = res.data?.createPosting.posting;
      postings.push({
        externalId: 'm1',
        salaryMin: 60,
        salaryMax: 70,
        salaryCurrency: 'EUR',
        salaryPeriod: 'HOUR',
        postedAt: new Date(input.postedAt),
        closedAt: null,
      });
      expect(posting).toMatchObject({
        source: 'manual',
        externalId: 'm1',
        title: 'Senior Data Engineer',
        location: 'Berlin',
        country: 'DE',
        remote: true,
        salaryMin: 60,
        salaryMax: 70,
        salaryCurrency: 'EUR',
        salaryPeriod: 'HOUR',
        degreeRequired: false,
        seniority: 'SENIOR',
        postedAt: input.postedAt,
        closedAt: null,
        open: true,
        role: { slug: 'data-engineer' },
        employer: { name: 'Initech' },
      });
      expect(posting?.annualSalaryUsd).toBeCloseTo(65 * 2080 * 1.1, 6);
      const after = await stats();
      const expected = expectedStats();
      expect(after?.openings).toBe((before?.openings ?? 0) + 1);
      expect(after?.openings).toBe(expected.openings);
      expect(after?.salary.count).toBe(expected.count);
      expect(after?.salary.mean).toBeCloseTo(expected.mean as number, 6);
      // The node id answers node(id:).
      const node = await gql<{ node: { externalId: string } | null }>(
        server.url,
        `query($id: ID!) { node(id: $id) { ... on Posting { externalId } } }`,
        { id: posting?.id },
      );
      expect(node.data?.node?.externalId).toBe('m1');
    });

    it('creates a missing role, titled by roleTitle', async () => {
      const res = await mutate<{ createPosting: PostingPayload }>(CREATE, {
        externalId: 'm2',
        source: 'partner',
        role: 'ml-engineer',
        roleTitle: 'ML Engineer',
        company: 'Globex',
        postedAt: daysAgo(1).toISOString(),
      });
      expect(res.data?.createPosting.userErrors).toEqual([]);
      expect(res.data?.createPosting.posting).toMatchObject({
        source: 'partner',
        externalId: 'm2',
        salaryMin: null,
        annualSalaryUsd: null,
        role: { slug: 'ml-engineer' },
      });
      const role = await gql<{ role: { title: string; stats: { openings: number } } | null }>(
        server.url,
        `{ role(slug: "ml-engineer") { title stats { openings } } }`,
      );
      expect(role.data?.role).toEqual({ title: 'ML Engineer', stats: { openings: 1 } });
    });

    const badRows: [string, Record<string, unknown>, string[]][] = [
      ['a salary range upside down', { salaryMin: 90000, salaryMax: 80000 }, ['salaryRange']],
      ['a negative salary', { salaryMin: -5 }, ['positiveNumber']],
      ['a currency without a rate', { salaryMin: 5000, salaryCurrency: 'JPY' }, ['knownCurrency']],
      ['a code that is no currency', { salaryMin: 5000, salaryCurrency: 'ABC' }, ['currencyCode']],
      ['an unknown country', { country: 'ZZ' }, ['countryCode']],
      ['a role that is no slug, and an empty company', { role: 'Data Engineer', company: '  ' }, ['slug', 'required']],
      ['closedAt before postedAt', { postedAt: '2026-02-01', closedAt: '2026-01-01' }, ['closedBeforePosted']],
      ['an externalId too long', { externalId: 'x'.repeat(201) }, ['maxLength']],
    ];

    it.each(badRows)(
      'reports %s in userErrors exactly as the import does, and writes nothing',
      async (_what, change, rules) => {
        const input = {
          externalId: 'bad',
          role: 'data-engineer',
          company: 'Initech',
          postedAt: '2026-02-01',
          ...change,
        };
        const expected = await importerErrors(db, 'postings', input);
        expect(expected.map((e) => e.rule)).toEqual(rules);
        const before = await rowCounts(db);
        const res = await mutate<{ createPosting: PostingPayload }>(CREATE, input);
        expect(res.errors).toBeUndefined();
        expect(res.data?.createPosting.posting).toBeNull();
        expect(res.data?.createPosting.userErrors).toEqual(
          expected.map((e) => ({ field: ['input', e.field], message: e.message })),
        );
        expect(await rowCounts(db)).toEqual(before);
      },
    );
    it('refuses a posting whose source and externalId exist (rule alreadyExists), and writes nothing', async () => {
      const first = await mutate<{ createPosting: PostingPayload }>(CREATE, {
        externalId: 'dup1',
        role: 'data-engineer',
        company: 'Vandelay',
        postedAt: daysAgo(2).toISOString(),
      });
      expect(first.data?.createPosting.userErrors).toEqual([]);
      postings.push({
        externalId: 'dup1',
        salaryMin: null,
        salaryMax: null,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        postedAt: daysAgo(2),
        closedAt: null,
      });
      const before = await rowCounts(db);
      const statsBefore = await stats();
      const again = `mutation($input: CreatePostingInput!) { createPosting(input: $input) { posting { id } userErrors { field rule message } } }`;
      // The same key after the import's trimming, with other fields: refused, not replaced.
      const res = await mutate<{ createPosting: { posting: null; userErrors: (UserError & { rule: string })[] } }>(
        again,
        {
          externalId: ' dup1 ',
          role: 'data-engineer',
          company: 'Kramerica',
          salaryMin: 50000,
          postedAt: daysAgo(1).toISOString(),
        },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.createPosting.posting).toBeNull();
      expect(res.data?.createPosting.userErrors).toEqual([
        { field: ['input', 'externalId'], rule: 'alreadyExists', message: expect.stringContaining('upsertPosting') },
      ]);
      expect(await rowCounts(db)).toEqual(before);
      expect(await stats()).toEqual(statsBefore);
      const stored = await db.pool.query<{ company_name: string; salary_min: number | null }>(
        `SELECT company_name, salary_min FROM posting WHERE external_id = 'dup1'`,
      );
      expect(stored.rows).toEqual([{ company_name: 'Vandelay', salary_min: null }]);
      // Another source is another posting.
      const other = await mutate<{ createPosting: PostingPayload }>(CREATE, {
        externalId: 'dup1',
        source: 'elsewhere',
        role: 'data-engineer',
        company: 'Vandelay',
        title: 'Importer',
        postedAt: daysAgo(9).toISOString(),
      });
      expect(other.data?.createPosting.userErrors).toEqual([]);
      postings.push({
        externalId: 'dup1@elsewhere',
        salaryMin: null,
        salaryMax: null,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        postedAt: daysAgo(9),
        closedAt: null,
      });
    });

    it('reads salaryText and description as the import does; explicit bounds win over the text', async () => {
      const FIELDS = `salaryMin salaryMax salaryCurrency salaryPeriod salaryText salaryEstimated description employmentType url degreeRequired
        education { requirement level evidence origin }`;
      const create = `mutation($input: CreatePostingInput!) { createPosting(input: $input) { posting { id ${FIELDS} } userErrors { field rule message } } }`;
      const update = `mutation($input: UpdatePostingInput!) { updatePosting(input: $input) { posting { id ${FIELDS} } userErrors { field rule message } } }`;
      type Raw = {
        id: string;
        salaryMin: number | null;
        salaryMax: number | null;
        salaryText: string | null;
        salaryEstimated: boolean | null;
        education: { requirement: string; level: string | null; origin: string | null };
        degreeRequired: boolean | null;
      } & Record<string, unknown>;
      const input = {
        externalId: 'text1',
        role: 'data-engineer',
        company: 'Hooli',
        title: 'Data Engineer',
        salaryText: '$53K-$91K (Glassdoor est.)',
        description: 'We build pipelines. BS in Computer Science required.',
        employmentType: 'FULL_TIME',
        url: 'https://jobs.example/text1',
        postedAt: daysAgo(4).toISOString(),
      };
      const res = await mutate<{ createPosting: { posting: Raw | null; userErrors: UserError[] } }>(create, input);
      expect(res.data?.createPosting.userErrors).toEqual([]);
      expect(res.data?.createPosting.posting).toMatchObject({
        salaryMin: 53000,
        salaryMax: 91000,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        salaryText: '$53K-$91K (Glassdoor est.)',
        salaryEstimated: true,
        description: 'We build pipelines. BS in Computer Science required.',
        employmentType: 'FULL_TIME',
        url: 'https://jobs.example/text1',
        degreeRequired: true,
        education: { requirement: 'REQUIRED', level: 'BACHELOR', origin: 'TEXT' },
      });
      postings.push({
        externalId: 'text1',
        salaryMin: 53000,
        salaryMax: 91000,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        postedAt: new Date(input.postedAt),
        closedAt: null,
      });
      // What the import stores for the same row, field by field.
      await importFile(
        db,
        'postings',
        Readable.from([
          `${JSON.stringify({ ...input, externalId: 'text1-import', source: 'compare', company: 'Hooli Import' })}\n`,
        ]),
        { format: 'ndjson' },
      );
      const columns = `salary_min, salary_max, salary_currency, salary_period, salary_estimated, description, degree_required,
        education_requirement, education_level, education_evidence, education_origin`;
      const both = await db.pool.query(
        `SELECT external_id, ${columns} FROM posting WHERE external_id IN ('text1', 'text1-import') ORDER BY external_id`,
      );
      const [mutated, imported] = both.rows.map(({ external_id: _id, ...rest }) => rest);
      expect(mutated).toEqual(imported);
      await db.pool.query(`DELETE FROM posting WHERE external_id = 'text1-import'`);
      expect(await stats()).toMatchObject({
        openings: expectedStats().openings,
        salary: { count: expectedStats().count },
      });

      const id = res.data?.createPosting.posting?.id as string;
      // New text: the salary read from the old text is read again from the new one.
      const retexted = await mutate<{ updatePosting: { posting: Raw | null; userErrors: UserError[] } }>(update, {
        id,
        salaryText: '€45,000 - €55,000 a year',
      });
      expect(retexted.data?.updatePosting.userErrors).toEqual([]);
      expect(retexted.data?.updatePosting.posting).toMatchObject({
        salaryMin: 45000,
        salaryMax: 55000,
        salaryCurrency: 'EUR',
      });
      expect(retexted.data?.updatePosting.posting?.salaryEstimated).not.toBe(true);
      // A new description: the requirement is read again from it.
      const described = await mutate<{ updatePosting: { posting: Raw | null; userErrors: UserError[] } }>(update, {
        id,
        description: "A Master's degree is preferred.",
      });
      expect(described.data?.updatePosting.posting).toMatchObject({
        degreeRequired: false,
        education: { requirement: 'PREFERRED', level: 'MASTER', origin: 'TEXT' },
        salaryMin: 45000,
      });
      // Explicit bounds win over the text.
      const stated = await mutate<{ updatePosting: { posting: Raw | null; userErrors: UserError[] } }>(update, {
        id,
        salaryMin: 70000,
        salaryMax: 80000,
        salaryCurrency: 'USD',
      });
      expect(stated.data?.updatePosting.posting).toMatchObject({
        salaryMin: 70000,
        salaryMax: 80000,
        salaryCurrency: 'USD',
        salaryText: '€45,000 - €55,000 a year',
      });
      const explicit = await mutate<{ createPosting: { posting: Raw | null; userErrors: UserError[] } }>(create, {
        ...input,
        externalId: 'text2',
        title: 'Data Engineer II',
        salaryMin: 60000,
        salaryText: '$53K-$91K',
      });
      expect(explicit.data?.createPosting.posting).toMatchObject({
        salaryMin: 60000,
        salaryMax: null,
        salaryText: '$53K-$91K',
      });
      const model = postings.find((p) => p.externalId === 'text1')!;
      Object.assign(model, { salaryMin: 70000, salaryMax: 80000 });
      postings.push({
        externalId: 'text2',
        salaryMin: 60000,
        salaryMax: null,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        postedAt: new Date(input.postedAt),
        closedAt: null,
      });
      const after = await stats();
      expect(after?.openings).toBe(expectedStats().openings);
      expect(after?.salary.count).toBe(expectedStats().count);
      expect(after?.salary.mean).toBeCloseTo(expectedStats().mean as number, 6);
    });

    it('writes with parameterized statements only: no COPY, no stream', async () => {
      const texts: string[] = [];
      type Connect = (cb?: (...args: unknown[]) => void) => Promise<PoolClient> | undefined;
      const connect = db.pool.connect.bind(db.pool) as Connect;
      const watch = (client: PoolClient): PoolClient => {
        const { query, release } = client;
        client.query = ((...args: unknown[]) => {
          const first = args[0] as string | { text?: string };
          texts.push(typeof first === 'string' ? first : (first.text ?? `${(first as object).constructor.name}`));
          return (query as (...a: unknown[]) => unknown).apply(client, args);
        }) as typeof client.query;
        client.release = (err?: Error | boolean) => {
          client.query = query;
          client.release = release;
          return release.call(client, err);
        };
        return client;
      };
      // pool.query checks a client out with a callback; the writers with the promise.
      const spy = jest
        .spyOn(db.pool, 'connect')
        .mockImplementation(((cb?: (...args: unknown[]) => void) =>
          cb ? connect(cb) : (connect() as Promise<PoolClient>).then(watch)) as unknown as typeof db.pool.connect);
      try {
        const res = await mutate<{ createPosting: PostingPayload }>(CREATE, {
          externalId: 'nocopy1',
          role: 'data-engineer',
          company: 'Initrode',
          salaryMin: 90000,
          postedAt: daysAgo(6).toISOString(),
        });
        expect(res.data?.createPosting.userErrors).toEqual([]);
        postings.push({
          externalId: 'nocopy1',
          salaryMin: 90000,
          salaryMax: null,
          salaryCurrency: 'USD',
          salaryPeriod: 'YEAR',
          postedAt: daysAgo(6),
          closedAt: null,
        });
        // The wrapper sees the write: the staging INSERT and the upsert.
        expect(texts.some((t) => /^INSERT INTO import_stage_postings\S* \(line, .*unnest\(\$1::int\[\]/s.test(t))).toBe(
          true,
        );
        expect(texts.some((t) => t.includes('INSERT INTO posting AS p'))).toBe(true);
        expect(texts.filter((t) => /\bCOPY\b/i.test(t))).toEqual([]);
        if (!db.embedded) {
          // The same wrapper does see the import's COPY, where the server takes one.
          await importFile(
            db,
            'postings',
            Readable.from([
              `${JSON.stringify({ externalId: 'nocopy1', source: 'copy-check', role: 'data-engineer', company: 'Initrode', postedAt: '2026-01-01' })}\n`,
            ]),
            { format: 'ndjson', copy: true },
          );
          expect(texts.some((t) => /^COPY import_stage_postings/.test(t))).toBe(true);
          await db.pool.query(`DELETE FROM posting WHERE source = 'copy-check'`);
        }
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('updatePosting and closePosting', () => {
    let id: string;
    beforeAll(async () => {
      const res = await mutate<{ createPosting: PostingPayload }>(CREATE, {
        externalId: 'u1',
        role: 'data-engineer',
        company: 'Umbrella',
        title: 'Senior Platform Engineer',
        location: 'Paris',
        remote: false,
        salaryMin: 80000,
        salaryMax: 100000,
        degreeRequired: true,
        postedAt: daysAgo(10).toISOString(),
      });
      id = res.data?.createPosting.posting?.id as string;
      postings.push({
        externalId: 'u1',
        salaryMin: 80000,
        salaryMax: 100000,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        postedAt: daysAgo(10),
        closedAt: null,
      });
      expect(id).toBeDefined();
    });

    it('changes the given fields, keeps those left out, clears those set to null, and the statistics follow', async () => {
      const res = await mutate<{ updatePosting: PostingPayload }>(UPDATE, {
        id,
        salaryMax: 140000,
        location: null,
        remote: null,
        title: 'Platform Engineer',
      });
      expect(res.errors).toBeUndefined();
      expect(res.data?.updatePosting.userErrors).toEqual([]);
      expect(res.data?.updatePosting.posting).toMatchObject({
        id,
        source: 'manual',
        externalId: 'u1',
        title: 'Platform Engineer',
        location: null,
        remote: null,
        salaryMin: 80000,
        salaryMax: 140000,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        degreeRequired: true,
        employer: { name: 'Umbrella' },
        role: { slug: 'data-engineer' },
        annualSalaryUsd: 110000,
      });
      const model = postings.find((p) => p.externalId === 'u1')!;
      model.salaryMax = 140000;
      const after = await stats();
      const expected = expectedStats();
      expect(after?.openings).toBe(expected.openings);
      expect(after?.salary.mean).toBeCloseTo(expected.mean as number, 6);
      // The seniority inferred from the old title was never written as a stated one.
      const { rows } = await db.pool.query<{ seniority: string | null }>(
        `SELECT seniority FROM posting WHERE external_id = 'u1'`,
      );
      expect(rows[0]?.seniority).toBeNull();
    });

    it('moves a posting to another employer and clears its salary (and so its observation)', async () => {
      const res = await mutate<{ updatePosting: PostingPayload }>(UPDATE, {
        id,
        company: 'Stark Industries',
        salaryMin: null,
        salaryMax: null,
      });
      expect(res.data?.updatePosting.userErrors).toEqual([]);
      expect(res.data?.updatePosting.posting).toMatchObject({
        employer: { name: 'Stark Industries' },
        salaryMin: null,
        salaryMax: null,
        annualSalaryUsd: null,
      });
      const model = postings.find((p) => p.externalId === 'u1')!;
      model.salaryMin = null;
      model.salaryMax = null;
      const after = await stats();
      expect(after?.salary.count).toBe(expectedStats().count);
      expect(after?.salary.mean).toBeCloseTo(expectedStats().mean as number, 6);
    });

    it('reports broken rules of the updated posting as the import does, and writes nothing', async () => {
      const before = await rowCounts(db);
      const res = await mutate<{ updatePosting: PostingPayload }>(UPDATE, {
        id,
        salaryMin: 5,
        salaryMax: 1,
        company: null,
      });
      const stored = await db.pool.query<Record<string, unknown>>(
        `SELECT p.external_id AS "externalId", p.source, r.slug AS role, e.name AS company, p.posted_at AS "postedAt"
         FROM posting p JOIN role r ON r.id = p.role_id JOIN employer e ON e.id = p.employer_id WHERE p.external_id = 'u1'`,
      );
      const expected = await importerErrors(db, 'postings', {
        ...stored.rows[0],
        salaryMin: 5,
        salaryMax: 1,
        company: null,
      });
      expect(expected.map((e) => e.rule).sort()).toEqual(['required', 'salaryRange']);
      expect(res.data?.updatePosting).toEqual({
        posting: null,
        userErrors: expected.map((e) => ({ field: ['input', e.field], message: e.message })),
      });
      expect(await rowCounts(db)).toEqual(before);
    });

    it('answers an id that names no posting with a user error on input.id', async () => {
      for (const bad of [
        'nonsense',
        Buffer.from('Posting:999999').toString('base64url'),
        Buffer.from('Role:1').toString('base64url'),
      ]) {
        const res = await mutate<{ updatePosting: PostingPayload }>(UPDATE, { id: bad, title: 'x' });
        expect(res.data?.updatePosting).toEqual({
          posting: null,
          userErrors: [{ field: ['input', 'id'], message: 'is not the id of a posting' }],
        });
        const closed = await mutate<{ closePosting: PostingPayload }>(CLOSE, { id: bad });
        expect(closed.data?.closePosting.userErrors).toEqual([
          { field: ['input', 'id'], message: 'is not the id of a posting' },
        ]);
      }
    });

    it('refuses a closedAt before postedAt with the import rule closedBeforePosted', async () => {
      const before = await rowCounts(db);
      const closedAt = daysAgo(20).toISOString();
      const res = await mutate<{ closePosting: PostingPayload }>(CLOSE, { id, closedAt });
      const expected = await importerErrors(db, 'postings', {
        externalId: 'u1',
        role: 'data-engineer',
        company: 'Stark Industries',
        postedAt: daysAgo(10).toISOString(),
        closedAt,
      });
      expect(expected.map((e) => e.rule)).toEqual(['closedBeforePosted']);
      expect(res.data?.closePosting.posting).toBeNull();
      expect(res.data?.closePosting.userErrors).toEqual([
        { field: ['input', 'closedAt'], message: expect.stringMatching(/^must not be before postedAt/) },
      ]);
      expect(await rowCounts(db)).toEqual(before);
    });

    it('closes a posting now by default, and openings drop by one at once', async () => {
      const before = await stats();
      const started = Date.now();
      const res = await mutate<{ closePosting: PostingPayload }>(CLOSE, { id });
      expect(res.data?.closePosting.userErrors).toEqual([]);
      const posting = res.data?.closePosting.posting;
      expect(posting?.open).toBe(false);
      const closedAt = new Date(posting?.closedAt as string).getTime();
      expect(closedAt).toBeGreaterThanOrEqual(started - 1000);
      expect(closedAt).toBeLessThanOrEqual(Date.now());
      postings.find((p) => p.externalId === 'u1')!.closedAt = new Date(closedAt);
      const after = await stats();
      expect(after?.openings).toBe((before?.openings ?? 0) - 1);
      expect(after?.openings).toBe(expectedStats().openings);
    });

    it('closes a posting at a given instant; the rest of the posting stays', async () => {
      const m1 = await db.pool.query<{ id: number }>(`SELECT id FROM posting WHERE external_id = 'm1'`);
      const m1Id = Buffer.from(`Posting:${m1.rows[0]?.id}`).toString('base64url');
      const closedAt = new Date(Date.now() + 5 * DAY).toISOString();
      const res = await mutate<{ closePosting: PostingPayload }>(CLOSE, { id: m1Id, closedAt });
      expect(res.data?.closePosting.posting).toMatchObject({
        closedAt,
        open: true,
        salaryMin: 60,
        salaryMax: 70,
        salaryCurrency: 'EUR',
        title: 'Senior Data Engineer',
      });
    });
  });

  describe('upsertPosting and deletePosting', () => {
    type Payload<K extends string> = Record<
      K,
      { posting: PostingData | null; userErrors: (UserError & { rule: string })[] }
    >;

    it('creates a posting, then replaces it as a whole under the same key; the statistics follow', async () => {
      const input = {
        externalId: 'up1',
        source: 'partner',
        role: 'data-engineer',
        company: 'Acme',
        title: 'Data Engineer',
        location: 'Lyon',
        salaryMin: 70000,
        postedAt: daysAgo(7).toISOString(),
      };
      const created = await mutate<Payload<'upsertPosting'>>(UPSERT, input);
      expect(created.data?.upsertPosting.userErrors).toEqual([]);
      const id = created.data?.upsertPosting.posting?.id;
      postings.push({
        externalId: 'up1@partner',
        salaryMin: 70000,
        salaryMax: null,
        salaryCurrency: 'USD',
        salaryPeriod: 'YEAR',
        postedAt: daysAgo(7),
        closedAt: null,
      });
      // Replaced: the fields given are stored, those left out are cleared (not kept, as updatePosting would).
      const replaced = await mutate<Payload<'upsertPosting'>>(UPSERT, {
        externalId: 'up1',
        source: 'partner',
        role: 'data-engineer',
        company: 'Acme',
        salaryMin: 20,
        salaryMax: 30,
        salaryCurrency: 'EUR',
        salaryPeriod: 'HOUR',
        postedAt: daysAgo(5).toISOString(),
      });
      expect(replaced.data?.upsertPosting.userErrors).toEqual([]);
      expect(replaced.data?.upsertPosting.posting).toMatchObject({
        id,
        title: null,
        location: null,
        salaryMin: 20,
        salaryMax: 30,
        salaryCurrency: 'EUR',
        salaryPeriod: 'HOUR',
      });
      Object.assign(postings.find((p) => p.externalId === 'up1@partner')!, {
        salaryMin: 20,
        salaryMax: 30,
        salaryCurrency: 'EUR',
        salaryPeriod: 'HOUR',
        postedAt: daysAgo(5),
      });
      const after = await stats();
      expect(after?.openings).toBe(expectedStats().openings);
      expect(after?.salary.count).toBe(expectedStats().count);
      expect(after?.salary.mean).toBeCloseTo(expectedStats().mean as number, 6);
      // The same rules, the same rule names.
      const bad = await mutate<Payload<'upsertPosting'>>(UPSERT, { ...input, salaryMin: 5, salaryMax: 1 });
      expect(bad.data?.upsertPosting).toEqual({
        posting: null,
        userErrors: [
          { field: ['input', 'salaryMax'], rule: 'salaryRange', message: 'must not be below salaryMin (5)' },
        ],
      });
    });

    /** A duplicate group as docs/methodology.md defines it, computed here from the test's own rows. */
    interface Ad {
      externalId: string;
      source: string;
      company: string;
      title: string;
      location: string;
      salary: number | null;
      postedAt: Date;
    }
    function expectedFigures(ads: Ad[]): {
      openings: number;
      postingsSeen: number;
      duplicatesRemoved: number;
      salaries: number[];
      leaders: string[];
    } {
      const byKey = new Map<string, Ad[]>();
      for (const ad of ads) {
        const key = [ad.company, ad.title, ad.location].map((v) => v.toLowerCase()).join('|');
        byKey.set(key, [...(byKey.get(key) ?? []), ad]);
      }
      const groups: Ad[][] = [];
      for (const members of byKey.values()) {
        members.sort(
          (a, b) =>
            a.postedAt.getTime() - b.postedAt.getTime() || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
        );
        let current: Ad[] = [];
        for (const ad of members) {
          if (current.length > 0 && ad.postedAt.getTime() > (current[0] as Ad).postedAt.getTime() + 60 * DAY) {
            groups.push(current);
            current = [];
          }
          current.push(ad);
        }
        groups.push(current);
      }
      const salaries = groups
        .map((g) => g.find((a) => a.salary !== null)?.salary ?? null)
        .filter((v): v is number => v !== null);
      return {
        openings: groups.length,
        postingsSeen: ads.length,
        duplicatesRemoved: ads.length - groups.length,
        salaries,
        leaders: groups.map((g) => (g[0] as Ad).externalId).sort(),
      };
    }

    it('deletes a posting, regroups its duplicates, and every figure is that of an independent computation', async () => {
      const ads: Ad[] = [
        {
          externalId: 'd1',
          source: 'board-a',
          company: 'Acme',
          title: 'Data Analyst',
          location: 'Austin',
          salary: 100000,
          postedAt: daysAgo(10),
        },
        {
          externalId: 'd2',
          source: 'board-b',
          company: 'ACME',
          title: 'Data analyst',
          location: 'Austin',
          salary: 80000,
          postedAt: daysAgo(8),
        },
        {
          externalId: 'd3',
          source: 'board-c',
          company: 'Acme',
          title: 'Data Analyst',
          location: 'austin',
          salary: null,
          postedAt: daysAgo(5),
        },
        {
          externalId: 'd4',
          source: 'board-a',
          company: 'Beta',
          title: 'Data Analyst',
          location: 'Austin',
          salary: 60000,
          postedAt: daysAgo(3),
        },
      ];
      const ids = new Map<string, string>();
      for (const ad of ads) {
        const res = await mutate<{ createPosting: PostingPayload }>(CREATE, {
          externalId: ad.externalId,
          source: ad.source,
          role: 'delete-check',
          company: ad.company,
          title: ad.title,
          location: ad.location,
          salaryMin: ad.salary,
          postedAt: ad.postedAt.toISOString(),
        });
        expect(res.data?.createPosting.userErrors).toEqual([]);
        ids.set(ad.externalId, res.data?.createPosting.posting?.id as string);
      }
      const query = `{ role(slug: "delete-check") {
        stats { openings postingsSeen duplicatesRemoved salary { count mean } }
        all: stats(dedupe: false) { openings salary { count } } } }`;
      type Figures = {
        role: {
          stats: {
            openings: number;
            postingsSeen: number;
            duplicatesRemoved: number;
            salary: { count: number; mean: number | null };
          };
          all: { openings: number; salary: { count: number } };
        };
      };
      const check = async (remaining: Ad[]) => {
        const expected = expectedFigures(remaining);
        const res = await gql<Figures>(server.url, query);
        expect(res.errors).toBeUndefined();
        const got = res.data?.role;
        expect(got?.stats).toMatchObject({
          openings: expected.openings,
          postingsSeen: expected.postingsSeen,
          duplicatesRemoved: expected.duplicatesRemoved,
        });
        expect(got?.stats.salary.count).toBe(expected.salaries.length);
        expect(got?.stats.salary.mean).toBeCloseTo(mean(expected.salaries) as number, 6);
        expect(got?.all).toEqual({
          openings: remaining.length,
          salary: { count: remaining.filter((a) => a.salary !== null).length },
        });
        const stored = await db.pool.query<{ external_id: string; group_id: number | null; id: number }>(
          `SELECT p.external_id, p.id, p.group_id FROM posting p JOIN role r ON r.id = p.role_id WHERE r.slug = 'delete-check' ORDER BY p.external_id`,
        );
        // Each posting's group is its earliest member's: the leaders are those of the independent grouping.
        const leaders = stored.rows.filter((r) => r.group_id === null || r.group_id === r.id).map((r) => r.external_id);
        expect(leaders.sort()).toEqual(expected.leaders);
      };
      await check(ads);
      expect(expectedFigures(ads).duplicatesRemoved).toBe(2);

      const before = await rowCounts(db);
      const deleted = await mutate<{ deletePosting: { deletedId: string | null; userErrors: UserError[] } }>(DELETE, {
        id: ids.get('d1'),
      });
      expect(deleted.errors).toBeUndefined();
      expect(deleted.data?.deletePosting).toEqual({ deletedId: ids.get('d1'), userErrors: [] });
      const after = await rowCounts(db);
      expect(after.postings).toBe(before.postings! - 1);
      expect(after.observations).toBe(before.observations! - 1);
      await check(ads.filter((a) => a.externalId !== 'd1'));
      const d3 = await gql<{ node: { duplicateOf: { externalId: string } | null } }>(
        server.url,
        `query($id: ID!) { node(id: $id) { ... on Posting { duplicateOf { externalId } } } }`,
        { id: ids.get('d3') },
      );
      expect(d3.data?.node.duplicateOf).toEqual({ externalId: 'd2' });
      expect(
        (await gql<{ node: unknown }>(server.url, `query($id: ID!) { node(id: $id) { id } }`, { id: ids.get('d1') }))
          .data?.node,
      ).toBeNull();

      // The next leader goes too: the last duplicate is a group of its own.
      await mutate(DELETE, { id: ids.get('d2') });
      await check(ads.filter((a) => a.externalId === 'd3' || a.externalId === 'd4'));

      // An id deleted already, or no posting's id, is a user error on input.id, and nothing changes.
      const unchanged = await rowCounts(db);
      for (const bad of [ids.get('d1'), 'nonsense', Buffer.from('Role:1').toString('base64url')]) {
        const res = await mutate<{
          deletePosting: { deletedId: string | null; userErrors: (UserError & { rule: string })[] };
        }>(DELETE, { id: bad });
        expect(res.data?.deletePosting).toEqual({
          deletedId: null,
          userErrors: [{ field: ['input', 'id'], rule: 'postingId', message: 'is not the id of a posting' }],
        });
      }
      expect(await rowCounts(db)).toEqual(unchanged);
    });
  });

  describe('reportSalary', () => {
    it('stores an annualized, converted salary report and the mean follows at once', async () => {
      const observedAt = daysAgo(2).toISOString();
      const res = await mutate<{
        reportSalary: { salaryReport: Record<string, unknown> | null; userErrors: UserError[] };
      }>(REPORT, {
        externalId: 'sr1',
        role: 'data-engineer',
        amount: 4000,
        currency: 'eur',
        period: 'MONTH',
        observedAt,
        country: 'fr',
      });
      expect(res.errors).toBeUndefined();
      expect(res.data?.reportSalary.userErrors).toEqual([]);
      const report = res.data?.reportSalary.salaryReport;
      expect(report).toMatchObject({
        source: 'manual',
        externalId: 'sr1',
        amount: 48000,
        currency: 'EUR',
        observedAt,
        country: 'FR',
        role: { slug: 'data-engineer', title: 'Data Engineer' },
      });
      expect(report?.amountUsd).toBeCloseTo(48000 * 1.1, 6);
      reports.push({
        externalId: 'sr1',
        amount: 4000,
        currency: 'EUR',
        period: 'MONTH',
        observedAt: new Date(observedAt),
      });
      const after = await stats();
      expect(after?.salary.count).toBe(expectedStats().count);
      expect(after?.salary.mean).toBeCloseTo(expectedStats().mean as number, 6);
    });

    it('reports broken rules as the import of observations does, and writes nothing', async () => {
      const input = {
        externalId: 'sr2',
        role: 'data-engineer',
        amount: 0,
        currency: 'JPY',
        observedAt: '2026-01-01',
        country: 'XX',
      };
      const expected = await importerErrors(db, 'observations', input);
      expect(expected.map((e) => e.rule)).toEqual(['positiveNumber', 'knownCurrency', 'countryCode']);
      const before = await rowCounts(db);
      const res = await mutate<{ reportSalary: { salaryReport: unknown; userErrors: UserError[] } }>(REPORT, input);
      expect(res.data?.reportSalary).toEqual({
        salaryReport: null,
        userErrors: expected.map((e) => ({ field: ['input', e.field], message: e.message })),
      });
      expect(await rowCounts(db)).toEqual(before);
    });
  });

  describe('upsertRole', () => {
    type RolePayload = {
      upsertRole: {
        role: {
          id: string;
          slug: string;
          title: string;
          summary: string | null;
          responsibilities: { position: number; title: string; text: string }[];
          careerSteps: { position: number; title: string; text: string }[];
        } | null;
        userErrors: UserError[];
      };
    };

    it('creates a role page and replaces it as a whole', async () => {
      const created = await mutate<RolePayload>(UPSERT_ROLE, {
        slug: 'site-reliability-engineer',
        title: 'Site Reliability Engineer',
        summary: 'Keeps services up.',
        responsibilities: [
          { title: 'On call', text: 'Answers pages.' },
          { title: 'Automation', text: 'Removes toil.' },
        ],
        careerSteps: [{ title: 'Operations', text: 'Start in operations.' }],
      });
      expect(created.errors).toBeUndefined();
      expect(created.data?.upsertRole.userErrors).toEqual([]);
      expect(created.data?.upsertRole.role).toMatchObject({
        slug: 'site-reliability-engineer',
        title: 'Site Reliability Engineer',
        summary: 'Keeps services up.',
        responsibilities: [
          { position: 1, title: 'On call', text: 'Answers pages.' },
          { position: 2, title: 'Automation', text: 'Removes toil.' },
        ],
        careerSteps: [{ position: 1, title: 'Operations', text: 'Start in operations.' }],
      });
      const replaced = await mutate<RolePayload>(UPSERT_ROLE, {
        slug: 'site-reliability-engineer',
        title: 'SRE',
        responsibilities: [{ title: 'Automation', text: 'Removes toil.' }],
      });
      expect(replaced.data?.upsertRole.role).toMatchObject({
        id: created.data?.upsertRole.role?.id,
        title: 'SRE',
        summary: null,
        responsibilities: [{ position: 1, title: 'Automation', text: 'Removes toil.' }],
        careerSteps: [],
      });
      const read = await gql<{ role: { title: string; responsibilities: { title: string }[] } | null }>(
        server.url,
        `{ role(slug: "site-reliability-engineer") { title responsibilities { title } } }`,
      );
      expect(read.data?.role).toEqual({ title: 'SRE', responsibilities: [{ title: 'Automation' }] });
    });

    it('reports the role schema rules at their paths and writes nothing', async () => {
      const before = await rowCounts(db);
      const res = await mutate<RolePayload>(UPSERT_ROLE, {
        slug: 'Not A Slug',
        title: '   ',
        summary: 'Pays {{unknownFigure}}.',
        responsibilities: [
          { title: 'Fine', text: 'Fine.' },
          { title: '', text: 'No title.' },
        ],
      });
      expect(res.data?.upsertRole.role).toBeNull();
      expect(res.data?.upsertRole.userErrors).toEqual([
        { field: ['input', 'slug'], message: 'must match [a-z0-9]+(-[a-z0-9]+)*' },
        { field: ['input', 'title'], message: 'must not be empty' },
        { field: ['input', 'summary'], message: 'may only use the placeholders listed in docs/methodology.md' },
        { field: ['input', 'responsibilities', '1', 'title'], message: 'must not be empty' },
      ]);
      expect(await rowCounts(db)).toEqual(before);
    });
  });

  describe('API keys', () => {
    const writes: [string, string, Record<string, unknown>][] = [
      [
        'createPosting',
        CREATE,
        { externalId: 'auth1', role: 'auth-role', company: 'Nobody', salaryMin: 1, postedAt: '2026-01-01' },
      ],
      ['reportSalary', REPORT, { externalId: 'auth2', role: 'auth-role', amount: 1, observedAt: '2026-01-01' }],
      [
        'upsertRole',
        UPSERT_ROLE,
        { slug: 'auth-role', title: 'Auth Role', responsibilities: [{ title: 'a', text: 'b' }] },
      ],
    ];

    async function expectUnauthenticated(headers: Record<string, string>, secret?: string): Promise<void> {
      const postingId = (await db.pool.query<{ id: number }>(`SELECT id FROM posting WHERE external_id = 'p1'`)).rows[0]
        ?.id;
      const id = Buffer.from(`Posting:${postingId}`).toString('base64url');
      const all: [string, string, Record<string, unknown>][] = [
        ...writes,
        ['updatePosting', UPDATE, { id, title: 'hijacked', salaryMin: 1 }],
        ['closePosting', CLOSE, { id }],
        [
          'upsertPosting',
          UPSERT,
          { externalId: 'p1', source: 'test', role: 'data-engineer', company: 'Hijacked', postedAt: '2026-01-01' },
        ],
        ['deletePosting', DELETE, { id }],
      ];
      const before = await rowCounts(db);
      for (const [name, query, input] of all) {
        const res = await gql<Record<string, unknown>>(server.url, query, { input }, headers);
        expect(res.status).toBe(401);
        expect(res.data ?? null).toBeNull();
        expect(res.errors).toHaveLength(1);
        const error = res.errors?.[0];
        expect(error?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(error?.message).toContain('Authorization: Bearer <key>');
        expect(error?.message).toContain('npm run apikey -- create');
        if (secret) expect(JSON.stringify(res)).not.toContain(secret);
        expect(name).toBeTruthy();
      }
      expect(await rowCounts(db)).toEqual(before);
      const p1 = await db.pool.query<{ title: string | null; closed_at: Date | null }>(
        `SELECT title, closed_at FROM posting WHERE external_id = 'p1'`,
      );
      expect(p1.rows[0]).toEqual({ title: null, closed_at: null });
      const role = await db.pool.query(`SELECT 1 FROM role WHERE slug = 'auth-role'`);
      expect(role.rowCount).toBe(0);
    }

    it('refuses every mutation without an Authorization header, and writes nothing', async () => {
      await expectUnauthenticated({});
      const res = await gql(server.url, CREATE, { input: writes[0]![2] });
      expect(res.errors?.[0]?.message).toMatch(/^Mutations need an API key/);
    });

    it('refuses a wrong key, a forged key with a real prefix, a malformed header and a revoked key', async () => {
      const made = await createApiKey(db.pool, 'short-lived');
      const realPrefix = made.key.split('_')[1] as string;
      const forged = `jsk_${realPrefix}_${crypto.randomBytes(32).toString('base64url')}`;
      const unknown = `jsk_${'0'.repeat(12)}_${crypto.randomBytes(32).toString('base64url')}`;
      await expectUnauthenticated({ authorization: `Bearer ${unknown}` }, unknown);
      await expectUnauthenticated({ authorization: `Bearer ${forged}` }, forged);
      await expectUnauthenticated({ authorization: `Basic ${made.key}` }, made.key);
      await expectUnauthenticated({ authorization: 'Bearer' });
      // The key works until it is revoked.
      const ok = await gql<{ upsertRole: { userErrors: UserError[] } }>(
        server.url,
        UPSERT_ROLE,
        { input: { slug: 'temp-role', title: 'Temp' } },
        { authorization: `Bearer ${made.key}` },
      );
      expect(ok.data?.upsertRole.userErrors).toEqual([]);
      expect((await revokeApiKeys(db.pool, realPrefix)).map((k) => k.name)).toEqual(['short-lived']);
      await expectUnauthenticated({ authorization: `Bearer ${made.key}` }, made.key);
      expect(
        JSON.stringify(
          (await gql(server.url, CREATE, { input: writes[0]![2] }, { authorization: `Bearer ${made.key}` })).errors,
        ),
      ).toMatch(/not valid/);
    });

    /** Runs `work` and returns how many statements it sent that read or wrote api_key. */
    async function keyStatements(work: () => Promise<unknown>): Promise<number> {
      const spy = jest.spyOn(db.pool, 'query');
      try {
        await work();
        return spy.mock.calls.filter(([sql]) => /\bapi_key\b/.test(typeof sql === 'string' ? sql : JSON.stringify(sql)))
          .length;
      } finally {
        spy.mockRestore();
      }
    }

    it('lets queries through without a key and never looks at the key for them', async () => {
      let res: Awaited<ReturnType<typeof gql<StatsData>>> | undefined;
      const statements = await keyStatements(async () => {
        res = await gql<StatsData>(server.url, STATS, { slug: 'data-engineer' }, { authorization: 'Bearer garbage' });
      });
      expect(res?.errors).toBeUndefined();
      expect(res?.data?.role?.stats.openings).toBe(expectedStats().openings);
      expect(statements).toBe(0);
    });

    it('checks the key once for a document of several mutations and records when it was last used', async () => {
      const made = await createApiKey(db.pool, 'batch');
      const prefix = made.key.split('_')[1] as string;
      const doc = `mutation { a: upsertRole(input: { slug: "batch-a", title: "A" }) { userErrors { message } }
                              b: upsertRole(input: { slug: "batch-b", title: "B" }) { userErrors { message } } }`;
      let res: Awaited<ReturnType<typeof gql<Record<string, { userErrors: UserError[] }>>>> | undefined;
      // One SELECT of the key and one UPDATE of last_used_at, for both mutations together.
      const statements = await keyStatements(async () => {
        res = await gql<Record<string, { userErrors: UserError[] }>>(
          server.url,
          doc,
          {},
          { authorization: `Bearer ${made.key}` },
        );
      });
      expect(res?.errors).toBeUndefined();
      expect(res?.data).toEqual({ a: { userErrors: [] }, b: { userErrors: [] } });
      expect(statements).toBe(2);
      const used = await db.pool.query<{ last_used_at: Date | null }>(
        'SELECT last_used_at FROM api_key WHERE prefix = $1',
        [prefix],
      );
      const lastUsed = used.rows[0]?.last_used_at;
      expect(lastUsed).toBeInstanceOf(Date);
      // A second use within the minute reads the key but does not write last_used_at again.
      const second = await keyStatements(() =>
        gql(
          server.url,
          `mutation { upsertRole(input: { slug: "batch-a", title: "A2" }) { userErrors { message } } }`,
          {},
          { authorization: `Bearer ${made.key}` },
        ),
      );
      expect(second).toBe(1);
      const again = await db.pool.query<{ last_used_at: Date | null }>(
        'SELECT last_used_at FROM api_key WHERE prefix = $1',
        [prefix],
      );
      expect(again.rows[0]?.last_used_at?.getTime()).toBe(lastUsed?.getTime());
    });
  });

  it('checks the key once for a batched HTTP request of several operations', async () => {
    const made = await createApiKey(db.pool, 'batched');
    const op = (slug: string) => ({
      query: `mutation { upsertRole(input: { slug: "${slug}", title: "T" }) { userErrors { message } } }`,
    });
    const spy = jest.spyOn(db.pool, 'query');
    try {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${made.key}` },
        body: JSON.stringify([
          op('batched-a'),
          op('batched-b'),
          { query: STATS.replace('($slug: String!)', '').replace('$slug', '"data-engineer"') },
        ]),
      });
      const body = (await res.json()) as { data?: unknown; errors?: unknown }[];
      expect(body.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
      const keyStatements = spy.mock.calls.filter(([sql]) => typeof sql === 'string' && /\bapi_key\b/.test(sql));
      expect(keyStatements).toHaveLength(2); // the SELECT and the first last_used_at UPDATE
    } finally {
      spy.mockRestore();
    }
  });

  describe('npm run apikey', () => {
    const run = (...args: string[]) => runScript('scripts/apikey.ts', args, { DATABASE_URL: db.url });

    it('creates a key shown once and stored as its SHA-256, lists it without the key, and revokes it', async () => {
      const created = await run('create', 'ci pipeline');
      expect(created.stderr).toContain('Authorization: Bearer');
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(/^jsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      const prefix = key.split('_')[1] as string;

      const stored = await db.pool.query<Record<string, unknown>>('SELECT * FROM api_key WHERE prefix = $1', [prefix]);
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0]?.hash).toBe(crypto.createHash('sha256').update(key).digest('hex'));
      expect(stored.rows[0]?.name).toBe('ci pipeline');
      expect(JSON.stringify(stored.rows[0])).not.toContain(key.split('_').slice(2).join('_'));

      const works = await gql<{ upsertRole: { userErrors: UserError[] } }>(
        server.url,
        UPSERT_ROLE,
        { input: { slug: 'cli-role', title: 'CLI' } },
        { authorization: `Bearer ${key}` },
      );
      expect(works.data?.upsertRole.userErrors).toEqual([]);

      const listed = await run('list');
      expect(listed.code).toBe(0);
      const line = listed.stdout.split('\n').find((l) => l.startsWith(prefix));
      expect(line).toContain('ci pipeline');
      expect(listed.stdout).not.toContain(key);
      expect(listed.stdout).not.toContain(stored.rows[0]?.hash as string);
      const json = JSON.parse((await run('list', '--json')).stdout) as Record<string, unknown>[];
      const mine = json.find((k) => k.prefix === prefix);
      expect(Object.keys(mine ?? {}).sort()).toEqual(['createdAt', 'lastUsedAt', 'name', 'prefix', 'revokedAt']);
      expect(mine?.revokedAt).toBeNull();
      expect(mine?.lastUsedAt).not.toBeNull();

      const revoked = await run('revoke', prefix);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`Revoked API key "ci pipeline" (prefix ${prefix})`);
      const after = JSON.parse((await run('list', '--json')).stdout) as Record<string, unknown>[];
      expect(after.find((k) => k.prefix === prefix)?.revokedAt).not.toBeNull();
      const refused = await gql(
        server.url,
        UPSERT_ROLE,
        { input: { slug: 'cli-role', title: 'CLI 2' } },
        { authorization: `Bearer ${key}` },
      );
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      const again = await run('revoke', prefix);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('no active API key');
    });

    it('revokes by name, and refuses bad usage with exit status 2', async () => {
      const a = await run('create', 'team-x');
      const b = await run('create', 'team-x');
      expect([a.code, b.code]).toEqual([0, 0]);
      const revoked = await run('revoke', 'team-x');
      expect(revoked.stdout.trim().split('\n')).toHaveLength(2);
      expect((await run('create', '   ')).code).toBe(2);
      expect((await run('rotate')).code).toBe(2);
      expect((await run('create')).code).toBe(2);
    });
  });
});
