/** Collects the values of a parameterized statement; `add` returns the `$n` placeholder. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

/** A statement's text and its parameters' values, as pg's query() takes them. */
export interface Statement {
  text: string;
  values: unknown[];
}
