import type { Dirent, Stats } from 'node:fs'
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, statSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import {
  compareEntries,
  type Entry,
  type ListedFile,
  type ListOptions,
  type RelPath,
  relPathProblem,
  SyncError,
  symlinkSkipped,
} from '@syncflow/core'
import { type Fence, leadsIntoTarget } from './fence.js'
import { canPinDirectories, renamed } from './pinned-dirs.js'
import { errnoOf, toSyncError } from './to-sync-error.js'
import { readLinkTarget, undecodableName, undecodableNames } from './undecodable-names.js'

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
  /** Under `follow`: directories never entered, nor linked files inside them listed (the run's target). */
  readonly fence?: Fence
  /**
   * Called with each directory's path and stats (the root's too) just before it is read, not for one
   * reached through a followed link: the target of a run that writes makes one of its own that it
   * may not list searchable for the run (see `LocalBackend#usable`).
   */
  readonly enter?: (abs: string, st: Stats) => void
  /** Directories on another file system than the root's are listed, not entered (rsync -x). */
  readonly oneFileSystem?: boolean
}

/** A name of a directory being walked, as readdir typed it: what it sorts by (a directory as `name/`). */
interface Listed {
  /** The name, a valid segment (compared as a path by `compareEntries`). */
  readonly path: RelPath
  readonly kind: 'file' | 'dir' | 'symlink'
  /** A symlink listed as what it points to (`follow`). */
  readonly link?: true
}

/**
 * One directory being walked: its names in listing order, stated one by one as they are yielded.
 * Only names and their types are held, not entries: a directory of 100,000 files held its entries
 * (with their stats' strings) on both sides of a run, over 30 MiB live each.
 */
interface Frame {
  readonly names: Listed[]
  index: number
  /** Absolute path of this directory. */
  readonly abs: string
  /**
   * `/proc/self/fd/<fd>` of a handle on this very directory, through which it was read and its
   * subdirectories are opened (see `openChecked`); `abs` where there is none.
   */
  readonly at: string
  /** That handle, closed when the walk leaves the directory. */
  readonly fd?: number
  /** Its path relative to the root (`''` for the root). */
  readonly rel: string
  /** `dev:ino` of this directory, to detect loops through followed symlinks. */
  readonly id: string
  /**
   * It holds an entry named as one of `excludeIfPresent`, of any kind: read from all its names,
   * before any is left out (a symlink under `skip`, a FIFO, a dangling link: review of
   * --exclude-if-present B2, such a marker did not count and a mirror deleted what it guarded).
   */
  readonly marked?: true
}

/** Printable ASCII without `\`: such a name (never `.` or `..` from readdir) is a valid segment without further checks. */
const PLAIN_NAME = /^[\x20-\x5b\x5d-\x7e]+$/
/** lstat runs synchronously (a thread-pool round trip per entry costs three times the syscall); yield to other I/O this often. */
const YIELD_EVERY = 512

