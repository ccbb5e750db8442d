import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { rawText, type FieldError } from '../domain/field-rules.ts';
import { ImportFileError } from './import-file-error.ts';
import type { ImportOptions, RawPostingCounts } from './import-types.ts';
import { POSTING_FIELDS, type PostingImportRow } from './posting-schema.ts';
import { parseTitleRules, TitleClassifier, TitleRulesError, type TitleRule } from './raw/title-rules.ts';

export const ROLES_DIR = path.resolve(__dirname, '../../data/roles');

/**
 * The title rules of the role data files (data/roles/<slug>.json, key `titleRules`: a list of
 * `{include, exclude}`; the role is the file's slug, its title the file's title), in slug order.
 */
export function loadRoleFileRules(dir: string = ROLES_DIR): TitleRule[] {
  let names: string[];
  let signature: string;
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
    signature = names.map((n) => `${n}:${fs.statSync(path.join(dir, n)).mtimeMs}`).join('|');
  } catch {
    return [];
  }
  // Every import (and every posting mutation, which is a one-row import) needs them: read again only when a file changed.
  const cached = ruleCache.get(dir);
  if (cached && cached.signature === signature) return cached.rules;
  const rules: TitleRule[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { slug?: unknown; title?: unknown; titleRules?: unknown };
    if (data.titleRules === undefined) continue;
    const list = Array.isArray(data.titleRules) ? data.titleRules : [data.titleRules];
    const withRole = list.map((r: unknown) =>
      typeof r === 'object' && r !== null ? { role: data.slug, title: data.title, ...r } : r,
    );
    rules.push(...parseTitleRules(withRole, `${file}: titleRules`));
  }
  ruleCache.set(dir, { signature, rules });
  return rules;
}

const ruleCache = new Map<string, { signature: string; rules: TitleRule[] }>();

/** Reads a --roles file: a JSON list of rules; anything else stops the import (TitleRulesError, naming the rule). */
export function readTitleRulesFile(file: string): TitleRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TitleRulesError(`${file}: is not a readable JSON file: ${(error as Error).message}`);
  }
  return parseTitleRules(parsed, file);
}

/** Reads a --columns file: a JSON object from posting field names to the file's column names. */
export function readColumnMap(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ImportFileError(file, null, `is not a readable JSON file: ${(error as Error).message}`);
  }
  return checkColumnMap(parsed, file);
}

export function checkColumnMap(map: unknown, where = 'the column map'): Record<string, string> {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new ImportFileError(
      where,
      null,
      'must be a JSON object from posting fields to column names, e.g. {"title": "Job Title"}',
    );
  }
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const [field, column] of Object.entries(map)) {
    if (!(POSTING_FIELDS as readonly string[]).includes(field)) {
      throw new ImportFileError(
        where,
        null,
        `maps ${JSON.stringify(field)}, which is no posting field (the fields: ${POSTING_FIELDS.join(', ')})`,
      );
    }
    if (typeof column !== 'string' || column.trim() === '')
      throw new ImportFileError(where, null, `maps ${field} to ${JSON.stringify(column)}: a column name is expected`);
    const other = seen.get(column);
    if (other)
      throw new ImportFileError(where, null, `maps both ${other} and ${field} to the column ${JSON.stringify(column)}`);
    seen.set(column, field);
    out[field] = column;
  }
  return out;
}

const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * The stand-in externalId of a row without one: `h:` and the first 32 hex digits of the SHA-256 of
 * source, url (or title, company and location), and postedAt, joined by U+001F. The same ad
 * from the same source always gets the same id, so re-imports update instead of duplicating.
 */
export function fallbackExternalId(values: Record<string, unknown>, source: string): string {
  const text = (k: string): string => rawText(values[k]).trim();
  const what = text('url') !== '' ? [text('url')] : [text('title'), text('company'), text('location')];
  return `h:${createHash('sha256')
    .update([source, ...what, text('postedAt')].join('\u001f'))
    .digest('hex')
    .slice(0, 32)}`;
}

/**
 * What turns a raw posting row into one the posting schema accepts, and counts what it derived:
 * the column map, the default source, the stand-in externalId, the role from the title; after
 * validation, --expire-after.
 */
export class RawPostingPipeline {
  readonly counts: RawPostingCounts = {
    roles: {},
    classified: 0,
    defaulted: 0,
    salaryTextRead: 0,
    salaryTextUnreadable: {},
    education: {},
  };
  private readonly classifier: TitleClassifier;
  /** Columns mapped away from their own name: a column read as another field is not also read as itself. */
  private readonly mappedColumns: Set<string>;
  private readonly columnOf: Record<string, string>;
  private missingChecked = false;

