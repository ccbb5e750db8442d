import fs from 'node:fs';
import { once } from 'node:events';
import type { RowError } from './import-types.ts';
import { ImportFileError } from './import-file-error.ts';

/** One CSV field per RFC 4180: quoted when it holds a comma, quote, line break or edge spaces. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A cell that a spreadsheet would run as a formula (a plain number such as -5 stays as it is). */
const FORMULA = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A cell made inert for spreadsheets: a leading apostrophe before =, +, -, @, tab or CR (OWASP's CSV injection advice). */
export function inertCell(value: string): string {
  return FORMULA.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/**
 * The rejected rows as CSV (every cell passed through inertCell): the row's original fields (in the input's columns), then
 * line, field, value, rule and message. A row that breaks several rules appears once per rule.
 */
export class ErrorsFile {
  private header: string[] | null = null;

  private constructor(
    private readonly stream: fs.WriteStream,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<ErrorsFile> {
    const stream = fs.createWriteStream(path);
    try {
      await once(stream, 'open');
    } catch (error) {
      throw new ImportFileError(path, null, `cannot write the errors file: ${(error as Error).message}`);
    }
    return new ErrorsFile(stream, path);
  }

  /** Writes the header once, with the input's own columns first. */
  private async start(columns: readonly string[]): Promise<void> {
    if (this.header) return;
    this.header = [...columns];
    await this.write([...columns, 'line', 'field', 'value', 'rule', 'message']);
  }

  async add(columns: readonly string[], original: readonly string[], errors: readonly RowError[]): Promise<void> {
    await this.start(columns);
    const width = this.header?.length ?? columns.length;
    const cells = Array.from({ length: width }, (_, i) => original[i] ?? '');
    for (const e of errors) await this.write([...cells, String(e.line), e.field, e.value, e.rule, e.message]);
  }

  private async write(cells: readonly string[]): Promise<void> {
    if (!this.stream.write(cells.map((cell) => csvField(inertCell(cell))).join(',') + '\r\n'))
      await once(this.stream, 'drain');
  }

  async close(columns: readonly string[]): Promise<void> {
    await this.start(columns);
    this.stream.end();
    await once(this.stream, 'finish');
  }
}
