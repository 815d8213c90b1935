/**
 * Compares two strings in UTF-8 byte order (equivalently: Unicode code point order) without
 * encoding them. JavaScript's `<` compares UTF-16 code units, which differs from UTF-8 order for
 * characters above U+FFFF (surrogates 0xD800–0xDFFF sort below 0xE000–0xFFFF in UTF-16 but
 * above them in UTF-8). S3 lists keys in UTF-8 byte order, so every backend must agree on it.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return utf8OrderUnit(x) - utf8OrderUnit(y)
  }
  return a.length - b.length
}

/**
 * A UTF-16 code unit mapped so that comparing mapped units orders strings by code point (UTF-8
 * byte order): surrogates move above the rest of the BMP.
 */
export function utf8OrderUnit(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  if (unit >= 0xe000) return unit - 0x800
  return unit
}
