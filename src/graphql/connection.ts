import type { Page, PageRequest } from '../catalog/postings.ts';
import { encodeCursor } from './pagination.ts';

/**
 * A Relay connection from one page of items; each cursor is its item's sort key in `order`.
 * `totalCount` was counted only if the query selects it (PageRequest.withTotal): reading it
 * otherwise is a bug, reported as an error rather than answered with a wrong number.
 */
export function toConnection<T, E>(
  list: string,
  order: string,
  page: Page<T>,
  request: PageRequest,
  edge: (item: T) => E,
) {
  const edges = page.items.map((item, i) => ({ ...edge(item), cursor: encodeCursor(list, order, page.keys[i] ?? []) }));
  const total = page.totalCount;
  return {
    edges,
    get totalCount(): number {
      if (total === null) throw new Error(`${list} list: totalCount was not counted`);
      return total;
    },
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: request.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
