import { readFileSync } from 'node:fs'

/** Whether a flag of this command line has read standard input already. */
let stdinTaken = false

/**
 * The text of a file a flag names (`--files-from`, `--exclude-from`, `--include-from`), `-` for
 * standard input, which one flag only may read: a second got nothing, and its patterns were lost
 * without a word (review 23b B5). Throws with what to do instead; `what` says what the file holds.
 */
export function readFlagFile(file: string, what: string): string {
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
