/**
 * npm run reprocess [-- --batch-size N] [--roles RULES.json] [--default-role SLUG]
 *
 * Re-derives, for every stored posting, what the import derives: the duplicate key, the role of
 * postings classified by their title (with the import's --roles and --default-role), the salary
 * of postings whose salary was read from salaryText, the degree requirement read from the
 * description, and the groups of duplicates (with DEDUPE_WINDOW_DAYS), after the rules or the
 * window changed.
 * Idempotent; each batch is one transaction. Exit status: 0 done, 2 usage error or unusable
 * environment (configuration, database).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../src/config.ts';
import { DatabaseUnavailableError, openDatabase, type Database } from '../src/db/database.ts';
import { readTitleRulesFile } from '../src/importer/raw-postings.ts';
import { TitleRulesError } from '../src/importer/raw/title-rules.ts';
import { DEFAULT_REPROCESS_BATCH, reprocessPostings, type ReprocessSummary } from '../src/importer/reprocess.ts';

const LOG_EVERY_ROWS = 100_000;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

const rate = (rows: number, seconds: number): string =>
  seconds > 0 ? Math.round(rows / seconds).toLocaleString('en-US') : '-';

/** The import's progress output: a bar on a terminal, else a line every 100,000 rows. */
function progressReporter(): { update(rows: number, total: number): void; stop(): void } {
  const started = Date.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: '{bar} {percentage}% | {rows} rows | {speed} rows/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let begun = false;
    return {
      update(rows, total) {
        if (!begun) bar.start(total, 0, { rows: 0, speed: '-' });
        begun = true;
        bar.setTotal(total);
        bar.update(rows, { rows: rows.toLocaleString('en-US'), speed: rate(rows, (Date.now() - started) / 1000) });
      },
      stop: () => bar.stop(),
    };
  }
  let next = LOG_EVERY_ROWS;
  return {
    update(rows, total) {
      if (rows < next) return;
      next = (Math.floor(rows / LOG_EVERY_ROWS) + 1) * LOG_EVERY_ROWS;
      const share = total ? ` (${Math.round((100 * rows) / total)}% of the postings)` : '';
      process.stderr.write(
        `${rows.toLocaleString('en-US')} rows read${share}, ${rate(rows, (Date.now() - started) / 1000)} rows/s\n`,
      );
    },
    stop() {},
  };
}

function printSummary(summary: ReprocessSummary, windowDays: number): void {
  const changed = Object.entries(summary.changed)
    .map(([step, n]) => `${step} changed ${n}`)
    .join(', ');
  process.stderr.write(
    `postings reprocessed (window ${windowDays} days): read ${summary.postings} in ${summary.batches} batches, ${changed} ` +
      `in ${summary.seconds.toFixed(1)} s (${rate(summary.postings, summary.seconds)} rows/s)\n`,
  );
  if (summary.unclassifiedTitles > 0) {
    process.stderr.write(
      `${summary.unclassifiedTitles} postings classified by title match no title rule now and kept their role ` +
        '(give --default-role to move them)\n',
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('reprocess')
    .description(
      'Re-derive the duplicate key, the role classified by title, the salary read from salaryText, the degree requirement ' +
        'read from the description and the groups of duplicates of every stored posting (after the rules or ' +
        'DEDUPE_WINDOW_DAYS changed), in batches, each in its own transaction; running it twice changes nothing the second time.',
    )
    .option('--batch-size <n>', 'postings per batch', positiveInteger, DEFAULT_REPROCESS_BATCH)
    .option('--roles <file>', "title rules (a JSON list) before those of data/roles/*.json, as the import's --roles")
    .option(
      '--default-role <slug>',
      'role of postings classified by title that no rule matches (else they keep their role)',
    )
    .option('--json', 'print the summary as one JSON object on standard output')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError)
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : 2;
    throw error;
  }
  const options = program.opts<{ batchSize: number; roles?: string; defaultRole?: string; json?: boolean }>();
  let db: Database | undefined;
  const progress = progressReporter();
  try {
    const titleRules = options.roles !== undefined ? readTitleRulesFile(options.roles) : undefined;
    if (options.defaultRole !== undefined && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(options.defaultRole)) {
      throw new TitleRulesError(
        `--default-role ${JSON.stringify(options.defaultRole)}: must be a role slug such as data-scientist`,
      );
    }
    const config = loadConfig();
    db = await openDatabase({
      url: config.DATABASE_URL,
      pgliteDir: config.pgliteDir,
      migrate: true,
      workMem: config.DB_WORK_MEM,
    });
    const summary = await reprocessPostings(db.pool, {
      batchSize: options.batchSize,
      titleRules,
      defaultRole: options.defaultRole,
      salaryBounds: { minUsdPerYear: config.SALARY_MIN_USD_PER_YEAR, maxUsdPerYear: config.SALARY_MAX_USD_PER_YEAR },
      windowDays: config.DEDUPE_WINDOW_DAYS,
      onProgress: (p) => progress.update(p.rows, p.total),
    });
    progress.stop();
    if (options.json)
      await new Promise<void>((resolve) => process.stdout.write(JSON.stringify(summary) + '\n', () => resolve()));
    else printSummary(summary, config.DEDUPE_WINDOW_DAYS);
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof ConfigError || error instanceof DatabaseUnavailableError || error instanceof TitleRulesError) {
      process.stderr.write(`reprocess: ${error.message}\n`);
      return 2;
    }
    const err = error as Error & { code?: string };
    process.stderr.write(`reprocess failed: ${err.code ? `${err.code}: ` : ''}${err.message}\n`);
    return 2;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`reprocess failed: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
