/**
 * Aggregates over float8 salary values that no stored value can overflow (a row written before
 * the plausibility rule, or by hand, may hold 1.7e308), with the same result as the plain
 * aggregate whenever that one would not have overflowed.
 */

/**
 * Mean: the values are scaled by 2^-600 before summing and the mean scaled back. Scaling a
 * double by a power of two is exact (salaries stay far above the smallest normal double), and
 * every rounding of the sum scales with it, so the result is bit for bit float8's avg, while the
 * scaled sum cannot reach float8's limit.
 */
export function safeAvg(expr: string): string {
  return `(avg((${expr}) * 2.409919865102884e-181::float8) * 4.149515568880993e+180::float8)`;
}

/** Values beyond this make float8's stddev_samp (which squares N times a value) overflow. */
const STDDEV_LIMIT = '1e150';

/**
 * Sample standard deviation; NULL when some value is beyond 1e150, where it cannot be computed
 * in float8 (no salary within the plausibility rule comes near).
 */
export function safeStddev(expr: string): string {
  return `(CASE WHEN max(abs(${expr})) < ${STDDEV_LIMIT} THEN stddev_samp(CASE WHEN abs(${expr}) < ${STDDEV_LIMIT} THEN ${expr} END) END)`;
}
