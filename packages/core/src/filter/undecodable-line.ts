/** Where a rules or list file is not UTF-8: its line (from 1), and whether the file looks like UTF-16. */
export interface UndecodableLine {
  readonly number: number
  /** A UTF-16 byte-order mark or a NUL byte: the whole file is another encoding, every line garbled. */
  readonly utf16: boolean
}

/**
 * The first line of a file of rules or paths (`.syncflowignore`, `--exclude-from`, `--files-from`)
 * that is not UTF-8 text, among the lines that count (`counts`, given the line as far as it decodes:
 * not a comment, not blank), or `undefined` when each of them is. Names are UTF-8 here (one that is
 * not is skipped by every listing), so a rule decoded with U+FFFD or NULs in it matches no name: a
 * file in UTF-16 (PowerShell's `>`, Notepad's "Unicode") or with a Latin-1 line was taken without a
 * word, and what it was written to leave out was synced (QA 29b). A comment may be in any encoding.
 */
export function undecodableLine(bytes: Uint8Array, counts: (line: string) => boolean): UndecodableLine | undefined {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { number: 1, utf16: true }
  }
  const strict = new TextDecoder('utf-8', { fatal: true })
  const lenient = new TextDecoder('utf-8')
  let start = 0
  for (let number = 1; start <= bytes.length; number++) {
    const newline = bytes.indexOf(0x0a, start)
    const end = newline === -1 ? bytes.length : newline
    const line = bytes.subarray(start, end)
    start = end + 1
    if (
      !counts(
        lenient
          .decode(line)
          .replace(/^\uFEFF/, '')
          .replace(/\r$/, ''),
      )
    )
      continue
    if (line.includes(0)) return { number, utf16: true }
    try {
      strict.decode(line)
    } catch {
      return { number, utf16: false }
    }
  }
  return undefined
}
