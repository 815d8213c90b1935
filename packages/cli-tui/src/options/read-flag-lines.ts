import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { undecodableLine } from '@syncflow/core'

/**
 * A line longer than this holds no pattern or path (a path is at most 4096 bytes): the file is not
 * such a list. `--exclude-from /dev/zero` (or a disk image named by mistake) was read whole, never
 * ending: the process grew by ~60 MB a second until it ran out of memory (QA 27d; rclone: "token
 * too long").
 */
const MAX_LINE_BYTES = 64 * 1024

/** Thrown by `readBounded` for a line over `MAX_LINE_BYTES`. */
class LineTooLong extends Error {}

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
  let bytes: Buffer
  try {
    bytes = file === '-' ? readFileSync(0) : readBounded(file)
  } catch (err) {
    if (err instanceof LineTooLong) {
      throw new Error(
        `${JSON.stringify(file)} has a line longer than ${MAX_LINE_BYTES / 1024} KiB: it is not a file of ${what}. Give a file of ${what}, one per line.`,
      )
    }
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? String(err))
    throw new Error(`cannot read ${JSON.stringify(file)}: ${why}. Give a file of ${what}, one per line.`)
  }
  return decodeFlagText(bytes, file === '-' ? 'standard input' : JSON.stringify(file), what)
}

/**
 * The text of a flag's file. A line that counts (not a comment, not blank) must be UTF-8, as names
 * are here: decoded leniently, a file in UTF-16 or a Latin-1 line gave patterns or paths that match
 * no name, taken without a word (QA 29b; see `undecodableLine`).
 */
function decodeFlagText(bytes: Buffer, where: string, what: string): string {
  // A list from `find -print0` (rsync's --from0) was refused as UTF-16 (its NULs), with `iconv -f
  // UTF-16` as the fix, which garbles it (QA 30d). Such a list has no newline, and far fewer NULs
  // than UTF-16 text (one per name, not one per character).
  if (bytes.includes(0) && !bytes.includes(0x0a) && !isUtf16Bom(bytes) && countNuls(bytes) * 3 < bytes.length) {
    throw new Error(
      `${where} holds ${what} separated by NUL bytes (find -print0's, rsync's --from0 list?): syncflow reads one a line, and no name it syncs holds a newline. Make the list without -print0 (find . -type f), or convert it: tr '\\0' '\\n'.`,
    )
  }
  const bad = undecodableLine(bytes, (line) => line.trim() !== '' && !line.startsWith('#') && !line.startsWith(';'))
  if (bad !== undefined) {
    throw new Error(
      bad.utf16
        ? `${where} is not UTF-8 text (UTF-16, as PowerShell's > and Notepad's "Unicode" write it?): none of its ${what} would match. Save it as UTF-8 (iconv -f UTF-16 -t UTF-8).`
        : `${where}, line ${bad.number}, is not UTF-8 (Latin-1?): it would match no name, as syncflow reads names as UTF-8 (one that is not is skipped). Save the file as UTF-8 (iconv -f LATIN1 -t UTF-8); a name that is not UTF-8 is matched with a ? where its odd byte is (bad?.txt for bad\\xe9.txt).`,
    )
  }
  return bytes.toString('utf8')
}

function isUtf16Bom(bytes: Buffer): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)
}

function countNuls(bytes: Buffer): number {
  let n = 0
  for (let i = bytes.indexOf(0); i !== -1; i = bytes.indexOf(0, i + 1)) n++
  return n
}

/** The bytes of `file`, read a chunk at a time; throws `LineTooLong` as soon as a line is too long. */
function readBounded(file: string): Buffer {
  const fd = openSync(file, 'r')
  try {
    const chunks: Buffer[] = []
    const buf = Buffer.alloc(64 * 1024)
    let lineBytes = 0
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      const chunk = buf.subarray(0, n)
      const first = chunk.indexOf(0x0a)
      if (first === -1) lineBytes += n
      else if (lineBytes + first > MAX_LINE_BYTES) throw new LineTooLong()
      else lineBytes = n - chunk.lastIndexOf(0x0a) - 1
      if (lineBytes > MAX_LINE_BYTES) throw new LineTooLong()
      chunks.push(Buffer.from(chunk))
    }
    return Buffer.concat(chunks)
  } finally {
    closeSync(fd)
  }
}
