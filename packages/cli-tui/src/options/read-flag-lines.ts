import { readFileSync } from 'node:fs'

/** Whether a flag of this command line has read standard input already. */
let stdinTaken = false

/** A line of a flag's file, with its number (from 1) for messages. */
export interface FlagLine {
  readonly line: string
  readonly number: number
}

/**
 * The lines of a file a flag names (`--files-from`, `--exclude-from`, `--include-from`), as rsync and
 * rclone read such lists: a leading byte-order mark (Notepad's: it voided line 1 without a word,
 * review 23 F5) and each line's trailing `\r` (a file written on Windows) dropped, and blank lines
 * and lines starting with `#` or `;` left out. `-` is standard input, which one flag only may read:
 * a second got nothing, and its patterns were lost without a word (review 23b B5). Throws with what
 * to do instead; `what` says what the file holds.
 */
export function readFlagLines(file: string, what: string): FlagLine[] {
  const lines: FlagLine[] = []
  const all = readFlagText(file, what)
    .replace(/^\uFEFF/, '')
    .split('\n')
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!.replace(/\r$/, '')
    if (line.trim() !== '' && !line.startsWith('#') && !line.startsWith(';')) lines.push({ line, number: i + 1 })
  }
  return lines
}

function readFlagText(file: string, what: string): string {
  if (file.trim() === '') throw new Error(`Give a file of ${what}, one per line (- for standard input).`)
  if (file === '-') {
    if (stdinTaken) throw new Error('Standard input is read by one flag only: give the other list as a file.')
    stdinTaken = true
  }
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? String(err))
    throw new Error(`cannot read ${JSON.stringify(file)}: ${why}. Give a file of ${what}, one per line.`)
  }
}
