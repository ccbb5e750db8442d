import type { ImportSummary } from './import-types.ts';

/** Called with the summary of every import this process finishes (dry runs included). */
export type ImportListener = (summary: ImportSummary) => void;

const listeners = new Set<ImportListener>();

/**
 * Subscribes `listener` to every finished import of this process; returns the unsubscribe. The
 * process's composition root wires the metrics here (src/main.ts), so that the importer does not
 * import the HTTP layer.
 */
export function onImportFinished(listener: ImportListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyImportFinished(summary: ImportSummary): void {
  for (const listener of listeners) listener(summary);
}
