import type { Stats } from 'node:fs'
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs'
import { sep } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import {
  baseName,
  compareEntries,
  type Entry,
  type ListOptions,
  type RelPath,
  relPathProblem,
  SyncError,
} from '@syncflow/core'
import { errnoOf, toSyncError } from './to-sync-error.js'

/** How symlinks are listed: as symlinks (`preserve`, like `rsync -a`), as what they point to (`follow`, like `rsync -L`), or not at all (`skip`). */
export type SymlinkPolicy = 'preserve' | 'follow' | 'skip'

/** Options of `walkSorted`. */
export interface WalkOptions extends ListOptions {
  /** Absolute path of the root directory. */
  readonly root: string
  readonly symlinks: SymlinkPolicy
  /** True for names the backend owns (temp files): they are never listed, but passed to `onTemp`. */
  readonly isTemp: (name: string) => boolean
  readonly onTemp: (abs: string, rel: string, name: string) => Promise<void>
}

/** One directory being walked: its entries in listing order, and what entering a subdirectory needs. */
interface Frame {
  readonly entries: Entry[]
  index: number
  /** Absolute path of this directory. */
  readonly abs: string
  /** `dev:ino` of this directory, to detect loops through followed symlinks. */
  readonly id: string
  /** `dev:ino` of each subdirectory entry (directories only: files need none). */
  readonly dirIds: Map<Entry, string> | undefined
}

/** Printable ASCII without `\`: such a name (never `.` or `..` from readdir) is a valid segment without further checks. */
const PLAIN_NAME = /^[\x20-\x5b\x5d-\x7e]+$/
/** lstat runs synchronously (a thread-pool round trip per entry costs three times the syscall); yield to other I/O this often. */
const YIELD_EVERY = 512

/**
 * Lists a directory tree depth-first in UTF-8 byte order of `entrySortKey`: each directory is read
 * whole, its entries sorted (a directory sorts as `name/`), and entered right after it is yielded, so
 * only the chain of directories being walked is in memory, whatever the size of the tree.
 * Unreadable directories and unsafe names go to `onError` (thrown without it) and are skipped.
 */
export async function* walkSorted(opts: WalkOptions): AsyncGenerator<Entry> {
  let rootStat: Stats | undefined
  try {
    rootStat = lstatOrUndefined(opts.root, true)
  } catch (err) {
    if (errnoOf(err) !== 'ENOTDIR') throw toSyncError(err, 'list', opts.root)
    throw new SyncError('CONFLICT', 'a part of the root path is a file, not a directory', {
      op: 'local.list',
      path: opts.root,
      hint: 'Give a directory, or a path where one can be made.',
    })
  }
  if (rootStat === undefined) return // a missing root lists nothing (rootExists tells the engine)
  if (!rootStat.isDirectory()) {
    throw new SyncError('CONFLICT', 'the root is not a directory', {
      op: 'local.list',
      path: opts.root,
      hint: 'Give a directory.',
    })
  }
  const stack: Frame[] = [await readDirectory(opts, opts.root, '', idOf(rootStat), true)]
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!
    const entry = frame.entries[frame.index++]
    if (entry === undefined) {
      stack.pop()
      continue
    }
    if (opts.signal?.aborted) throw new SyncError('ABORTED', 'listing interrupted', { op: 'local.list' })
    const id = entry.kind === 'dir' ? (frame.dirIds?.get(entry) ?? '') : ''
    const pruned = entry.kind === 'dir' && opts.prune?.(entry.path) === true
    // (An excluded one is never entered: nothing to report, and a report would hold back deletes.)
    if (entry.kind === 'dir' && !pruned && stack.some((f) => f.id === id)) {
      // Not even listed: a target would make an empty directory of it.
      report(
        opts,
        new SyncError('INVALID_PATH', 'symlink loop: this directory contains itself; not entered', {
          op: 'local.list',
          path: entry.path,
          hint: 'Remove the looping symlink, or use --symlinks preserve.',
        }),
      )
      continue
    }
    yield entry
    if (entry.kind !== 'dir' || pruned) continue
    const abs = `${frame.abs}${sep}${baseName(entry.path)}`
    stack.push(await readDirectory(opts, abs, entry.path, id, false))
  }
}

