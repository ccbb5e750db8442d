import {
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
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

/**
 * What each value of a sort key must be, so that a forged cursor is rejected here with a clear
 * error instead of failing a cast in SQL: a 32-bit whole number, a finite number, text, or an
 * instant as toISOString writes it; `?` allows null (a sort key with NULLS LAST).
 */
export type KeyKind = 'int' | 'number' | 'number?' | 'text' | 'text?' | 'instant';

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function fits(kind: KeyKind, v: unknown): boolean {
  if (v === null) return kind.endsWith('?');
  switch (kind) {
    case 'int':
      return Number.isInteger(v) && Math.abs(v as number) <= 2_147_483_647;
    case 'number':
    case 'number?':
      return typeof v === 'number' && Number.isFinite(v);
    case 'text':
    case 'text?':
      return typeof v === 'string' && !v.includes('\u0000');
    case 'instant':
      return typeof v === 'string' && INSTANT.test(v) && !Number.isNaN(Date.parse(v));
  }
}

/**
 * The sort key in `cursor`, checked to come from the same list and order and to have values of
 * `kinds`; undefined when there is no cursor.
 */
export function decodeCursor(
  list: string,
  order: string,
  kinds: readonly KeyKind[],
  cursor: string | null | undefined,
): KeysetValue[] | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const invalid = () =>
    badUserInput(
      'after',
      cursor.length > 100 ? `${cursor.slice(0, 100)}…` : cursor,
      'must be a cursor returned by this list',
    );
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed[0] !== list || typeof parsed[1] !== 'string') throw invalid();
  if (parsed[1] !== order)
    throw badUserInput('after', cursor, `was returned by this list in another order (${parsed[1]}), not ${order}`);
  const key = parsed.slice(2) as KeysetValue[];
  if (key.length !== kinds.length || !key.every((v, i) => fits(kinds[i] as KeyKind, v))) throw invalid();
  return key;
}

/**
 * Whether the field being resolved selects `name` directly (through fragments too), so that a
 * connection counts its rows only when `totalCount` is asked for. Hand-written: a dozen lines
 * against graphql's AST, where graphql-parse-resolve-info would add a dependency for one check;
 * @skip/@include are ignored, so a skipped field only costs the count.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return selectedField(info, name) !== undefined;
}

/**
 * The fields that the selection sets `sets` select, through inline fragments and named ones
 * (each named fragment once), in order. @skip/@include are ignored.
 */
function fieldsOf(info: GraphQLResolveInfo, sets: readonly (SelectionSetNode | undefined)[]): FieldNode[] {
  const out: FieldNode[] = [];
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): void => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) out.push(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment: FragmentDefinitionNode | undefined = info.fragments[s.name.value];
        visit(fragment?.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return out;
}

/**
 * The names of the fields selected at `path` below the resolver's field (['edges', 'node']: of
 * each node of a connection), through fragments and aliases, sorted. @skip/@include are
 * ignored, so a skipped field only costs its column.
 */
export function selectedFieldNames(info: GraphQLResolveInfo, path: readonly string[]): string[] {
  let level = fieldsOf(
    info,
    info.fieldNodes.map((n) => n.selectionSet),
  );
  for (const step of path)
    level = fieldsOf(
      info,
      level.filter((f) => f.name.value === step).map((f) => f.selectionSet),
    );
  return [...new Set(level.map((f) => f.name.value))].sort();
}

/** The first field `name` (by its name, not its alias) the resolver's field (or the fields `under`) selects, through fragments, as selectsField finds it. */
export function selectedField(
  info: GraphQLResolveInfo,
  name: string,
  under: readonly FieldNode[] = info.fieldNodes,
): FieldNode | undefined {
  return fieldsOf(
    info,
    under.map((n) => n.selectionSet),
  ).find((f) => f.name.value === name);
}