/**
 * Lists a directory tree depth-first in UTF-8 byte order of `entrySortKey`: each directory's names
 * are read whole (with their types, from readdir) and sorted (a directory sorts as `name/`), then
 * stated one by one as they are yielded, and a directory is entered right after it is yielded: only
 * the names of the chain of directories being walked are in memory, whatever the size of the tree.
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
  opts.enter?.(opts.root, rootStat)
  const root = await readDirectory(opts, opts.root, opts.root, '', idOf(rootStat), true)
  if (root.marked) {
    // (--exclude-if-present at the root: everything is excluded, so nothing is listed.)
    if (root.fd !== undefined) closeSync(root.fd)
    opts.onMarked?.('')
    return
  }
  const stack: Frame[] = [root]
  try {
    yield* walkFrames(opts, stack, rootStat)
  } finally {
    for (const f of stack) if (f.fd !== undefined) closeSync(f.fd)
  }
}

async function* walkFrames(opts: WalkOptions, stack: Frame[], rootStat: Stats): AsyncGenerator<Entry> {
  // Entries stated since the last turn, in whatever directories: a tree of small directories (each
  // under YIELD_EVERY names) was walked in one stretch of promise callbacks, however big, so a
  // Ctrl-C waited for the whole listing; a dry run or `check`, which do no I/O after it, was over
  // before its handler could run, and the signal was dropped (exit 0 or 1, QA 31a).
  let sinceTurn = 0
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!
    const listed = frame.names[frame.index++]
    if (listed === undefined) {
      stack.pop()
      if (frame.fd !== undefined) closeSync(frame.fd)
      continue
    }
    if (opts.signal?.aborted) throw new SyncError('ABORTED', 'listing interrupted', { op: 'local.list' })
    // Every YIELD_EVERY entries of the walk, not per directory: a turn per 512 entries of every
    // directory cost a fifth of a listing's time.
    if (++sinceTurn >= YIELD_EVERY) {
      sinceTurn = 0
      await nextTurn()
    }
    const abs = `${frame.abs}${sep}${listed.path}`
    const rel = (frame.rel === '' ? listed.path : `${frame.rel}/${listed.path}`) as RelPath
    const st = statEntry(opts, abs, rel)
    if (st === undefined) {
      // (A name that is there but cannot be stated, too long a path or a directory that may be
      // read but not searched, was reported by statEntry: it did not vanish.)
      if (isGone(abs)) {
        // Gone since its directory was read. If that directory itself went (renamed or deleted),
        // its remaining names are unknown, not gone: reported once, and the rest of it left
        // unlisted, so the run deletes nothing (QA: a renamed directory of 60,000 files lost most
        // of its copy on the target). A directory's contents are unknown likewise. A lone file
        // that went is gone (rsync leaves it out too).
        const parentGone = frame.rel !== '' && !sameDirectory(frame, opts.symlinks === 'follow')
        if (parentGone) {
          report(opts, vanished(frame.rel))
          frame.index = frame.names.length
        } else if (listed.kind === 'dir') report(opts, vanished(rel))
      }
      continue
    }
    const entry = entryOf(opts, abs, rel, st, listed.kind)
    if (entry === undefined) continue
    const id = entry.kind === 'dir' ? idOf(st) : ''
    const pruned = entry.kind === 'dir' && opts.prune?.(entry.path) === true
    if (!pruned && opts.fence !== undefined && intoFence(opts, opts.fence, abs, entry, id, listed)) {
      // Not listed either, as a loop is not: the target's copy of it is held by the error.
      report(opts, leadsIntoTarget('local.list', entry.path))
      continue
    }
    // (An excluded one is never entered: nothing to report, and a report would hold back deletes.)
    if (entry.kind === 'dir' && !pruned && stack.some((f) => f.id === id)) {
      // Not even listed: a target would make an empty directory of it.
      report(opts, directoryLoop('local.list', entry.path))
      continue
    }
    // With --exclude-if-present markers, a directory's names are read before it is yielded (its
    // names only: nothing is stated yet), so that a marker in it is known (`onMarked`) before
    // anything after it is listed. Without, after: a reader that stops at it reads no more.
    const early = entry.kind === 'dir' && !pruned && (opts.excludeIfPresent?.length ?? 0) > 0
    if (!early) yield entry
    if (entry.kind !== 'dir' || pruned) continue
    if (opts.oneFileSystem && st.dev !== rootStat.dev) {
      if (early) yield entry
      // (Said, not silent: a backup of / that leaves /home out because it is mounted apart should say so.)
      opts.onNotice?.({
        code: 'OTHER_FILESYSTEM',
        message: `${rel} is on another file system: not entered (--one-file-system); the target's copy of it is kept`,
        path: rel,
      })
      continue
    }
    if (listed.link !== true) opts.enter?.(abs, st)
    // Opened through the handle of the directory that was read, never by a path another user may
    // have re-pointed since (see `openChecked`). Its names are still stated by path, as they are
    // yielded: a directory renamed away meanwhile is then seen to have vanished, as it always was.
    const via = frame.at === frame.abs ? abs : `${frame.at}/${listed.path}`
    const inner = await readDirectory(opts, abs, via, entry.path, id, false)
    if (early && inner.marked) {
      opts.onMarked?.(entry.path)
      // (Not entered once the run's filter excludes it: the target of --delete-excluded is.)
      if (opts.prune?.(entry.path) === true) {
        if (inner.fd !== undefined) closeSync(inner.fd)
        yield entry
        continue
      }
    }
    stack.push(inner)
    if (early) yield entry
  }
}

/**
 * True when a followed entry is the fenced target or lies in it: a directory by its identity (the
 * target itself, also reached below a link to a directory holding it), a linked directory or file
 * by where its link resolves to. Names below a directory that is not the target and not inside it
 * can only get there through a link of their own, so nothing else is resolved. A file the user
 * excludes is not reported (the filter drops it; a report would hold every run's deletes).
 */
