import { badUserInput } from './errors.ts';
import { fromGlobalId, toGlobalId } from './global-id.ts';

export const MAX_PAGE_SIZE = 100;

/** Checks a connection's `first` argument (1..100). */
export function checkFirst(first: number | null | undefined, fallback = 20): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw badUserInput('first', first, `must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return value;
}

/** Cursors are opaque ids of the list position, built like global ids with a list-specific kind. */
export function encodeCursor(list: string, key: string): string {
  return toGlobalId(`${list}Cursor`, key);
}

export function decodeCursor(list: string, cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const decoded = fromGlobalId(cursor);
  if (!decoded || decoded.type !== `${list}Cursor`) {
    throw badUserInput('after', cursor, 'must be a cursor returned by this list');
  }
  return decoded.key;
}
