import { createApolloServer } from '../../src/graphql/apollo.ts';
import { contextFactory } from '../../src/graphql/context.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { fetchRolePage } from '../../src/report/role-page-query.ts';
import { startSeededServer, type SeededServer } from '../support/seeded-server.ts';

// What a cold role page reads, one statement each, when the import stored its panels (the seed
// is imported): the role with its responsibilities and career steps; one lookup of every stored
// panel (the headline, breakdowns, trend and source mix: src/stats/figure-snapshots.ts); and the
// role's sources, which count every posting whatever its dates.
const COLD_PAGE_STATEMENTS = 3;
// When a later write to the role outdated its stored panels: the role; the lookup, which finds
// none current (rows of the current shared version exist, so it runs); the headline figures with
// the salary, its histogram and the figures with outliers; the trend; the source mix, the
// seniority and country breakdowns, and the role's sources.
const COMPUTED_PAGE_STATEMENTS = 8;

describe('the role page in few statements', () => {
  // A fresh database (and so an empty figure cache) for each test: both start cold.
  let seeded: SeededServer;
  beforeEach(async () => {
    seeded = await startSeededServer();
  });
  afterEach(() => seeded.close());

  const statementsOf = async <T>(run: () => Promise<T>) => {
    const before = seeded.db.counter.count;
    const result = await run();
    return { result, statements: seeded.db.counter.count - before };
  };
  const get = (headers: Record<string, string> = {}) =>
    statementsOf(async () => {
      const res = await fetch(`${seeded.url}/roles/backend-developer`, { headers });
      return { status: res.status, etag: res.headers.get('etag'), html: await res.text() };
    });

  it('reads a cold role page in 3 statements, a warm one in 1, and answers its revalidation without any', async () => {
    const cold = await get();
    expect(cold.result.status).toBe(200);
    expect(cold.result.html).toContain('Backend Developer');
    expect(cold.statements).toBe(COLD_PAGE_STATEMENTS);

    const warm = await get();
    expect(warm.result.html).toBe(cold.result.html);
    // The role and its lists; the figures come from the cache, the ETag's version from the snapshot's BEGIN.
    expect(warm.statements).toBe(1);

    const etag = warm.result.etag as string;
    expect(etag).toMatch(/^W\//);
    const revalidated = await get({ 'if-none-match': etag });
    expect(revalidated.result.status).toBe(304);
    expect(revalidated.statements).toBe(0);
  });

  it('computes a role page whose stored panels a later write to the role outdated in 8 statements', async () => {
    // A write that changes no figure still changes the role's version: its stored panels no longer answer.
    await seeded.db.pool.query(`UPDATE posting SET title = title WHERE id = (SELECT min(id) FROM posting)`);
    const cold = await get();
    expect(cold.result.status).toBe(200);
    expect(cold.statements).toBe(COMPUTED_PAGE_STATEMENTS);
  });

  it('renders the Markdown report from the same statements', async () => {
    const apollo = createApolloServer({ production: false });
    const createContext = contextFactory(seeded.db);
    const { result, statements } = await statementsOf(() =>
      fetchRolePage(apollo, () => createContext(), 'backend-developer'),
    );
    expect(result).not.toBeNull();
    expect(renderMarkdown(result as NonNullable<typeof result>)).toContain('# Backend Developer');
    expect(statements).toBe(COLD_PAGE_STATEMENTS);
  });
});