  constructor(private readonly options: ImportOptions) {
    this.classifier = new TitleClassifier([...(options.titleRules ?? []), ...loadRoleFileRules(options.rolesDir)]);
    this.columnOf = options.columns ?? {};
    this.mappedColumns = new Set(Object.values(this.columnOf));
  }

  /** The header as posting field names (for the required-column check and unknown-column warnings). */
  header(columns: string[], fileName: string): string[] {
    const missing = Object.entries(this.columnOf).filter(([, column]) => !columns.includes(column));
    if (missing.length > 0) {
      const [field, column] = missing[0] as [string, string];
      throw new ImportFileError(
        fileName,
        1,
        `the column map reads ${field} from the column ${JSON.stringify(column)}, which the file lacks (it has: ${columns.join(', ')})`,
      );
    }
    this.missingChecked = true;
    const fieldOf = new Map(Object.entries(this.columnOf).map(([f, c]) => [c, f]));
    return columns.flatMap((c) => {
      const field = fieldOf.get(c);
      if (field !== undefined) return [field];
      return c in this.columnOf ? [] : [c];
    });
  }

  /** NDJSON has no header: a mapped key that none of the first batch's objects has stops the import before anything is written. */
  checkKeysSeen(seen: ReadonlySet<string>, fileName: string): void {
    if (this.missingChecked) return;
    this.missingChecked = true;
    for (const [field, column] of Object.entries(this.columnOf)) {
      if (!seen.has(column))
        throw new ImportFileError(
          fileName,
          null,
          `the column map reads ${field} from the key ${JSON.stringify(column)}, which no object of the first batch has`,
        );
    }
  }

  /** The row's externalId as the file names it (for error reports). */
  externalIdOf(raw: Record<string, unknown>): string | null {
    return rawText(raw[this.columnOf.externalId ?? 'externalId']).trim() || null;
  }

  get hasColumnMap(): boolean {
    return Object.keys(this.columnOf).length > 0;
  }

  /**
   * The row with posting field names, defaults and the role; or the errors that reject it.
   * `roleFromTitle`: the role came from the title (a rule, or --default-role for a title no rule matched).
   */
  prepare(
    raw: Record<string, unknown>,
  ): { values: Record<string, unknown>; roleFromTitle: boolean } | { errors: FieldError[] } {
    let values = raw;
    if (this.hasColumnMap) {
      values = {};
      for (const field of POSTING_FIELDS) {
        const column = this.columnOf[field];
        if (column !== undefined) values[field] = raw[column];
        else if (!this.mappedColumns.has(field)) values[field] = raw[field];
      }
    }
    if (this.options.source !== undefined && blank(values.source)) values = { ...values, source: this.options.source };
    if (blank(values.externalId)) {
      const source = blank(values.source) ? 'manual' : rawText(values.source).trim();
      values = { ...values, externalId: fallbackExternalId(values, source) };
    }
    let roleFromTitle = false;
    if (blank(values.role) && !blank(values.title) && typeof values.title === 'string') {
      roleFromTitle = true;
      const rule = this.classifier.classify(values.title);
      if (rule) {
        this.counts.classified++;
        values = { ...values, role: rule.role, roleTitle: blank(values.roleTitle) ? rule.title : values.roleTitle };
      } else if (this.options.defaultRole !== undefined) {
        this.counts.defaulted++;
        values = { ...values, role: this.options.defaultRole };
      } else {
        return {
          errors: [
            {
              field: 'title',
              value: values.title,
              rule: 'unclassifiedTitle',
              message:
                'matches no title rule (--roles, data/roles/*.json titleRules) and the row has no role; give one, add a rule or use --default-role',
            },
          ],
        };
      }
    } else if (blank(values.role) && this.options.defaultRole !== undefined) {
      this.counts.defaulted++;
      values = { ...values, role: this.options.defaultRole };
    }
    return { values, roleFromTitle };
  }

  /** After validation: the role's origin, --expire-after, and the counts. */
  finish(row: PostingImportRow, roleFromTitle = false): PostingImportRow {
    let out: PostingImportRow = roleFromTitle ? { ...row, roleOrigin: 'TITLE' } : row;
    const days = this.options.expireAfterDays;
    if (days !== undefined && row.closedAt === null)
      out = { ...out, closedAt: new Date(row.postedAt.getTime() + days * 86_400_000) };
    const c = this.counts;
    c.roles[out.role] = (c.roles[out.role] ?? 0) + 1;
    c.education[out.educationRequirement] = (c.education[out.educationRequirement] ?? 0) + 1;
    if (out.salaryTextProblem !== null)
      c.salaryTextUnreadable[out.salaryTextProblem] = (c.salaryTextUnreadable[out.salaryTextProblem] ?? 0) + 1;
    else if (out.salaryFromText) c.salaryTextRead++;
    return out;
  }
}
