import { readdirSync, readlinkSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { SyncError } from '@syncflow/core'

/**
 * Names whose bytes are not valid UTF-8, by their decoding, with the bytes of each name that
 * decodes to it, escaped (see `escapedName`): Node decodes them with U+FFFD, and the decoded name
 * would address a different (missing) file, so they are reported instead of silently lost.
 */
export function undecodableNames(dirAbs: string): Map<string, string[]> {
  const raw = readdirSync(dirAbs, { encoding: 'buffer' })
  const bad = new Map<string, string[]>()
  for (const bytes of raw) {
    const name = bytes.toString('utf8')
    if (Buffer.from(name, 'utf8').equals(bytes)) continue
    const spellings = bad.get(name) ?? []
    spellings.push(escapedName(bytes))
    bad.set(name, spellings)
  }
  return bad
}

/**
 * A name's bytes as text a user can match with the file: valid UTF-8 as itself, every other byte
 * as `\xNN` (`caf\xe9.txt`), as `ls` and the shell's `$'…'` write them. The decoded name shows
 * U+FFFD where such bytes were, which names no file (QA 22 #12).
 */
export function escapedName(bytes: Buffer): string {
  let out = ''
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    const char = len > 0 ? bytes.subarray(i, i + len) : undefined
    const text = char?.length === len ? char.toString('utf8') : undefined
    if (char !== undefined && text !== undefined && !text.includes('\ufffd') && Buffer.from(text).equals(char)) {
      out += text
      i += len
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`
      i++
    }
  }
  return out
}

/**
 * The first part of `rel` (below `root`) that is Node's lossy decoding of a name that is not
 * UTF-8, or undefined when every name of `rel` holding U+FFFD is stored as such (or is missing).
 * Asked only of paths holding U+FFFD, so an ordinary path costs nothing.
 */
export function undecodablePart(root: string, rel: string): string | undefined {
  return undecodablePartOf(root, rel)?.part
}

/**
 * `undecodablePart`, with the bytes of the name (as `escapedName` writes them) where only one name
 * of its directory decodes to it: a stat says them, and the `mv` hint, as a listing does (a watch
 * said a new file's name without them: its event's stat came first, QA 25d).
 */
export function undecodablePartOf(root: string, rel: string): { part: string; bytes?: string } | undefined {
  if (!rel.includes('\ufffd')) return undefined
  let dir = root
  const names = rel.split('/')
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    if (name.includes('\ufffd')) {
      let bad: Map<string, string[]>
      try {
        bad = undecodableNames(dir)
      } catch {
        return undefined
      }
      const spellings = bad.get(name)
      if (spellings !== undefined) {
        const part = names.slice(0, i + 1).join('/')
        return spellings.length === 1 ? { part, bytes: spellings[0] as string } : { part }
      }
    }
    dir = join(dir, name)
  }
  return undefined
}

/**
 * The error for a name that is not UTF-8: as a listing reports it, so a stat of its decoding does
 * too. `bytes`, where known, is the name as `escapedName` writes it.
 */
export function undecodableName(op: string, path: string, bytes?: string): SyncError {
  const named = bytes === undefined ? '' : ` (its bytes: ${bytes})`
  return new SyncError('INVALID_PATH', `unsafe name skipped: name is not valid UTF-8${named}`, {
    op,
    path,
    hint:
      bytes === undefined
        ? 'Rename it, or exclude it with --exclude (a ? in the pattern matches the character shown as \ufffd).'
        : `Rename it (mv $'${bytes.replaceAll("'", "\\'")}' NEWNAME in its directory), or exclude it with --exclude (a ? in the pattern matches each character shown as \ufffd).`,
  })
}

/**
 * What the symlink at `abs` points to, as a string that stands for its bytes. Node decodes a
 * target that is not UTF-8 with U+FFFD, and a link made from that decoding points elsewhere (a
 * copy of `l -> caf\xe9` led to `caf\xef\xbf\xbd`, and every later run found the two equal): such a
 * link is refused (`INVALID_PATH`, as a name that is not UTF-8 is) instead. Only a target holding
 * U+FFFD is read again as bytes, so an ordinary link costs one readlink.
 */
export function readLinkTarget(abs: string, op: string, path: string): string {
  const linkTarget = readlinkSync(abs)
  if (!linkTarget.includes('\ufffd')) return linkTarget
  const bytes = readlinkSync(abs, { encoding: 'buffer' })
  if (Buffer.from(linkTarget, 'utf8').equals(bytes)) return linkTarget
  throw new SyncError(
    'INVALID_PATH',
    `unsafe symlink skipped: its target is not valid UTF-8 (its bytes: ${escapedName(bytes)})`,
    {
      op,
      path,
      hint: 'Point it at a name that is UTF-8 (ln -sfn NEWTARGET NAME in its directory), or exclude it with --exclude.',
    },
  )
}

/**
 * The real path of `root`, refused (`INVALID_PATH`) when it is not UTF-8: a root given as a symlink
 * to `real\xe9` resolved to Node's lossy `real\xef\xbf\xbd`, another directory, and the writes made
 * through handles opened from it went there, beside the target the user named (QA 25a #3).
 */
export function decodableRealPath(root: string): string {
  const real = realpathSync.native(root)
  if (!real.includes('\ufffd')) return real
  const bytes = realpathSync.native(root, { encoding: 'buffer' })
  if (Buffer.from(real, 'utf8').equals(bytes)) return real
  throw new SyncError('INVALID_PATH', `${root} leads to ${escapedName(bytes)}, a path that is not valid UTF-8`, {
    op: 'local.realpath',
    hint: 'Rename the directory on that path to a UTF-8 name: syncflow reaches a path by its name, and this one would name another.',
  })
}
