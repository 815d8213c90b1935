// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** What `$'…'` escapes: a backslash, a quote, a control character. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const ESCAPED = /[\\']|[\u0000-\u001f\u007f-\u009f]/g

/**
 * `s` as one shell word: as is when it needs no quoting, else in single quotes; a word holding a
 * control character in bash's `$'…'`, each one written as `\xHH` (C1 as `\uHHHH`): put raw between
 * single quotes, the suggestion `ui … | cat` printed on the terminal sent them (a path with ESC ]0;…
 * BEL set its title, QA 27a), and a word with them written visibly is still the same word.
 */
export function shellQuote(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s
  if (CONTROL.test(s)) {
    const escaped = s.replace(ESCAPED, (c) => {
      if (c === '\\' || c === "'") return `\\${c}`
      const code = c.charCodeAt(0)
      return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
    })
    return `$'${escaped}'`
  }
  return `'${s.replace(/'/g, `'\\''`)}'`
}
