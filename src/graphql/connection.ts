import type { Page, PageRequest } from '../catalog/postings.ts';
import { encodeCursor } from './pagination.ts';

/** A Relay connection from one page of items; cursors are the items' absolute positions. */
export function toConnection<T, E>(list: string, page: Page<T>, request: PageRequest, edge: (item: T) => E) {
  const edges = page.items.map((item, i) => ({ ...edge(item), cursor: encodeCursor(list, String(request.offset + i)) }));
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: request.offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
