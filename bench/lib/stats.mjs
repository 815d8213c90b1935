// @ts-check
// Medians, ratios and the markdown table.

/**
 * The median of the defined numbers, or undefined when there are none.
 * @param {readonly (number | undefined)[]} values
 */
export function median(values) {
  const xs = /** @type {number[]} */ (values.filter((v) => v !== undefined && Number.isFinite(v))).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const mid = xs.length >> 1
  return xs.length % 2 === 1 ? xs[mid] : ((xs[mid - 1] ?? 0) + (xs[mid] ?? 0)) / 2
}

/**
 * `a / b`, or undefined when either is missing or b is 0.
 * @param {number | undefined} a
 * @param {number | undefined} b
 */
export function ratio(a, b) {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b
}

/**
 * @param {number | undefined} v
 * @param {number} digits
 * @param {string} [suffix]
 */
export function fmt(v, digits, suffix = '') {
  return v === undefined ? 'n/a' : `${v.toFixed(digits)}${suffix}`
}

/**
 * A markdown table.
 * @param {readonly string[]} header
 * @param {readonly (readonly string[])[]} rows
 */
export function markdownTable(header, rows) {
  const line = (/** @type {readonly string[]} */ cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}
