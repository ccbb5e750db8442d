/**
 * How figures are written in page prose and Markdown reports: whole US dollars without
 * separators ("$88800", as on the seed page) and whole percentages ("33%"). Missing figures
 * read "n/a".
 */
export function formatUsd(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? 'n/a' : `$${Math.round(amount)}`;
}

export function formatPercent(share: number | null | undefined): string {
  return share === null || share === undefined ? 'n/a' : `${Math.round(share * 100)}%`;
}
