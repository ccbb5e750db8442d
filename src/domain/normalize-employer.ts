/**
 * The key under which employers are merged: Unicode NFKC, case-folded (upper- then lower-casing,
 * so that ß and SS both become ss), NFKC again, and whitespace runs collapsed to one space and trimmed.
 * `Ａｃｍｅ  GmbH` and `acme gmbh` give the same key.
 */
export function normalizeEmployerName(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}
