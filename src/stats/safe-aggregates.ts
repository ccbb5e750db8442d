/**
 * Aggregates over float8 salary values that no stored value can overflow (a row written before
 * the plausibility rule, or by hand, may hold 1.7e308) and whose result does not depend on the
 * order in which the rows arrive: a float8 sum depends on it in its last bits, so the same data
 * read by another plan (one role or fifty, a parallel scan, an index or a hash join) gave a
 * figure that differed in the 14th significant digit between two answers.
 */

/**
 * Mean: the sum in numeric (exact decimal arithmetic, each value to float8's 15 significant
 * digits), so neither its order nor a value's size can change it, then the nearest float8.
 */
export function safeAvg(expr: string): string {
  return `(avg((${expr})::numeric)::float8)`;
}

/** Values beyond this make float8's stddev_samp (which squares N times a value) overflow. */
const STDDEV_LIMIT = '1e150';

/**
 * Sample standard deviation: float8's, over the values in ascending order, so that every plan
 * sums them alike (numeric's took about a third more time per figure at 1M postings). NULL when
 * some value is beyond 1e150, where it cannot be computed in float8 (no salary within the
 * plausibility rule comes near).
 */
export function safeStddev(expr: string): string {
  return `(CASE WHEN max(abs(${expr})) < ${STDDEV_LIMIT} THEN stddev_samp(CASE WHEN abs(${expr}) < ${STDDEV_LIMIT} THEN ${expr} END ORDER BY ${expr}) END)`;
}
