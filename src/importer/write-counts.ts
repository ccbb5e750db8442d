/** What one batch's upsert did: rows inserted and rows updated (the rest of the batch was unchanged). */
export interface WriteCounts {
  inserted: number;
  updated: number;
}
