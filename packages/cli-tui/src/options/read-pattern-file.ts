import { readFileSync } from 'node:fs'
import { parsePattern } from './parse-pattern.js'

/**
 * The patterns of an `--exclude-from`/`--include-from` FILE (`-` is standard input), as rsync and
 * rclone read them: one pattern a line; blank lines, and lines starting with `#` or `;`, left out;
 * a line's trailing `\r` (a file written on Windows) and trailing blanks dropped (rclone keeps
 * trailing blanks, rsync drops them: a trailing blank is never meant in a name list). Each line is
 * checked as the flag checks its value, and a bad one named by its line number.
 */
export function readPatternFile(file: string): string[] {
  if (file.trim() === '') throw new Error('Give a file of patterns, one per line (- for standard input).')
  let text: string
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? String(err))
    throw new Error(`cannot read ${JSON.stringify(file)}: ${why}. Give a file of patterns, one per line.`)
  }
  const patterns: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+$/, '')
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    try {
      patterns.push(parsePattern(line))
    } catch (err) {
      throw new Error(`${file}, line ${i + 1} (${JSON.stringify(line)}): ${err instanceof Error ? err.message : err}`)
    }
  }
  return patterns
}
