/**
 * The input as a whole cannot be used: missing or unreadable file, malformed CSV quoting, a header
 * without a required column. The message names the file and, when known, the line.
 */
export class ImportFileError extends Error {
  constructor(
    readonly fileName: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${fileName}${line === null ? '' : `, line ${line}`}: ${reason}`);
    this.name = 'ImportFileError';
  }
}
