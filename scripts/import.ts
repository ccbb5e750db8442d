/**
 * npm run import -- postings|observations|rates FILE [options]
 *
 * Exit status: 0 every row imported, 1 some rows rejected (or --atomic rolled back),
 * 2 usage error, unreadable file or unusable environment (configuration, database).
 */
import fs from 'node:fs';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../src/config.ts';
import { DatabaseUnavailableError, openDatabase, type Database } from '../src/db/database.ts';
import { DEFAULT_BATCH_SIZE, formatFromPath, importFile } from '../src/importer/import-file.ts';
import { ImportFileError } from '../src/importer/import-file-error.ts';
import { readColumnMap, readTitleRulesFile } from '../src/importer/raw-postings.ts';
import { TitleRulesError } from '../src/importer/raw/title-rules.ts';
import type {
  ImportFormat,
  ImportKind,
  ImportProgress,
  ImportSummary,
  RowError,
} from '../src/importer/import-types.ts';

const PRINTED_ERRORS = 1000;
const LOG_EVERY_ROWS = 100_000;

interface CliOptions {
  format?: ImportFormat;
  atomic?: boolean;
  dryRun?: boolean;
  errors?: string;
  json?: boolean;
  batchSize: number;
  source?: string;
  expireAfter?: number;
  columns?: string;
  roles?: string;
  defaultRole?: string;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function buildProgram(): Command {
  return new Command('import')
    .description(
      'Import job postings, salary observations or exchange rates from a CSV or NDJSON file into the database ' +
        '(DATABASE_URL, or the embedded database in PGLITE_DIR when unset). Valid rows are upserted in batches, ' +
        'each committed in its own transaction; re-running the same file changes nothing. See docs/import-format.md.',
    )
    .addArgument(new Argument('<kind>', 'what the file holds').choices(['postings', 'observations', 'rates']))
    .argument('<file>', 'path of the file, or - to read standard input')
    .addOption(
      new Option(
        '--format <format>',
        'input format (default: from the extension: .ndjson/.jsonl are NDJSON, .html/.htm/.jsonld JobPosting, others CSV; CSV for -); ' +
          'jobposting: schema.org JobPosting objects as NDJSON, a JSON array, HTML with ld+json blocks, or a folder of such files',
      ).choices(['csv', 'ndjson', 'jobposting']),
    )
    .option('--source <name>', 'postings: the source of every row that does not name its own')
    .addOption(
      new Option(
        '--expire-after <days>',
        'postings: rows without closedAt/validThrough close this many days after they were posted',
      ).argParser(positiveInteger),
    )
    .option(
      '--columns <map.json>',
      'postings (CSV, NDJSON): JSON object mapping posting fields to the file\'s column names, e.g. {"title": "Job Title"}',
    )
    .option(
      '--roles <rules.json>',
      'postings: title rules [{"role": "data-scientist", "include": ["data scientist"], "exclude": ["intern"]}], before data/roles/*.json titleRules',
    )
    .option(
      '--default-role <slug>',
      'postings: role of rows that no title rule classifies (else they are rejected: unclassifiedTitle)',
    )
    .option('--atomic', 'one transaction for the whole file: nothing is written if any row is invalid')
    .option('--dry-run', 'validate and report only; write nothing (the database is still read for known currencies)')
    .option(
      '--errors <file>',
      'write the rejected rows to this CSV file: original fields, then line, field, value, rule, message',
    )
    .option('--json', 'print the summary (with the first 1000 errors) as one JSON object on standard output')
    .addOption(
      new Option('--batch-size <n>', 'valid rows per batch (one transaction each unless --atomic)')
        .argParser(positiveInteger)
        .default(DEFAULT_BATCH_SIZE),
    )
    .addHelpText(
      'after',
      '\nExit status: 0 all rows imported; 1 some rows rejected (nothing written with --atomic); ' +
        '2 usage error, unreadable file or unusable database/configuration.\n' +
        'Progress goes to standard error: a bar on a terminal, otherwise a line every 100,000 rows.',
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
}

function formatError(e: RowError): string {
  const where = e.file !== undefined ? `${e.file}, ${e.index !== undefined ? `posting ${e.index}, ` : ''}` : '';
  return `${where}line ${e.line}, externalId ${e.externalId ?? '-'}: field ${e.field} = ${JSON.stringify(e.value)}: ${e.rule} (${e.message})`;
}

function rate(rows: number, seconds: number): string {
  return seconds > 0 ? Math.round(rows / seconds).toLocaleString('en-US') : '-';
}

/** Progress on standard error: a bar on a terminal (file size as total), else a line per 100k rows. */
function progressReporter(totalBytes: number | undefined): { update(p: ImportProgress): void; stop(): void } {
  const started = Date.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: totalBytes
          ? '{bar} {percentage}% | {rows} rows | {speed} rows/s | ETA {eta_formatted}'
          : '{rows} rows | {speed} rows/s',
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(totalBytes ?? 1, 0, { rows: 0, speed: '-' });
    return {
      update(p) {
        const seconds = (Date.now() - started) / 1000;
        bar.update(totalBytes ? p.bytes : 0, { rows: p.rows.toLocaleString('en-US'), speed: rate(p.rows, seconds) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let next = LOG_EVERY_ROWS;
  return {
    update(p) {
      if (p.rows < next) return;
      next = (Math.floor(p.rows / LOG_EVERY_ROWS) + 1) * LOG_EVERY_ROWS;
      const seconds = (Date.now() - started) / 1000;
      const share = totalBytes ? ` (${Math.round((100 * p.bytes) / totalBytes)}% of the file)` : '';
      process.stderr.write(`${p.rows.toLocaleString('en-US')} rows read${share}, ${rate(p.rows, seconds)} rows/s\n`);
    },
    stop() {},
  };
}

function printSummary(summary: ImportSummary, fileName: string): void {
  const lines: string[] = [];
  const mode = summary.dryRun
    ? ' (dry run: nothing written)'
    : summary.rolledBack
      ? ' (--atomic: rolled back, nothing written)'
      : '';
  lines.push(
    `${summary.kind} from ${fileName}${mode}: read ${summary.read}, inserted ${summary.inserted}, updated ${summary.updated}, ` +
      `unchanged ${summary.unchanged}, rejected ${summary.rejected} in ${summary.seconds.toFixed(1)} s ` +
      `(${rate(summary.read, summary.seconds)} rows/s)`,
  );
  const p = summary.postings;
  if (p) {
    const roles = Object.entries(p.roles).sort(([a], [b]) => a.localeCompare(b));
    if (roles.length > 0)
      lines.push(
        `rows per role: ${roles.map(([role, n]) => `${role} ${n}`).join(', ')} (${p.classified} classified by title, ${p.defaulted} by --default-role)`,
      );
    const unreadable = Object.entries(p.salaryTextUnreadable);
    if (p.salaryTextRead > 0 || unreadable.length > 0) {
      const total = unreadable.reduce((n, [, c]) => n + c, 0);
      lines.push(
        `salary text: ${p.salaryTextRead} read, ${total} unreadable${total > 0 ? ` (${unreadable.map(([r, n]) => `${r} ${n}`).join(', ')}): salary left empty, rows kept` : ''}`,
      );
    }
    const education = Object.entries(p.education);
    if (education.length > 0)
      lines.push(`degree requirement: ${education.map(([label, n]) => `${label} ${n}`).join(', ')}`);
  }
  for (const w of summary.warnings) lines.push(`warning: ${w}`);
  // A missing rate is said once, in the warning above, not once per row (the rows are in --errors and --json).
  for (const e of summary.errors.slice(0, PRINTED_ERRORS)) if (e.rule !== 'knownCurrency') lines.push(formatError(e));
  if (summary.rejected > 0 && summary.errors.length < summary.rejected) {
    lines.push(`(first ${summary.errors.length} errors shown; use --errors FILE for all of them)`);
  }
  process.stderr.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? 0
        : 2;
    }
    throw error;
  }
  const [kind, file] = program.args as [ImportKind, string];
  const options = program.opts<CliOptions>();
  const fileName = file === '-' ? 'stdin' : file;
  const format = options.format ?? (file === '-' ? 'csv' : formatFromPath(file));
  let totalBytes: number | undefined;
  if (file !== '-') {
    // Checked before the database is opened, so that a wrong path fails at once.
    try {
      const stat = fs.statSync(file);
      if (stat.isFile()) totalBytes = stat.size;
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      process.stderr.write(
        `import: ${fileName}: ${err.code === 'ENOENT' ? 'no such file' : `cannot be read: ${err.message}`}\n`,
      );
      return 2;
    }
  }

  let db: Database | undefined;
  const progress = progressReporter(totalBytes);
  try {
    const titleRules = options.roles !== undefined ? readTitleRulesFile(options.roles) : undefined;
    const columns = options.columns !== undefined ? readColumnMap(options.columns) : undefined;
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
      embeddedRole: 'cli',
      // DB_POOL_MAX=1 makes the import stage and write each batch in turn (docs/import-format.md).
      poolMax: config.DB_POOL_MAX,
      // The figures the import precomputes once it has written sort as the service's reads do.
      workMem: config.DB_WORK_MEM,
      salaryBounds: { minUsdPerYear: config.SALARY_MIN_USD_PER_YEAR, maxUsdPerYear: config.SALARY_MAX_USD_PER_YEAR },
    });
    const summary = await importFile(db, kind, file, {
      format,
      atomic: options.atomic,
      dryRun: options.dryRun,
      errorsFile: options.errors,
      batchSize: options.batchSize,
      fileName,
      source: options.source,
      expireAfterDays: options.expireAfter,
      columns,
      titleRules,
      defaultRole: options.defaultRole,
      maxErrors: PRINTED_ERRORS,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    if (options.json) {
      await new Promise<void>((resolve) => process.stdout.write(JSON.stringify(summary) + '\n', () => resolve()));
    } else {
      printSummary(summary, fileName);
    }
    return summary.rejected > 0 ? 1 : 0;
  } catch (error) {
    progress.stop();
    if (
      error instanceof ImportFileError ||
      error instanceof ConfigError ||
      error instanceof DatabaseUnavailableError ||
      error instanceof TitleRulesError
    ) {
      process.stderr.write(`import: ${error.message}\n`);
      return 2;
    }
    const err = error as Error & { code?: string };
    process.stderr.write(`import failed: ${err.code ? `${err.code}: ` : ''}${err.message}\n`);
    return 2;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`import failed: ${(error as Error).message}\n`);
    process.exit(2);
  },
);
