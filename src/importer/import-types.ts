import type { Readable } from 'node:stream';
import type { FieldError } from '../domain/field-rules.ts';
import type { SalaryBounds } from '../domain/salary.ts';
import type { TitleRule } from './raw/title-rules.ts';

/** What a file holds: job postings, standalone salary reports or exchange rates. */
export type ImportKind = 'postings' | 'observations' | 'rates';

export const IMPORT_KINDS: readonly ImportKind[] = ['postings', 'observations', 'rates'];

export type ImportFormat = 'csv' | 'ndjson' | 'jobposting';

/** Rows per derived value, for the import summary (postings only). */
export interface RawPostingCounts {
  /** Valid rows per role slug (stated or classified from the title). */
  roles: Record<string, number>;
  /** Rows whose role came from a title rule, and from --default-role. */
  classified: number;
  defaulted: number;
  /** Salary texts read into a salary, and those that could not be read, per reason. */
  salaryTextRead: number;
  salaryTextUnreadable: Record<string, number>;
  /** Valid rows per education requirement label. */
  education: Record<string, number>;
}

/** A rejected row: the field error plus where the record starts in the file (the header is line 1). */
export interface RowError extends FieldError {
  line: number;
  externalId: string | null;
  /** JobPosting HTML/JSON files and folders: the file and the posting's 1-based position in it. */
  file?: string;
  index?: number;
}

/** What the schemas need from the database: the currencies that have a rate (USD is always known). */
export interface ValidationContext {
  knownCurrencies: Set<string>;
}

export interface ImportProgress {
  /** Records read so far (valid or not). */
  rows: number;
  /** Bytes of input consumed so far. */
  bytes: number;
}

export interface ImportOptions {
  /** Input format; by default from the file extension (.csv, .ndjson, .jsonl), CSV for stdin and streams. */
  format?: ImportFormat;
  /** One transaction for the whole file; nothing is written if any row is invalid. */
  atomic?: boolean;
  /** Validate and report only; nothing is written (inserted/updated/unchanged stay 0). */
  dryRun?: boolean;
  /** Write every rejected row, with its reasons, to this CSV file. */
  errorsFile?: string;
  /** Rows per batch (each batch is one transaction unless atomic). Default 10,000. */
  batchSize?: number;
  onProgress?: (progress: ImportProgress) => void;
  /** Name of the input for messages (defaults to the path, or `stdin`/`input`). */
  fileName?: string;
  /** How many row errors the summary keeps (all are counted and written to errorsFile). Default 1000. */
  maxErrors?: number;
  /**
   * Load staging with COPY FROM STDIN (true) or with one INSERT ... SELECT FROM unnest(...) per batch
   * (false). By default COPY unless the server is the embedded PGlite, whose socket cannot do COPY.
   */
  copy?: boolean;
  /**
   * The plausible salary range in USD a year (rule salaryImplausible); by default the database's
   * (`db.salaryBounds`, from SALARY_MIN_USD_PER_YEAR and SALARY_MAX_USD_PER_YEAR), else 1,000..10,000,000.
   */
  salaryBounds?: SalaryBounds;
  /** Postings: source of every row that does not name its own. */
  source?: string;
  /** Postings: rows without closedAt close this many days after postedAt. */
  expireAfterDays?: number;
  /** Postings (CSV, NDJSON): posting field -> the file's column name. */
  columns?: Record<string, string>;
  /** Postings: title rules that come before the role data files' rules. */
  titleRules?: TitleRule[];
  /** Postings: role of rows that no title rule classifies (else they are rejected, rule unclassifiedTitle). */
  defaultRole?: string;
  /** Folder of the role data files whose titleRules apply (default: the repository's data/roles). */
  rolesDir?: string;
}

export interface ImportSummary {
  kind: ImportKind;
  /** Records read (header excluded). */
  read: number;
  inserted: number;
  updated: number;
  /** Valid rows that changed nothing, including earlier duplicates superseded within a batch. */
  unchanged: number;
  /** Rows rejected (a row with several broken rules counts once). */
  rejected: number;
  seconds: number;
  /** The first `maxErrors` errors, in file order. */
  errors: RowError[];
  /** Notes that are not errors, e.g. unknown columns that were ignored, or currencies without a rate. */
  warnings: string[];
  /** Rows rejected for a currency without an exchange rate, by currency code (each also in `errors`). */
  missingRates: Record<string, number>;
  dryRun: boolean;
  atomic: boolean;
  /** True when --atomic rolled everything back because some row was invalid. */
  rolledBack: boolean;
  /** Postings: rows per role, salary texts read or not (per reason), education labels. */
  postings?: RawPostingCounts;
  /** Seconds spent in each stage of the import (ImportStages). */
  stages: ImportStages;
}

/**
 * Seconds per stage. `read` and `validate` are the importer's own work (parsing the input;
 * the field rules, derived values and COPY text); `stage`, `upsert`, `group` and `commit` are the
 * database's, per batch: loading the staging table (with the plausibility checks), the upserts of
 * the rows (roles, employers, postings with their salary observations, employer names), the
 * duplicate groups, and COMMIT. The importer parses the next batch, and on a server stages it on a
 * second connection, while the database writes the previous one, so the stages overlap and add up
 * to more than `seconds`; `waited` is the time the parser spent waiting for a free connection.
 * `figures` is the refresh of the figure snapshots of the roles written, once, after the last
 * commit (src/stats/figure-snapshots.ts).
 */
export interface ImportStages {
  read: number;
  validate: number;
  stage: number;
  upsert: number;
  group: number;
  commit: number;
  figures: number;
  waited: number;
}

export type ImportInput = string | NodeJS.ReadableStream | Readable;