function intoFence(opts: WalkOptions, fence: Fence, abs: string, entry: Entry, id: string, listed: Listed): boolean {
  if (entry.kind === 'dir' && fence.isFenced(id)) return true
  if (listed.link !== true || (entry.kind !== 'dir' && opts.excluded?.(entry.path) === true)) return false
  return fence.resolvesInto(abs)
}

/**
 * The entry of a name from its stats, when they still say what readdir said (its place in the
 * order depends on it): a name that became a directory, or stopped being one, since the directory
 * was read is reported, so the run deletes nothing on a listing it cannot trust.
 */
function entryOf(opts: WalkOptions, abs: string, rel: RelPath, st: Stats, listed: Listed['kind']): Entry | undefined {
  const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : undefined
  if (kind === undefined) {
    // A mirror's target lists it, to be deleted (never under `follow`: the target's listing does
    // not follow links, and a source's special file is never listed).
    if (opts.specialFiles && listed === 'file') return specialEntry(rel, st)
    specialFile(opts, rel, st)
    return undefined
  }
  if ((kind === 'dir') !== (listed === 'dir')) {
    report(
      opts,
      new SyncError('CONFLICT', `changed while it was listed (now a ${kind === 'dir' ? 'directory' : kind})`, {
        op: 'local.list',
        path: rel,
        hint: 'Nothing was deleted on this run; run again once the tree is still.',
      }),
    )
    return undefined
  }
  if (kind === 'file') {
    // `-H` (ListOptions.linkIds): only a file of several names says which file it is, so that the
    // engine keeps no more than those in memory (as rsync keeps only inodes with nlink > 1).
    if (opts.linkIds === true && st.nlink > 1)
      return { ...fileEntry(rel, st), linkId: `${st.dev}:${st.ino}`, nlink: st.nlink }
    return fileEntry(rel, st)
  }
  if (kind === 'symlink') return symlinkEntry(opts, abs, rel, st)
  return { path: rel, kind: 'dir', size: 0, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, version: versionOf(st) }
}

/** True when nothing is at `abs` any more: lstat says ENOENT, or ENOTDIR (a directory on the way replaced by a file). */
function isGone(abs: string): boolean {
  try {
    return lstatSync(abs, { throwIfNoEntry: false }) === undefined
  } catch (err) {
    return errnoOf(err) === 'ENOTDIR'
  }
}

/** True while the directory of `frame` is still the one that was read (same `dev:ino`; through a symlink under follow). */
function sameDirectory(frame: Frame, follow: boolean): boolean {
  let st: Stats | undefined
  try {
    st = follow ? statSync(frame.abs, { throwIfNoEntry: false }) : lstatSync(frame.abs, { throwIfNoEntry: false })
  } catch {
    return false
  }
  return st?.isDirectory() === true && idOf(st) === frame.id
}

/** A directory that vanished while the walk listed it (renamed or deleted meanwhile). */
function vanished(rel: string): SyncError {
  return new SyncError('NOT_FOUND', 'directory vanished while it was listed (renamed or deleted meanwhile)', {
    op: 'local.list',
    path: rel,
    hint: 'Nothing was deleted on this run; run again once the tree is still.',
  })
}

/**
 * Sockets, FIFOs and devices have no content to sync: skipped, and said (as rsync without -D),
 * unless the user's filters exclude them (as an excluded symlink is never reported, QA 22 #5).
 */
function specialFile(opts: WalkOptions, rel: string, st: { isFIFO(): boolean; isSocket(): boolean }): void {
  if (opts.excluded?.(rel) === true) return
  opts.onNotice?.(specialFileSkipped(rel, st))
}

