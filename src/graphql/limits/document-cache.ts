import type { DocumentNode } from 'graphql';

/**
 * Apollo's cache of parsed and validated documents, bounded by what an attacker can make it
 * hold. Apollo's default keeps about 30 MB of documents, and a valid document can be up to the
 * body limit (a 1 MB string argument is valid), so a stream of unique large queries would keep
 * tens of megabytes alive. Real clients send a few small queries again and again: this cache
 * keeps at most `maxEntries` documents of at most `maxSourceLength` characters each, least
 * recently used first out.
 */
export class DocumentCache {
  private readonly entries = new Map<string, DocumentNode>();

  constructor(
    private readonly maxEntries = 500,
    private readonly maxSourceLength = 4096,
  ) {}

  async get(key: string): Promise<DocumentNode | undefined> {
    const document = this.entries.get(key);
    if (document) {
      this.entries.delete(key);
      this.entries.set(key, document);
    }
    return document;
  }

  async set(key: string, document: DocumentNode): Promise<void> {
    const length = document.loc?.source.body.length ?? Number.POSITIVE_INFINITY;
    if (length > this.maxSourceLength) return;
    this.entries.delete(key);
    this.entries.set(key, document);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  async delete(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
