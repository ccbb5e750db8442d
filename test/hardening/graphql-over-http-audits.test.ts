import fs from 'node:fs';
import path from 'node:path';
import { serverAudits } from 'graphql-http';
import type { RunningServer } from '../../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer } from '../support/server.ts';

const CONFORMANCE = path.resolve(__dirname, '../../docs/conformance.md');

describe('GraphQL-over-HTTP audits of graphql-http against the live server', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let results: { id: string; name: string; status: string; reason?: string }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db);
    results = [];
    for (const audit of serverAudits({ url: `${server.url}/graphql`, fetchFn: fetch })) {
      const result = await audit.fn();
      results.push({
        id: audit.id,
        name: audit.name,
        status: result.status,
        ...(result.status === 'ok' ? {} : { reason: result.reason }),
      });
    }
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('passes every MUST audit', () => {
    const musts = results.filter((r) => r.name.startsWith('MUST'));
    expect(musts.length).toBeGreaterThan(10);
    expect(musts.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(results.filter((r) => r.status === 'error')).toEqual([]);
  });

  it('fails only the SHOULD audits that docs/conformance.md lists, with their reasons', () => {
    const failing = results.filter((r) => r.name.startsWith('SHOULD') && r.status !== 'ok').map((r) => r.id);
    const documented = [...fs.readFileSync(CONFORMANCE, 'utf8').matchAll(/^\| `([0-9A-Z]{4})` \| SHOULD/gm)].map(
      (m) => m[1],
    );
    expect(failing.sort()).toEqual(documented.sort());
  });
});
