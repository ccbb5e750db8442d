import type { KeysetValue, Page, PageRequest } from '../catalog/postings.ts';
import { encodeCursor } from './pagination.ts';

/**
 * An edge whose cursor is encoded only when read: a list of 20 x 20 titles selects none, and
 * encoding them all was some 2% of the CPU that list takes.
 */
class Edge {
  #cursor: string | undefined;
  constructor(
    private readonly list: string,
    private readonly order: string,
    private readonly key: readonly KeysetValue[],
  ) {}
  get cursor(): string {
    this.#cursor ??= encodeCursor(this.list, this.order, this.key);
    return this.#cursor;
  }
}

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
  const edges = page.items.map(
    (item, i) => Object.assign(new Edge(list, order, page.keys[i] ?? []), edge(item)) as Edge & E,
  );
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
