import pg from 'pg';
import crypto from 'node:crypto';
import { parseLsn, ReplicaRouter, type ReplicaState } from '../../src/db/replicas.ts';
import { openSharedState } from '../../src/shared-state/index.ts';
import { sharedWriteMarks } from '../../src/shared-state/write-marks.ts';
import {
  postgresBinDir,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../hardening/support/throwaway-postgres.ts';

const describeWithServer = postgresBinDir() ? describe : describe.skip;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  limitMs = 60_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('WAL positions compare as numbers', () => {
  expect(parseLsn('0/0')).toBe(0n);
  expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
  expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
  expect(() => parseLsn('16-B3')).toThrow('not a WAL position');
});

describeWithServer('replica router over a real streaming replica (pg_basebackup -R)', () => {
  let primary: ThrowawayPostgres;
  let replica: ThrowawayPostgres;
  let primaryPool: pg.Pool;
  let router: ReplicaRouter;
  const changes: ReplicaState[] = [];

  beforeAll(async () => {
    primary = await startThrowawayPostgres();
    replica = await startThrowawayPostgres({ replicaOf: primary });
    primaryPool = new pg.Pool({ connectionString: primary.url, max: 2 });
    await primaryPool.query('CREATE TABLE marker (id int PRIMARY KEY)');
    router = new ReplicaRouter(primaryPool, [replica.url], {
      maxLagMs: 30_000,
      checkIntervalMs: 200,
      poolMax: 2,
      connectTimeoutMs: 1000,
      onStateChange: (state) => changes.push(state),
    });
    await router.start();
  }, 180_000);

  afterAll(async () => {
    await router?.close();
    await primaryPool?.end();
    await replica?.destroy();
    await primary?.destroy();
  });

  test('reads go to the healthy replica, which is a standby', async () => {
    await until('replica healthy', () => (router.states()[0]?.healthy ? true : undefined));
    const target = router.pick();
    expect(target.replica).toBe(true);
    const { rows } = await target.pool.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    expect(rows[0]?.standby).toBe(true);
  });

  test('a client that wrote reads from the primary until the replica has replayed its write', async () => {
    await primaryPool.query('INSERT INTO marker VALUES (1)');
    await router.rememberWrite('key-1');
    const first = router.pick('key-1');
    // Either the replica already had it at the last check (then reading there is safe) or not.
    const seen = await until('the write on the replica', async () => {
      await router.check();
      const target = router.pick('key-1');
      if (!target.replica) return undefined;
      const { rows } = await target.pool.query('SELECT 1 FROM marker WHERE id = 1');
      return rows.length;
    });
    expect(seen).toBe(1);
    expect(['primary', router.states()[0]?.name]).toContain(first.name);
    // Anonymous readers were never held back.
    expect(router.pick().replica).toBe(true);
  });

  test('a write through one instance keeps the writer on the primary in another instance too (marks in Redis)', async () => {
    const shared = openSharedState({
      url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: `jobstats-test-${crypto.randomBytes(6).toString('hex')}:`,
    });
    expect(await shared.ready(10_000)).toBe(true);
    const marks = sharedWriteMarks(shared, 60_000);
    const options = { maxLagMs: 30_000, checkIntervalMs: 60_000, poolMax: 2, connectTimeoutMs: 1000, marks };
    const here = new ReplicaRouter(primaryPool, [replica.url], options);
    const there = new ReplicaRouter(primaryPool, [replica.url], options);
    try {
      await here.start();
      await there.start();
      expect((await there.route('key-2').choose()).replica).toBe(true);
      // Checked before the write reaches the replica: `there` knows the replica's older position.
      await primaryPool.query('INSERT INTO marker VALUES (2)');
      await here.rememberWrite('key-2');
      expect((await there.route('key-2').choose()).replica).toBe(false);
      // Another client is not held back.
      expect((await there.route('key-3').choose()).replica).toBe(true);
      await until('the replica replaying the write', async () => {
        await there.check();
        return (await there.route('key-2').choose()).replica ? true : undefined;
      });
    } finally {
      await here.close();
      await there.close();
      const keys = (await shared.redis?.keys(`${shared.prefix}*`)) ?? [];
      if (keys.length) await shared.redis?.del(...keys);
      await shared.close();
    }
  });

  test('a stopped replica is taken out, and put back once it runs again', async () => {
    await replica.stop('fast');
    await until('replica marked down', async () => {
      await router.check();
      return router.states()[0]?.healthy === false ? true : undefined;
    });
    expect(router.pick().replica).toBe(false);
    expect(router.states()[0]?.reason).toMatch(/unreachable/);
    await replica.start();
    await until('replica back', async () => {
      await router.check();
      return router.states()[0]?.healthy ? true : undefined;
    });
    expect(router.pick().replica).toBe(true);
    expect(changes.map((c) => c.healthy)).toEqual([true, false, true]);
  }, 120_000);
});
