/**
 * The shared frame of the server-rendered pages (/roles, /roles/:slug, error pages): one HTML
 * document with a small inline stylesheet, no script, and helpers to escape and format values.
 * Everything that reaches the page from data (role titles, prose, slugs) goes through escapeHtml.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in element content and in quoted attribute values. */
export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Money on HTML pages: whole US dollars with thousands separators ("$88,800"); "n/a" when missing. */
export function formatMoney(amount: number | null | undefined): string {
  return amount === null || amount === undefined || !Number.isFinite(amount)
    ? 'n/a'
    : `$${WHOLE.format(Math.round(amount))}`;
}

/** Compact money for chart axes: "$85k", "$1.2M". */
export function formatMoneyShort(amount: number): string {
  const abs = Math.abs(amount);
  if (abs >= 1_000_000) return `$${trim(amount / 1_000_000)}M`;
  if (abs >= 1_000) return `$${trim(amount / 1_000)}k`;
  return `$${Math.round(amount)}`;
}

function trim(value: number): string {
  return value.toFixed(1).replace(/\.0$/, '');
}

/** A share as a whole percentage ("33%"); "n/a" when missing. */
export function formatShare(share: number | null | undefined): string {
  return share === null || share === undefined ? 'n/a' : `${Math.round(share * 100)}%`;
}

export function formatCount(count: number): string {
  return WHOLE.format(count);
}

/**
 * Role prose comes from the API with its figures already written the Markdown way ("$88800");
 * on HTML pages the same amounts get thousands separators ("$88,800"). Only whole-dollar
 * amounts of four digits or more are touched.
 */
export function htmlMoneyInProse(text: string): string {
  return text.replace(/\$(\d{4,})(?![\d.,]\d)/g, (_, digits: string) => `$${WHOLE.format(Number(digits))}`);
}

export interface LayoutOptions {
  title: string;
  /** Already-escaped HTML of the page's main content. */
  body: string;
  /** Show the playground link in the header. */
  playground: boolean;
  /** Short description for the <meta name="description">. */
  description?: string;
}

const STYLE = `
:root{--ink:#1b2430;--muted:#4a5565;--line:#d5dbe3;--bg:#f6f7f9;--card:#fff;--accent:#1d4ed8;--accent-ink:#1e3a8a;--bar:#2563eb;--median:#b91c1c;--pct:#7c2d12}
*{box-sizing:border-box}
html{font-size:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:1rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--accent)}
a:hover,a:focus{color:var(--accent-ink)}
a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem}
.skip:focus{left:1rem;z-index:10}
header.site{background:#0f172a;color:#fff}
header.site .inner{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
header.site a{color:#fff;text-decoration:none}
header.site a:hover,header.site a:focus{text-decoration:underline;color:#fff}
header.site .brand{font-weight:700;letter-spacing:.01em}
header.site nav ul{display:flex;gap:1.25rem;list-style:none;margin:0;padding:0}
.inner{max-width:60rem;margin:0 auto;padding:.9rem 1.25rem}
main .inner{padding-top:2rem;padding-bottom:3rem}
h1{font-size:2rem;line-height:1.2;margin:0 0 1.25rem}
h2{font-size:1.35rem;margin:2.25rem 0 .75rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
p,li{max-width:46rem}
.lead{color:var(--muted);margin-top:-.5rem}
dl.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:1rem;margin:0}
dl.figures div{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:1rem 1.1rem}
dl.figures dt{color:var(--muted);font-size:.9rem}
dl.figures dd{margin:.2rem 0 0;font-size:1.8rem;font-weight:700;line-height:1.2}
dl.figures dd small{display:block;font-size:.85rem;font-weight:400;color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:1rem 1.1rem;margin:1rem 0}
figure{margin:0}
figcaption{color:var(--muted);font-size:.95rem;margin-top:.5rem}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{font:13px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#1f2937}
ul.stats{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;padding:0;list-style:none;margin:.75rem 0 0}
ul.stats li strong{font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .55rem;border-radius:999px;font-size:.85rem;font-weight:600;border:1px solid}
.badge.INSUFFICIENT{background:#fef2f2;color:#991b1b;border-color:#fecaca}
.badge.LOW{background:#fffbeb;color:#92400e;border-color:#fde68a}
.badge.MEDIUM{background:#eff6ff;color:#1e40af;border-color:#bfdbfe}
.badge.HIGH{background:#f0fdf4;color:#166534;border-color:#bbf7d0}
.table-wrap{overflow-x:auto;position:relative}
thead th{position:relative}
table{border-collapse:collapse;width:100%;background:var(--card);font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.5rem 0;color:var(--ink)}
th,td{padding:.55rem .75rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f5}
td.num,th.num{text-align:right}
thead th a{color:var(--ink);text-decoration:none}
thead th a:hover,thead th a:focus{text-decoration:underline}
thead th[aria-sort]{background:#dde5f3}
thead th[aria-sort] a{color:var(--accent-ink)}
tbody th{background:var(--card);font-weight:600}
tbody tr:hover th,tbody tr:hover td{background:#f1f5fb}
details{margin-top:.75rem}
summary{cursor:pointer;color:var(--accent)}
ol.items li{margin-bottom:.8rem}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;padding:0;margin:.5rem 0 0;font-size:.9rem;color:var(--muted)}
.legend .swatch{display:inline-block;width:1.4rem;height:0;border-top:3px solid;vertical-align:middle;margin-right:.35rem}
.legend .median{border-color:var(--median)}
.legend .pct{border-top-style:dashed;border-color:var(--pct)}
.legend .bar{height:.8rem;border:0;background:var(--bar);width:.8rem}
.playground{display:inline-block;margin-top:.5rem;padding:.45rem .9rem;border:1px solid var(--accent);border-radius:.4rem;text-decoration:none;font-weight:600}
dl.filters{display:grid;gap:.35rem;margin:0}
dl.filters div{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:baseline}
dl.filters dt{font-weight:600;min-width:6rem}
dl.filters dd{margin:0}
dl.filters ul{display:flex;flex-wrap:wrap;gap:.25rem .9rem;list-style:none;margin:0;padding:0}
.outliers{background:#fffbeb;border:1px solid #fde68a;border-radius:.4rem;padding:.5rem .75rem}
.group-table{margin-bottom:1rem}
footer.site{border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
.error h1{font-size:1.6rem}
@media (max-width:40rem){h1{font-size:1.5rem}dl.figures dd{font-size:1.5rem}th,td{padding:.45rem .5rem}}
@media (max-width:45rem){figure.card{overflow-x:auto}svg.chart{min-width:640px}}
`
  .trim()
  .replace(/\n/g, '');

/** A whole HTML document around a page's content. */
export function renderLayout(options: LayoutOptions): string {
  const nav = [`<li><a href="/roles">Roles</a></li>`];
  if (options.playground) nav.push(`<li><a href="/graphql">GraphQL playground</a></li>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
${options.description ? `<meta name="description" content="${escapeHtml(options.description)}">\n` : ''}<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="inner">
<a class="brand" href="/roles">Job-market statistics</a>
<nav aria-label="Main"><ul>${nav.join('')}</ul></nav>
</div></header>
<main id="main"><div class="inner">
${options.body}
</div></main>
<footer class="site"><div class="inner">
<p>Figures are computed from raw job postings and salary reports at the moment the page is requested. Salaries are annual, in US dollars.</p>
</div></footer>
</body>
</html>
`;
}