/** The notice of a socket, FIFO or device left out (by `list`, and by `stat`). */
export function specialFileSkipped(
  rel: string,
  st: { isFIFO(): boolean; isSocket(): boolean },
): { code: 'SPECIAL_FILE_SKIPPED'; message: string; path: string } {
  const what = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device'
  return { code: 'SPECIAL_FILE_SKIPPED', message: `${rel} is ${what}: skipped, not a regular file`, path: rel }
}

/** Reads one directory's names with their types, and sorts them in listing order. */
async function readDirectory(
  opts: WalkOptions,
  dirAbs: string,
  via: string,
  dirRel: string,
  id: string,
  isRoot: boolean,
): Promise<Frame> {
  const names: Listed[] = []
  let dirents: Dirent[]
  let fd: number | undefined
  let at = dirAbs
  try {
    fd = openChecked(opts, via, dirRel, id, isRoot)
    if (fd !== undefined) at = `/proc/self/fd/${fd}`
    // Synchronous like the lstats: one getdents batch beats a thread-pool round trip (1.5–6× per
    // directory). The types come with the names (d_type; Node stats a name whose type is unknown).
    dirents = readdirSync(fd !== undefined ? at : via, { withFileTypes: true })
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    // (Named by its path, never by the handle or the parent's handle it was reached through.)
    const named = renamed(renamed(err, at, dirAbs), via, dirAbs)
    fd = undefined
    at = dirAbs
    const error = named instanceof SyncError ? named : toSyncError(named, 'list', dirRel === '' ? opts.root : dirRel)
    // An unreadable root is fatal.
    if (isRoot) throw error
    // A subdirectory that vanished once listed (renamed or deleted meanwhile) has unknown contents,
    // not none: reported, so that the run deletes nothing below it (rsync: "file has vanished").
    report(opts, errnoOf(err) === 'ENOENT' ? vanished(dirRel) : error)
    return { names, index: 0, abs: dirAbs, at, rel: dirRel, id }
  }
  const invalid = dirents.some((d) => d.name.includes('\ufffd')) ? undecodableNames(at) : undefined
  const prefix = dirRel === '' ? '' : `${dirRel}/`
  const absPrefix = `${dirAbs}${sep}`
  for (let i = 0; i < dirents.length; i++) {
    const d = dirents[i]!
    const name = d.name
    if (opts.isTemp(name)) {
      if ((i + 1) % YIELD_EVERY === 0) await nextTurn()
      await opts.onTemp(absPrefix + name, prefix + name, name)
      continue
    }
    // As many of the entries decoded to this name as were not UTF-8 are reported; one that is
    // (a real U+FFFD in its name) is listed (QA: it was skipped beside its lookalike).
    // (Each spelling once: two names that decode alike are two files.)
    const bytes = invalid?.get(name)?.shift()
    const undecodable = bytes !== undefined ? 1 : 0
    const problem = undecodable > 0 || PLAIN_NAME.test(name) ? undefined : relPathProblem(name)
    if (undecodable > 0 || problem !== undefined) {
      // Excluded by the user: skipped without a word (it could not be synced anyway).
      if (opts.excluded?.(prefix + name)) continue
      report(
        opts,
        undecodable > 0
          ? undecodableName('local.list', prefix + name, bytes)
          : new SyncError('INVALID_PATH', `unsafe name skipped: ${problem}`, {
              op: 'local.list',
              path: prefix + name,
              hint: 'Rename the file, or exclude it with --exclude.',
            }),
      )
      continue
    }
    if (d.isFile()) names.push({ path: name as RelPath, kind: 'file' })
    else if (d.isDirectory()) names.push({ path: name as RelPath, kind: 'dir' })
    else if (d.isSymbolicLink()) {
      if (opts.symlinks === 'skip') {
        // Said, so that a mirror keeps what the target has there (as rsync without -l does); not an
        // excluded one, whose copy --delete-excluded deletes (QA 21 F6, as rsync does).
        if (opts.excluded?.(prefix + name) !== true) opts.onNotice?.(symlinkSkipped(prefix + name))
        continue
      }
      if (opts.symlinks === 'preserve') {
        names.push({ path: name as RelPath, kind: 'symlink' })
        continue
      }
      // follow: sorted as what it points to (a directory as `name/`); a dangling one is reported now.
      const st = statEntry(opts, absPrefix + name, (prefix + name) as RelPath)
      if (st === undefined) continue
      if (st.isFile() || st.isDirectory())
        names.push({ path: name as RelPath, kind: st.isDirectory() ? 'dir' : 'file', link: true })
      else specialFile(opts, prefix + name, st)
    } else if (opts.specialFiles)
      names.push({ path: name as RelPath, kind: 'file' }) // see entryOf
    else specialFile(opts, prefix + name, d)
  }
  names.sort(compareEntries)
  const markers = opts.excludeIfPresent
  const marked = markers !== undefined && markers.length > 0 && dirents.some((d) => markers.includes(d.name))
  return {
    names,
    index: 0,
    abs: dirAbs,
    at,
    rel: dirRel,
    id,
    ...(fd !== undefined ? { fd } : {}),
    ...(marked ? { marked: true as const } : {}),
  }
}

