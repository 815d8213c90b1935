import { readFileSync, realpathSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { usageError } from '../errors/usage-error.js'
import { localPathOf } from './local-path-of.js'

/**
 * Refuses a location given on the command line in bytes that are not UTF-8 (`dst$'\xe9'`). Node
 * decodes such an argument with U+FFFD, which names another path: a target `dst\xe9` was made and
 * filled as `dst\xef\xbf\xbd`, beside the directory the user named, and a source said "does not
 * exist" though it does (QA 25a #2). The raw bytes are only in `/proc/self/cmdline` (Linux), and
 * only read for a value holding U+FFFD; a value that holds U+FFFD itself (valid UTF-8) passes.
 * @param what how messages name the value (`the target`, `--backup-dir`)
 * @throws SyncError `USAGE` naming the value by its bytes
 */
export function assertDecodableArgument(what: string, value: string): void {
  const given = undecodableBytes(value)
  if (given === undefined) return
  throw usageError(
    `${what} ${JSON.stringify(value)} is not valid UTF-8 (its bytes: ${escapedBytes(given)}): syncflow would reach another path by that name`,
    'Rename it to a UTF-8 name, or give a symlink with a UTF-8 name that leads to it.',
  )
}

/**
 * The bytes of a command-line argument (or of a `--flag=VALUE` one's value) that Node decoded as
 * `value` with U+FFFD for bytes that are not UTF-8; undefined when `value` is not such an argument
 * (or not on Linux, where the raw bytes cannot be read).
 */
export function undecodableBytes(value: string): Buffer | undefined {
  if (!value.includes('\ufffd')) return undefined
  let args: Buffer[]
  try {
    const raw = readFileSync('/proc/self/cmdline')
    args = []
    for (let start = 0; start < raw.length; ) {
      const end = raw.indexOf(0, start)
      const stop = end < 0 ? raw.length : end
      args.push(raw.subarray(start, stop))
      start = stop + 1
    }
  } catch {
    return undefined // not Linux: nothing to compare with
  }
  for (const bytes of args) {
    if (Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)) continue
    // The argument as given, or the value of a `--flag=VALUE` one.
    const eq = bytes.indexOf(0x3d)
    const given = [bytes, ...(bytes[0] === 0x2d && eq > 0 ? [bytes.subarray(eq + 1)] : [])].find(
      (part) => part.toString('utf8') === value,
    )
    if (given !== undefined) return given
  }
  return undefined
}

/** Bytes as text: printable ASCII as itself, every other byte as `\xNN`. */
export function escapedBytes(bytes: Buffer): string {
  let out = ''
  for (const b of bytes)
    out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`
  return out
}

/**
 * Refuses a relative local location when the current directory's path is not UTF-8: Node's
 * `process.cwd()` is its lossy decoding, so `dst` resolved to `…/cw\xef\xbf\xbd/dst`, and the run
 * made that whole path anew and wrote there; a relative source "did not exist" (QA 25a #4).
 */
export function assertDecodableCwd(what: string, location: string): void {
  if (localPathOf(location) === undefined || isAbsolute(location) || /^file:/i.test(location)) return
  const cwd = process.cwd()
  if (!cwd.includes('\ufffd')) return
  let bytes: Buffer
  try {
    bytes = realpathSync.native('.', { encoding: 'buffer' })
  } catch {
    return
  }
  if (Buffer.from(cwd, 'utf8').equals(bytes)) return
  throw usageError(
    `${what} ${JSON.stringify(location)} is relative to the current directory, whose path is not valid UTF-8 (its bytes: ${escapedBytes(bytes)}): syncflow would reach another path by that name`,
    'Run syncflow from a directory whose path is UTF-8, or give absolute paths.',
  )
}
