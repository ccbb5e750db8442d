import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { KeysetValue } from '../catalog/postings.ts';
import { badUserInput } from './errors.ts';

export const MAX_PAGE_SIZE = 100;

/** Checks a connection's `first` argument (1..100). */
export function checkFirst(first: number | null | undefined, fallback = 20): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw badUserInput('first', first, `must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return value;
}

// A keyset cursor holds the sort key of its item (e.g. a 2,000-character title), so it may be
// longer than a global id; the bound keeps a forged one from costing much.
const MAX_CURSOR_LENGTH = 16_384;

/**
 * Keyset cursors: base64url of JSON [list, order, ...sort key of the item]. The next page starts
 * after that key, so rows inserted or removed before it do not shift the page.
 */
export function encodeCursor(list: string, order: string, key: readonly KeysetValue[]): string {
  return Buffer.from(JSON.stringify([list, order, ...key]), 'utf8').toString('base64url');
}

const isKeysetValue = (v: unknown): v is KeysetValue => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * The sort key in `cursor`, checked to come from the same list and order and to have `length`
 * values; undefined when there is no cursor.
 */
export function decodeCursor(list: string, order: string, length: number, cursor: string | null | undefined): KeysetValue[] | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const invalid = () => badUserInput('after', cursor.length > 100 ? `${cursor.slice(0, 100)}…` : cursor, 'must be a cursor returned by this list');
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed[0] !== list || typeof parsed[1] !== 'string') throw invalid();
  if (parsed[1] !== order) throw badUserInput('after', cursor, `was returned by this list in another order (${parsed[1]}), not ${order}`);
  const key = parsed.slice(2);
  if (key.length !== length || !key.every(isKeysetValue)) throw invalid();
  return key;
}

/**
 * Whether the field being resolved selects `name` directly (through fragments too), so that a
 * connection counts its rows only when `totalCount` is asked for. Hand-written: a dozen lines
 * against graphql's AST, where graphql-parse-resolve-info would add a dependency for one check;
 * @skip/@include are ignored, so a skipped field only costs the count.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      const fragment: FragmentDefinitionNode | undefined = info.fragments[s.name.value];
      return visit(fragment?.selectionSet);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}