/**
 * A handle on the directory at `via` that is the one stated as `id`, opened without following a
 * symlink, for its names to be read and its subdirectories opened through (`/proc/self/fd/<fd>`): by path, a
 * directory swapped for a symlink by another user between its lstat and its readdir had the walk
 * list (and enter) the tree the link leads to, outside the root (QA 26j #3: `syncflow serve`, as
 * root, sent a client the names, sizes and times below /root). Undefined where no handle is used:
 * not Linux, `follow` (which follows links anyway), or out of handles (by path then, as before).
 * Throws a CONFLICT when the directory there is no longer the one stated.
 */
function openChecked(opts: WalkOptions, via: string, rel: string, id: string, isRoot: boolean): number | undefined {
  if (opts.symlinks === 'follow' || !canPinDirectories()) return undefined
  let fd: number
  try {
    // The root may be a symlink the user gave: followed, as its lstat was.
    fd = openSync(via, constants.O_RDONLY | constants.O_DIRECTORY | (isRoot ? 0 : constants.O_NOFOLLOW))
  } catch (err) {
    const errno = errnoOf(err)
    if (errno === 'EMFILE' || errno === 'ENFILE') return undefined
    // A symlink there now (O_NOFOLLOW: ELOOP, or ENOTDIR with O_DIRECTORY): changed since its lstat.
    if (errno === 'ELOOP' || (errno === 'ENOTDIR' && !isRoot)) throw changedWhileListed(rel)
    throw err
  }
  const st = fstatSync(fd)
  if (idOf(st) !== id) {
    closeSync(fd)
    throw changedWhileListed(rel)
  }
  return fd
}

function changedWhileListed(rel: string): SyncError {
  return new SyncError('CONFLICT', 'changed while it was listed (replaced since it was read)', {
    op: 'local.list',
    path: rel,
    hint: 'Nothing was deleted on this run; run again once the tree is still.',
  })
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
    // An excluded link is skipped without a word, as rsync -L does: reported, it would hold back
    // every run's deletes while it exists (QA 14 #1).
    if (target === undefined && opts.excluded?.(path) !== true) {
      report(opts, danglingSymlink('local.list', path))
    }
    return target
  } catch (err) {
    if (opts.excluded?.(path) === true) return undefined
    const errno = errnoOf(err)
    report(
      opts,
      errno === 'ENAMETOOLONG'
        ? pathTooLong(err, path)
        : errno === 'ELOOP'
          ? symlinkLoop(err, abs, path)
          : toSyncError(err, 'list', path),
    )
    return undefined
  }
}

/**
 * A symlink whose target does not exist, under `--symlinks follow`: an error of the listing (or of
 * a watch cycle's stat), never an absent path, so the run holds its deletes back.
 */
export function danglingSymlink(op: string, path: RelPath): SyncError {
  return new SyncError('NOT_FOUND', 'dangling symlink (its target does not exist); skipped', {
    op,
    path,
    hint: 'Fix or remove the symlink, or use --symlinks preserve.',
  })
}

/** Links named when `symlinkLoop` shows a chain; links followed at most to tell a loop from a long chain. */
const CHAIN_SHOWN = 8
const CHAIN_FOLLOWED = 100

/**
 * A symlink that cannot be followed (ELOOP) under `--symlinks follow`: a loop (`l1 -> l2 -> l1`),
 * said as a link to its own directory is, or a chain of more links than the system follows (40
 * on Linux), each naming the links on the way (QA 10 #10: it got the hint for an over-long name).
 */
