/**
 * Inline SVG charts for the role pages: a salary histogram (one <rect> per API bucket, with
 * the 25th percentile, the median and the 75th percentile marked) and a bar chart of openings
 * per period. Each chart is role="img" with a <title> and a <desc> that say in words what it
 * shows; the pages also give the same numbers as a table.
 */
import { escapeHtml, formatCount, formatMoney, formatMoneyShort } from './layout.ts';

export interface Bucket {
  lowerBound: number;
  upperBound: number;
  count: number;
}

export interface SalaryMarkers {
  p25: number | null;
  median: number | null;
  p75: number | null;
}

export interface TrendBar {
  /** `2026-01`, `2026-Q1` or `2026`. */
  period: string;
  value: number;
}

const WIDTH = 720;
const HEIGHT = 300;
const MARGIN = { top: 56, right: 24, bottom: 44, left: 48 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

const BAR = '#2563eb';
const MEDIAN = '#b91c1c';
const PERCENTILE = '#7c2d12';
const AXIS = '#4a5565';
const GRID = '#e2e7ee';

const n = (value: number): string => (Math.round(value * 10) / 10).toString();

/** Integer ticks from 0 to at least max, about five of them. */
function countTicks(max: number): number[] {
  const top = Math.max(1, max);
  const step = Math.max(1, Math.ceil(top / 5));
  const ticks: number[] = [];
  for (let t = 0; t <= top; t += step) ticks.push(t);
  if ((ticks.at(-1) as number) < top) ticks.push((ticks.at(-1) as number) + step);
  return ticks;
}

function yAxis(ticks: number[], label: string): string {
  const top = ticks.at(-1) as number;
  const y = (v: number) => MARGIN.top + PLOT_H - (v / top) * PLOT_H;
  const lines = ticks
    .map(
      (t) =>
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="${GRID}"/>` +
        `<text x="${MARGIN.left - 8}" y="${n(y(t) + 4)}" text-anchor="end">${t}</text>`,
    )
    .join('');
  const middle = MARGIN.top + PLOT_H / 2;
  const title = `<text x="14" y="${middle}" text-anchor="middle" transform="rotate(-90 14 ${middle})">${escapeHtml(label)}</text>`;
  return `<g aria-hidden="true">${lines}${title}</g>`;
}

/** Words for a histogram, used as the chart's <desc> and on the page. */
export function describeHistogram(buckets: Bucket[], markers: SalaryMarkers, sampleSize: number): string {
  if (buckets.length === 0) return 'No salary observations.';
  const first = buckets[0] as Bucket;
  const last = buckets.at(-1) as Bucket;
  const tallest = buckets.reduce((a, b) => (b.count > a.count ? b : a), first);
  const parts = [
    `Histogram of ${formatCount(sampleSize)} annual salar${sampleSize === 1 ? 'y' : 'ies'} in ${buckets.length} ranges from ${formatMoney(first.lowerBound)} to ${formatMoney(last.upperBound)}.`,
    `25th percentile ${formatMoney(markers.p25)}, median ${formatMoney(markers.median)}, 75th percentile ${formatMoney(markers.p75)}.`,
    `The most common range is ${formatMoney(tallest.lowerBound)} to ${formatMoney(tallest.upperBound)} with ${formatCount(tallest.count)} salar${tallest.count === 1 ? 'y' : 'ies'}.`,
  ];
  return parts.join(' ');
}

/**
 * The salary histogram: one <rect class="bar"> per bucket, in API order, and a vertical line
 * for each of p25, median and p75. `id` makes the title/desc ids unique on the page.
 */
export function histogramSvg(
  id: string,
  title: string,
  buckets: Bucket[],
  markers: SalaryMarkers,
  sampleSize: number,
): string {
  const lo = Math.min(...buckets.map((b) => b.lowerBound));
  const hi = Math.max(...buckets.map((b) => b.upperBound));
  const span = hi > lo ? hi - lo : 1;
  const x = (v: number) => MARGIN.left + ((v - lo) / span) * PLOT_W;
  const ticks = countTicks(Math.max(0, ...buckets.map((b) => b.count)));
  const top = ticks.at(-1) as number;
  const y = (v: number) => MARGIN.top + PLOT_H - (v / top) * PLOT_H;
  const equalWidth = PLOT_W / buckets.length;

  const bars = buckets
    .map((b, i) => {
      // Buckets cover min..max; a single-value distribution has zero width, so fall back to equal slots.
      const x0 = hi > lo ? x(b.lowerBound) : MARGIN.left + i * equalWidth;
      const x1 = hi > lo ? x(b.upperBound) : x0 + equalWidth;
      const w = Math.max(1, x1 - x0 - 2);
      const h = Math.max(0, MARGIN.top + PLOT_H - y(b.count));
      const label = `${formatMoney(b.lowerBound)} to ${formatMoney(b.upperBound)}: ${formatCount(b.count)}`;
      return `<rect class="bar" x="${n(x0 + 1)}" y="${n(y(b.count))}" width="${n(w)}" height="${n(h)}" fill="${BAR}" data-lower="${b.lowerBound}" data-upper="${b.upperBound}" data-count="${b.count}"><title>${escapeHtml(label)}</title></rect>`;
    })
    .join('');

  const markerDefs: { key: keyof SalaryMarkers; label: string; color: string; dash: string; row: number }[] = [
    { key: 'p25', label: '25th', color: PERCENTILE, dash: '6 4', row: 0 },
    { key: 'median', label: 'Median', color: MEDIAN, dash: '', row: 1 },
    { key: 'p75', label: '75th', color: PERCENTILE, dash: '6 4', row: 2 },
  ];
  const lines = markerDefs
    .filter((m) => markers[m.key] !== null && hi > lo)
    .map((m) => {
      const value = markers[m.key] as number;
      const mx = x(value);
      const ly = 14 + m.row * 14;
      const anchor = mx > MARGIN.left + PLOT_W - 60 ? 'end' : mx < MARGIN.left + 60 ? 'start' : 'middle';
      return (
        `<g class="marker marker-${m.key}" data-value="${value}">` +
        `<title>${escapeHtml(`${m.label === 'Median' ? 'Median' : `${m.label} percentile`}: ${formatMoney(value)}`)}</title>` +
        `<line x1="${n(mx)}" x2="${n(mx)}" y1="${ly + 4}" y2="${MARGIN.top + PLOT_H}" stroke="${m.color}" stroke-width="2.5"${m.dash ? ` stroke-dasharray="${m.dash}"` : ''}/>` +
        `<text x="${n(mx)}" y="${ly}" text-anchor="${anchor}" style="fill:${m.color};font-weight:600">${escapeHtml(`${m.label} ${formatMoneyShort(value)}`)}</text>` +
        `</g>`
      );
    })
    .join('');

  const xLabels = [lo, lo + span / 2, hi]
    .map(
      (v, i) =>
        `<text x="${n(x(v))}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="${['start', 'middle', 'end'][i]}">${escapeHtml(formatMoneyShort(v))}</text>`,
    )
    .join('');
  const axis =
    `<g aria-hidden="true"><line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}" stroke="${AXIS}"/>` +
    `${xLabels}<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 6}" text-anchor="middle">Annual salary (USD)</text></g>`;

  return (
    `<svg class="chart histogram" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeHtml(title)}</title>` +
    `<desc id="${id}-desc">${escapeHtml(describeHistogram(buckets, markers, sampleSize))}</desc>` +
    `${yAxis(ticks, 'Salaries')}<g class="bars">${bars}</g>${lines}${axis}</svg>`
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** `2026-01` → `Jan 2026` (or `January 2026` when long); other periods are shown as they are. */
export function periodLabel(period: string, long = false): string {
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (!month) return period;
  const name = (long ? MONTHS_LONG : MONTHS)[Number(month[2]) - 1];
  return name ? `${name} ${month[1]}` : period;
}

export function describeTrend(points: TrendBar[], what: string): string {
  if (points.length === 0) return `No ${what} yet.`;
  const first = points[0] as TrendBar;
  const last = points.at(-1) as TrendBar;
  const values = points.map((p) => p.value);
  const peak = points.reduce((a, b) => (b.value > a.value ? b : a), first);
  return (
    `${what[0]?.toUpperCase()}${what.slice(1)} from ${periodLabel(first.period, true)} to ${periodLabel(last.period, true)}: ` +
    `between ${formatCount(Math.min(...values))} and ${formatCount(Math.max(...values))}, highest in ${periodLabel(peak.period, true)} (${formatCount(peak.value)}), ` +
    `${formatCount(last.value)} in ${periodLabel(last.period, true)}.`
  );
}

/** A bar per period (class "trend-bar"), with period labels thinned out to fit. */
export function trendSvg(id: string, title: string, points: TrendBar[], what: string): string {
  const ticks = countTicks(Math.max(0, ...points.map((p) => p.value)));
  const top = ticks.at(-1) as number;
  const y = (v: number) => MARGIN.top + PLOT_H - (v / top) * PLOT_H;
  const slot = PLOT_W / Math.max(1, points.length);
  const every = Math.max(1, Math.ceil(points.length / 12));
  const bars = points
    .map((p, i) => {
      const x0 = MARGIN.left + i * slot;
      const w = Math.max(1, slot * 0.7);
      const label = `${periodLabel(p.period, true)}: ${formatCount(p.value)}`;
      const month = /^(\d{4})-(\d{2})$/.exec(p.period);
      const cx = n(x0 + slot / 2);
      // Months read "Jan", "Feb", ...; the year goes under the first month and under each January.
      const year = month && (i === 0 || month[2] === '01') ? `<tspan x="${cx}" dy="14">${month[1]}</tspan>` : '';
      const text = month ? `${MONTHS[Number(month[2]) - 1] ?? p.period}` : p.period;
      const tick =
        i % every === 0 || i === points.length - 1
          ? `<text aria-hidden="true" x="${cx}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle">${escapeHtml(text)}${year}</text>`
          : '';
      return (
        `<rect class="trend-bar" x="${n(x0 + (slot - w) / 2)}" y="${n(y(p.value))}" width="${n(w)}" height="${n(MARGIN.top + PLOT_H - y(p.value))}" fill="${BAR}" data-period="${escapeHtml(p.period)}" data-value="${p.value}"><title>${escapeHtml(label)}</title></rect>` +
        tick
      );
    })
    .join('');
  const axis = `<line aria-hidden="true" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}" stroke="${AXIS}"/>`;
  return (
    // No markers above this chart: the view box leaves out the histogram's label rows.
    `<svg class="chart trend" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 ${MARGIN.top - 16} ${WIDTH} ${HEIGHT - MARGIN.top + 16}" width="${WIDTH}" height="${HEIGHT - MARGIN.top + 16}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeHtml(title)}</title>` +
    `<desc id="${id}-desc">${escapeHtml(describeTrend(points, what))}</desc>` +
    `${yAxis(ticks, 'Openings')}<g class="bars">${bars}</g>${axis}</svg>`
  );
}