/** Reads, stats and sorts one directory. */
async function readDirectory(
  opts: WalkOptions,
  dirAbs: string,
  dirRel: string,
  id: string,
  isRoot: boolean,
): Promise<Frame> {
  const entries: Entry[] = []
  let dirIds: Map<Entry, string> | undefined
  let names: string[]
  try {
    // Synchronous like the lstats below: one getdents batch beats a thread-pool round trip (1.5–6× per directory).
    names = readdirSync(dirAbs)
  } catch (err) {
    const error = toSyncError(err, 'list', dirRel === '' ? opts.root : dirRel)
    // An unreadable root is fatal.
    if (isRoot) throw error
    // A subdirectory that vanished once listed (renamed or deleted meanwhile) has unknown contents,
    // not none: reported, so that the run deletes nothing below it (rsync: "file has vanished").
    report(
      opts,
      errnoOf(err) === 'ENOENT'
        ? new SyncError('NOT_FOUND', 'directory vanished while it was listed (renamed or deleted meanwhile)', {
            op: 'local.list',
            path: dirRel,
            hint: 'Nothing was deleted on this run; run again once the tree is still.',
          })
        : error,
    )
    return { entries, index: 0, abs: dirAbs, id, dirIds }
  }
  const invalid = names.some((n) => n.includes('\ufffd')) ? undecodableNames(dirAbs) : undefined
  const prefix = dirRel === '' ? '' : `${dirRel}/`
  const absPrefix = `${dirAbs}${sep}`
  for (let i = 0; i < names.length; i++) {
    if ((i + 1) % YIELD_EVERY === 0) await nextTurn()
    const name = names[i]!
    const abs = absPrefix + name
    if (opts.isTemp(name)) {
      await opts.onTemp(abs, prefix + name, name)
      continue
    }
    const rel = prefix + name
    const problem = invalid?.has(name)
      ? 'name is not valid UTF-8'
      : PLAIN_NAME.test(name)
        ? undefined
        : relPathProblem(name)
    if (problem !== undefined) {
      // Excluded by the user: skipped without a word (it could not be synced anyway).
      if (opts.excluded?.(rel)) continue
      report(
        opts,
        new SyncError('INVALID_PATH', `unsafe name skipped: ${problem}`, {
          op: 'local.list',
          path: rel,
          hint: 'Rename the file, or exclude it with --exclude.',
        }),
      )
      continue
    }
    const st = statEntry(opts, abs, rel as RelPath)
    if (st === undefined) continue
    if (st.isFile()) {
      entries.push(fileEntry(rel as RelPath, st))
    } else if (st.isDirectory()) {
      const entry: Entry = {
        path: rel as RelPath,
        kind: 'dir',
        size: 0,
        mtimeMs: st.mtimeMs,
        mode: st.mode & 0o7777,
        version: versionOf(st),
      }
      entries.push(entry)
      dirIds ??= new Map()
      dirIds.set(entry, idOf(st))
    } else if (st.isSymbolicLink()) {
      const entry = symlinkEntry(opts, abs, rel as RelPath, st)
      if (entry !== undefined) entries.push(entry)
    } else {
      // Sockets, FIFOs and devices have no content to sync: skipped, and said (as rsync without -D).
      const what = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device'
      opts.onNotice?.({
        code: 'SPECIAL_FILE_SKIPPED',
        message: `${rel} is ${what}: skipped (not a regular file)`,
        path: rel,
      })
    }
  }
  entries.sort(compareEntries)
  return { entries, index: 0, abs: dirAbs, id, dirIds }
}

/**
 * The stats of a listed name per symlink policy: a symlink's own (`preserve`), its target's
 * (`follow`), or none (`skip`, removed since readdir, dangling under `follow`, or unreadable).
 */
function statEntry(opts: WalkOptions, abs: string, path: RelPath): Stats | undefined {
  try {
    const st = lstatOrUndefined(abs, false)
    if (st === undefined || !st.isSymbolicLink() || opts.symlinks === 'preserve') return st
    if (opts.symlinks === 'skip') return undefined
    const target = statSync(abs, { throwIfNoEntry: false })
    if (target === undefined) {
      report(
        opts,
        new SyncError('NOT_FOUND', 'dangling symlink (its target does not exist); skipped', {
          op: 'local.list',
          path,
          hint: 'Fix or remove the symlink, or use --symlinks preserve.',
        }),
      )
    }
    return target
  } catch (err) {
    report(opts, toSyncError(err, 'list', path))
    return undefined
  }
}

function symlinkEntry(opts: WalkOptions, abs: string, path: RelPath, st: Stats): Entry | undefined {
  try {
    const linkTarget = readlinkSync(abs)
    return { path, kind: 'symlink', size: st.size, mtimeMs: st.mtimeMs, linkTarget, version: versionOf(st) }
  } catch (err) {
    report(opts, toSyncError(err, 'list', path))
    return undefined
  }
}

/** The entry of a regular file from its stats. */
export function fileEntry(path: RelPath, st: Stats): Entry {
  return { path, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, version: versionOf(st) }
}

/** inode and ctime: a rewrite (new inode by rename) or any metadata change (ctime) gives a new version. */
export function versionOf(st: Stats): string {
  return `${st.ino}:${st.ctimeMs}`
}

function idOf(st: Stats): string {
  return `${st.dev}:${st.ino}`
}

function lstatOrUndefined(abs: string, follow: boolean): Stats | undefined {
  return follow ? statSync(abs, { throwIfNoEntry: false }) : lstatSync(abs, { throwIfNoEntry: false })
}

function report(opts: ListOptions, error: SyncError): void {
  if (!opts.onError) throw error
  opts.onError(error)
}

/**
 * Names whose bytes are not valid UTF-8: Node decodes them with U+FFFD, and the decoded name
 * would address a different (missing) file, so they are reported instead of silently lost.
 */
function undecodableNames(dirAbs: string): Set<string> {
  const raw = readdirSync(dirAbs, { encoding: 'buffer' })
  const bad = new Set<string>()
  for (const bytes of raw) {
    const name = bytes.toString('utf8')
    if (!Buffer.from(name, 'utf8').equals(bytes)) bad.add(name)
  }
  return bad
}
