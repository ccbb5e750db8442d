/**
 * How figures are written in page prose and Markdown reports: whole US dollars without
 * separators ("$88800", as on the seed page) and whole percentages ("33%"). Missing figures
 * read "n/a".
 */
export function formatUsd(amount: number | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return 'n/a';
  // BigInt writes every digit: `${1e25}` would be "1e+25".
  return `$${BigInt(Math.round(amount)).toString()}`;
}

export function formatPercent(share: number | null | undefined): string {
  return share === null || share === undefined || !Number.isFinite(share) ? 'n/a' : `${Math.round(share * 100)}%`;
}