function symlinkLoop(err: unknown, abs: string, path: string): SyncError {
  const targets: string[] = []
  const seen = new Set([abs])
  // Whether the chain was seen to end in something else than a link (a long chain, not a loop).
  let ends = false
  try {
    for (let at = abs; targets.length < CHAIN_FOLLOWED; ) {
      const linkTarget = readlinkSync(at)
      targets.push(linkTarget)
      at = resolve(dirname(at), linkTarget)
      if (seen.has(at)) break
      if (!lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink()) {
        ends = true
        break
      }
      seen.add(at)
    }
  } catch {}
  const chain = [path, ...targets.slice(0, CHAIN_SHOWN), ...(targets.length > CHAIN_SHOWN ? ['…'] : [])].join(' -> ')
  return new SyncError(
    'INVALID_PATH',
    ends
      ? `symlink chain too long: ${chain} goes through more links than this system follows; skipped`
      : `symlink loop: ${chain} never reaches a file or directory; skipped`,
    {
      op: 'local.list',
      path,
      hint: ends
        ? 'Shorten the chain of links, or use --symlinks preserve.'
        : 'Remove the loop, or use --symlinks preserve.',
      cause: err,
    },
  )
}

/**
 * A name whose full path is longer than the system allows (PATH_MAX, 4096 bytes on Linux): it
 * cannot be opened by that path, so it is left out (a directory with all below it), and said once.
 */
function pathTooLong(err: unknown, path: string): SyncError {
  return new SyncError('INVALID_PATH', 'ENAMETOOLONG: its full path is longer than this system allows; not listed', {
    op: 'local.list',
    path,
    hint: 'The full path is longer than this system allows (PATH_MAX): exclude it with --exclude, or move it nearer the root.',
    cause: err,
  })
}

function symlinkEntry(opts: WalkOptions, abs: string, path: RelPath, st: Stats): Entry | undefined {
  try {
    const linkTarget = readLinkTarget(abs, 'local.list', path)
    return { path, kind: 'symlink', size: st.size, mtimeMs: st.mtimeMs, linkTarget, version: versionOf(st) }
  } catch (err) {
    // No longer a link (EINVAL: replaced by a file or directory since its lstat; ENOENT: gone): it
    // changed while it was listed, not "a bug in syncflow" (security review 22 #2).
    const errno = errnoOf(err)
    report(
      opts,
      errno === 'EINVAL' || errno === 'ENOENT'
        ? new SyncError('CONFLICT', 'changed while it was listed (no longer a symlink)', {
            op: 'local.list',
            path,
            hint: 'Nothing was deleted on this run; run again once the tree is still.',
            cause: err,
          })
        : toSyncError(err, 'list', path),
    )
    return undefined
  }
}

/**
 * A FIFO, socket or device listed as a `file` of size 0 (`ListOptions.specialFiles`): something a
 * mirror deletes, or replaces by the source's file. Its reads and hashes fail (not a regular file).
 */
export function specialEntry(path: RelPath, st: Stats): Entry {
  return {
    path,
    kind: 'file',
    size: 0,
    mtimeMs: st.mtimeMs,
    mode: st.mode & 0o7777,
    version: versionOf(st),
    special: true,
  }
}

/** The entry of a regular file from its stats. */
export function fileEntry(path: RelPath, st: Stats): Entry {
  return { path, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, version: versionOf(st) }
}

/**
 * What `ReadOptions.expect` is compared with: a file's size, mtime and version as its listing gives
 * them (also for `syncflow serve`, whose files are listed by this backend).
 */
export function listedOf(st: Stats): ListedFile {
  return { size: st.size, mtimeMs: st.mtimeMs, version: versionOf(st) }
}

/** inode and ctime: a rewrite (new inode by rename) or any metadata change (ctime) gives a new version. */
export function versionOf(st: Stats): string {
  return `${st.ino}:${st.ctimeMs}`
}

/** A followed symlink to a directory that holds it (or the root): reported, never entered or listed. */
export function directoryLoop(op: string, path: RelPath): SyncError {
  return new SyncError('INVALID_PATH', 'symlink loop: this directory contains itself; not entered', {
    op,
    path,
    hint: 'Remove the looping symlink, or use --symlinks preserve.',
  })
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
