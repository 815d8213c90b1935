import {
  type Dirent,
  existsSync,
  type FSWatcher,
  watch as fsWatch,
  lstatSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs'
import { lstat, readdir, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { type Change, hasUnsafeCharacter, IGNORE_FILE_NAME, isRelPath, type RelPath, SyncError } from '@syncflow/core'
import { Observable, type Subscriber } from 'rxjs'
import type { Fence } from './fence.js'
import { toSyncError } from './to-sync-error.js'
import { undecodablePart } from './undecodable-names.js'
import { type RootPathWatch, watchRootPath } from './watch-root-path.js'

/** Options of `watchLocal`. */
export interface LocalWatchOptions {
  /** Report changes inside symlinked directories (the `follow` symlink policy). [false] */
  readonly followSymlinks?: boolean
  /**
   * With `followSymlinks`: directories never watched through a link, nor files in them (the run's
   * target: watched, each write of a cycle was heard as a change of the source; QA 12 #2). Linux only.
   */
  readonly fence?: Fence
  /** Names never reported (the backend's own temp files). */
  readonly ignoreName?: (name: string) => boolean
  /** Aborting ends the stream (completes it) and closes the watcher. */
  readonly signal?: AbortSignal
  /** Called once the initial walk is done: from then on every change is reported. */
  readonly onReady?: () => void
  /**
   * Linux: the root path came to lead to another directory (renamed over, a symlinked root
   * re-pointed), which is watched from then on, its contents not reported: called once it is, with
   * what happened, for the caller to sync the tree in full. Without it, the stream ends with a
   * `TRANSIENT` error instead (a lost stream: its consumer watches again and rescans).
   */
  readonly onResync?: (reason: string) => void
}

const toPosix = sep === '/' ? (p: string) => p : (p: string) => p.split(sep).join('/')

/**
 * Change hints below the directory `root` from OS events: `upsert` for a path created or written,
 * `remove` for one gone (a rename is both). What exists when watching starts is not reported:
 * `onReady` says when every later change will be (the initial sync starts then). A watcher error,
 * such as ENOSPC when the inotify watches are exhausted, ends the stream with a SyncError, so the
 * continuous engine falls back to polling and says so. Unsubscribing (or aborting) closes it.
 *
 * On Linux, inotify through one `fs.watch` per directory (`watchDirectories`); elsewhere chokidar
 * (FSEvents, ReadDirectoryChangesW), loaded on first use.
 */
export function watchLocal(root: string, opts: LocalWatchOptions = {}): Observable<Change> {
  return process.platform === 'linux' ? watchDirectories(root, opts) : watchWithChokidar(realPathOf(root), opts)
}

/** `path` resolved (the real directory a symlinked root leads to), or as it is when that fails (gone). */
function realPathOf(path: string): string {
  try {
    return realpathSync.native(path)
  } catch {
    return path
  }
}

/** What is known of one watched directory. */
interface WatchedDir {
  readonly watcher: FSWatcher
  /** dev:ino of the directory watched (a directory removed and made again under its name is another one). */
  readonly id: string
  /** Its entries as last read: name → is a directory (watched in turn). */
  names: Map<string, boolean>
  /** A re-read is scheduled… */
  timer?: NodeJS.Timeout
  /** …or running, and another one is due after it. */
  reading?: { again: boolean }
  /** An event named the directory itself (inotify: it was removed or moved): watch it afresh. */
  renewed?: boolean
  /**
   * Names that `rename` events named since the last reading. A name there before and after may
   * have been replaced by a rename over it (an editor's save, `sed -i`, `mv tmp file`): a new file
   * that a comparison of names alone cannot tell from the old one.
   */
  renamed?: Set<string>
  /**
   * The root only: its birth time when watched (0 where the file system keeps none), which tells
   * the root's removal from a child's of the same name when an event names it (see `onEvent`).
   */
  born?: number
}

/** The birth time of the directory at `path` (0: not kept there), undefined when it is gone. */
function bornAt(path: string): number | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false })?.birthtimeMs
  } catch {
    return undefined
  }
}

/**
 * A directory holding the file (present or not) that symlinks of the watched tree point to, under
 * the `follow` policy: watched for that file's name coming and going.
 */
interface TargetDir {
  readonly watcher: FSWatcher
  /** Name in the directory → the links (paths below the root) pointing to it. */
  readonly names: Map<string, Set<string>>
}

/**
 * How long a root path found gone is given to be back before the stream fails: a swap by two
 * renames (`mv src src.old; mv src.new src`) has it gone for the moment between them, and failing
 * then left the job polling the whole tree every 2 s for good, where it can go on watching.
 */
const ROOT_GONE_GRACE_MS = 500

/** Links followed at most to find the file a chain of them ends in (Linux follows 40). */
const CHAIN_FOLLOWED = 40

/**
 * The file a symlink leads to, followed link by link (without resolving the directories on the
 * way), as `{ dir, name }`: the last path of the chain, whether it exists or not. Undefined when
 * `abs` is no symlink (any more), or the chain loops or is too long.
 */
function linkedFile(abs: string): { dir: string; name: string } | undefined {
  let at = abs
  try {
    for (let i = 0; i < CHAIN_FOLLOWED; i++) {
      const next = resolve(dirname(at), readlinkSync(at))
      if (lstatSync(next, { throwIfNoEntry: false })?.isSymbolicLink() !== true) {
        return { dir: dirname(next), name: basename(next) }
      }
      at = next
    }
  } catch {
    // Not a link (any more), or a directory on the way that cannot be read.
  }
  return undefined
}

/** dev:ino of the directory at `abs` (undefined: gone, or not a directory). */
function dirIdentity(abs: string): string | undefined {
  try {
    const st = statSync(abs, { throwIfNoEntry: false })
    return st?.isDirectory() ? `${st.dev}:${st.ino}` : undefined
  } catch {
    return undefined
  }
}

/**
 * `rel` as the path of a change, or undefined when it is not reported: watch events are input like
 * any listing, so only safe RelPaths go on, and names the backend owns (`ignoreName`) never do.
 */
function reportable(
  root: string,
  rel: string,
  opts: LocalWatchOptions,
  type: Change['type'],
  written: boolean,
): RelPath | undefined {
  if (rel === '') return undefined
  if (!isRelPath(rel)) {
    // A name made or renamed with a control character in it (under a safe directory) is passed on
    // for the engine to report at once, as a listing does; a rescan an hour later did (QA). A name
    // that never could be synced going away is no change; nor is a write to it (`written`): it
    // was reported when it was made or renamed (or by the listing, if it was there before), and
    // `echo x > NAME`, made then written, was reported twice, a file written in many pieces more
    // (QA F11).
    const parent = rel.slice(0, Math.max(0, rel.lastIndexOf('/')))
    const unsafe = type === 'upsert' && !written && hasUnsafeCharacter(rel) && (parent === '' || isRelPath(parent))
    return unsafe && !opts.ignoreName?.(rel.slice(rel.lastIndexOf('/') + 1)) ? (rel as RelPath) : undefined
  }
  if (opts.ignoreName?.(rel.slice(rel.lastIndexOf('/') + 1))) return undefined
  // A name that is not UTF-8 comes decoded with U+FFFD, which addresses another, missing file. Made
  // or written, it is passed on: the backend's stat reports it as a listing does, and the cycle
  // holds its deletes back (a rename to such a name, even into another directory, deleted the
  // target's copy: QA). Gone, it is no change: read as "removed", the target's file of the decoded
  // name was deleted (QA); a genuine U+FFFD name that is gone waits for the next rescan.
  if (type === 'remove' && rel.includes('\ufffd')) return undefined
  // A write to such a name is not passed on either: the name was reported when it was made or
  // renamed, and each append to a log so named was a failed cycle of its own (QA 6 F6). A write to a
  // valid U+FFFD name beside such a twin waits for the next rescan, like the twin.
  if (written && undecodablePart(root, rel) !== undefined) return undefined
  return rel as RelPath
}

/**
 * Linux: inotify, one `fs.watch` per directory (Node's recursive watch is not native there). The
 * events are hints and are not stated: a write (`change`) is an upsert of its name; a name created,
 * removed or renamed (`rename`) makes the directory be read again (at once, or a little later when
 * it is large, so a burst into it costs a few reads, not one per file), and the difference with the
 * last reading gives the upserts and removes. New subdirectories are watched and read, their
 * contents reported (files written there before the watch existed have no event of their own).
 * chokidar stats every path it reports; on a burst of 10,000 new files that was most of the
 * watching process's CPU.
 */
export function watchDirectories(rootPath: string, opts: LocalWatchOptions = {}): Observable<Change> {
  return new Observable<Change>((subscriber) => {
    /**
     * The real directory watched, read and reported from: a symlinked root is followed even where
     * links below it are not. Another one when the root path comes to lead elsewhere (`rootMoved`).
     */
    let root = realPathOf(rootPath)
    const dirs = new Map<string, WatchedDir>()
    /** dev:ino of the directories watched, so a symlink loop (`follow`) is watched once. */
    const seen = new Set<string>()
    /**
     * Under the `follow` policy, the file each symlink to a file points to, watched through the
     * link: a write to it is a change of the link's copy too. The watch of its directory reports
     * only the link itself (made, removed, re-pointed), so a linked file edited kept its old content
     * in the target until the next rescan, and one outside the root was never refreshed (QA 10 #4).
     */
    const linked = new Map<string, FSWatcher>()
    /**
     * The directories of the files those links point to, one watch each however many links point
     * there, released when none does: a file removed (or renamed away, a log rotated) and made
     * again has no watch of its own until then, so its return is heard there (QA 11 #1). By
     * absolute path; each link's entry there, by link.
     */
    const targetDirs = new Map<string, TargetDir>()
    const linkTargets = new Map<string, { dir: string; name: string }>()
    let closed = false
    /** Checks shortly after the root path was gone whether it is back (`rootMoved`). */
    let goneTimer: NodeJS.Timeout | undefined
    /** Tells when the root path may lead elsewhere (set once watching starts). */
    let rootPathWatch: RootPathWatch | undefined
    const abs = (rel: string): string => (rel === '' ? root : join(root, rel))
    const child = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`)
    /** Passes a change on; `written`: a write to the file (inotify `change`), not a name made. */
    const emit = (type: Change['type'], rel: string, written = false): void => {
      const path = closed ? undefined : reportable(root, rel, opts, type, written)
      if (path !== undefined) subscriber.next({ type, path })
    }
    const close = (): void => {
      if (closed) return
      closed = true
      opts.signal?.removeEventListener('abort', onAbort)
      rootPathWatch?.close()
      unwatchAll()
    }
    /** Closes every watch of the tree and forgets what it knew of it. */
    const unwatchAll = (): void => {
      clearTimeout(goneTimer)
      goneTimer = undefined
      for (const d of dirs.values()) {
        clearTimeout(d.timer)
        d.watcher.close()
      }
      dirs.clear()
      seen.clear()
      for (const w of linked.values()) w.close()
      linked.clear()
      for (const t of targetDirs.values()) t.watcher.close()
      targetDirs.clear()
      linkTargets.clear()
    }
    const fail = (err: unknown): void => {
      if (closed) return
      close()
      subscriber.error(toSyncError(err, 'watch', rootPath))
    }
    const onAbort = (): void => {
      close()
      subscriber.complete()
    }
    /** Takes the symlink `rel` off the directory watch of the file it pointed to (released when no link is left there). */
    const releaseTargetDir = (rel: string): void => {
      const at = linkTargets.get(rel)
      if (at === undefined) return
      linkTargets.delete(rel)
      const t = targetDirs.get(at.dir)
      const links = t?.names.get(at.name)
      links?.delete(rel)
      if (t === undefined || links === undefined || links.size > 0) return
      t.names.delete(at.name)
      if (t.names.size > 0) return
      t.watcher.close()
      targetDirs.delete(at.dir)
    }
    /** Watches `dir`, holding files links point to (undefined: it cannot be watched, gone itself). */
    const openTargetDir = (dir: string): TargetDir | undefined => {
      const id = dirIdentity(dir)
      if (id === undefined) return undefined
      let watcher: FSWatcher
      try {
        watcher = fsWatch(dir, { persistent: true }, (event, name) => {
          // Writes to the files are their own watches' (one event each, not two); here, names.
          if (closed || event !== 'rename' || typeof name !== 'string' || targetDirs.get(dir) !== t) return
          // About the directory itself (inotify names it): removed or moved away, the watch is dead.
          if (name === basename(dir) && dirIdentity(dir) !== id) {
            retireTargetDir(dir, t)
            return
          }
          for (const link of [...(t.names.get(name) ?? [])]) {
            emit('upsert', link, true)
            watchLink(link)
          }
        })
      } catch {
        return undefined
      }
      const t: TargetDir = { watcher, names: new Map() }
      watcher.on('error', () => {
        if (targetDirs.get(dir) === t) retireTargetDir(dir, t)
      })
      targetDirs.set(dir, t)
      return t
    }
    /**
     * Stops watching `dir` (gone): each link into it is a change (its file went with it) and is
     * watched afresh, its directory too should it be there again.
     */
    const retireTargetDir = (dir: string, t: TargetDir): void => {
      t.watcher.close()
      targetDirs.delete(dir)
      const links = [...t.names.values()].flatMap((set) => [...set])
      for (const link of links) linkTargets.delete(link)
      for (const link of links) {
        emit('upsert', link, true)
        watchLink(link)
      }
    }
    /**
     * Watches the directory of the file the symlink `rel` points to for that file's name (if it is
     * not already): a name made, removed or renamed there is an upsert of the link, and the file
     * is watched afresh through it. A directory that cannot be watched (gone itself) is left
     * alone: the link is tried again when its own directory is read again.
     */
    const watchTargetDir = (rel: string): void => {
      const at = linkedFile(abs(rel))
      const was = linkTargets.get(rel)
      if (at !== undefined && was?.dir === at.dir && was.name === at.name && targetDirs.has(at.dir)) return
      releaseTargetDir(rel)
      if (at === undefined || closed) return
      const t = targetDirs.get(at.dir) ?? openTargetDir(at.dir)
      if (t === undefined) return
      const links = t.names.get(at.name) ?? new Set<string>()
      links.add(rel)
      t.names.set(at.name, links)
      linkTargets.set(rel, at)
    }
    /** Stops watching the file the symlink `rel` points to (and its directory, for this link). */
    const unwatchLink = (rel: string): void => {
      closeLinkWatch(rel)
      releaseTargetDir(rel)
    }
    const closeLinkWatch = (rel: string): void => {
      linked.get(rel)?.close()
      linked.delete(rel)
    }
    /**
     * Watches the file the symlink `rel` points to, anew (a link re-pointed, a target replaced by a
     * rename over it: the watch follows the old file). Each event is an upsert of the link; one
     * that may mean the file was replaced or removed (`rename`) watches it afresh. A link whose
     * file cannot be watched (dangling: removed, or renamed away and not yet made again) is
     * reported by the watch of that file's directory when the file comes back.
     */
    const watchLink = (rel: string): void => {
      closeLinkWatch(rel)
      // A link into the target: its file is written by the cycles themselves (the link's stat
      // reports it; its own directory's watch still hears it re-pointed).
      if (closed || opts.fence?.resolvesInto(abs(rel)) === true) {
        releaseTargetDir(rel)
        return
      }
      watchTargetDir(rel)
      let watcher: FSWatcher
      try {
        watcher = fsWatch(abs(rel), { persistent: true }, (event) => {
          if (closed || linked.get(rel) !== watcher) return
          emit('upsert', rel, true)
          if (event === 'rename') watchLink(rel)
        })
      } catch {
        return
      }
      watcher.on('error', () => {
        if (linked.get(rel) === watcher) closeLinkWatch(rel)
      })
      linked.set(rel, watcher)
    }
    /** Stops watching `rel` and everything below it (it is gone). */
    const drop = (rel: string): void => {
      for (const path of new Set([...linked.keys(), ...linkTargets.keys()])) {
        if (path.startsWith(`${rel}/`)) unwatchLink(path)
      }
      for (const [path, d] of dirs) {
        if (path === rel || path.startsWith(`${rel}/`)) {
          clearTimeout(d.timer)
          d.watcher.close()
          dirs.delete(path)
          seen.delete(d.id)
        }
      }
    }
    /** A symlink to a directory, under the `follow` policy. */
    const linksToDir = async (dir: string, e: Dirent): Promise<boolean> =>
      opts.followSymlinks === true &&
      e.isSymbolicLink() &&
      (await stat(abs(child(dir, e.name))).catch(() => undefined))?.isDirectory() === true
    /** The entries of `rel` (undefined: it is gone or cannot be read). */
    const read = async (rel: string): Promise<Map<string, boolean> | undefined> => {
      let entries: Dirent[]
      try {
        entries = await readdir(abs(rel), { withFileTypes: true })
      } catch {
        return undefined
      }
      const names = new Map<string, boolean>()
      for (const e of entries) {
        const dir = e.isDirectory() || (await linksToDir(rel, e))
        names.set(e.name, dir)
        // The ignore file at the root, a symlink to one, is watched through under any policy: its
        // rules are read through the link, and an edit of the file it points to (kept elsewhere, a
        // dotfiles repository) was heard by no watch, its rules applied at the next rescan (QA 28d).
        const through = opts.followSymlinks === true || (rel === '' && e.name === IGNORE_FILE_NAME)
        // Read again for a change in the directory: the link may point elsewhere now.
        if (through && e.isSymbolicLink() && !dir) watchLink(child(rel, e.name))
        else if (linked.has(child(rel, e.name)) || linkTargets.has(child(rel, e.name))) {
          unwatchLink(child(rel, e.name)) // no longer a link
        }
      }
      return names
    }
    /** Watches `rel` (then reads it, so nothing made in between is missed) and, in turn, its subdirectories. */
    const add = async (rel: string, report: boolean): Promise<void> => {
      if (closed || dirs.has(rel)) return
      const id = await identity(rel)
      // Gone already; or, under the `follow` policy, a directory reached again through a symlink loop.
      if (id === undefined || seen.has(id) || closed || dirs.has(rel)) return
      if (opts.fence !== undefined && rel !== '' && (await fenced(rel, id, opts.fence))) return
      let watcher: FSWatcher
      try {
        watcher = fsWatch(abs(rel), { persistent: true }, (event, name) => onEvent(rel, event, name))
        seen.add(id)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        // Gone already, or not ours to read: nothing to watch there (as chokidar's ignorePermissionErrors).
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM') return
        // No inotify instance to be had (the user's fs.inotify.max_user_instances used up, or this
        // process's files): as watches exhausted (ENOSPC), events are unavailable for good and the
        // job polls. As TRANSIENT (EMFILE's code elsewhere) the job waited for the events to come
        // back, with neither an initial sync nor polling, silently: nothing was synced (QA 26).
        if (code === 'EMFILE' || code === 'ENFILE') {
          fail(
            new SyncError(
              'NO_SPACE',
              `${(err as Error).message}: no inotify instance to watch with (the user's fs.inotify.max_user_instances are used up, or this process's open files)`,
              {
                op: 'local.watch',
                path: rootPath,
                hint: 'Raise the limit (sysctl fs.inotify.max_user_instances=512, or ulimit -n), or stop some watching programs.',
                cause: err,
              },
            ),
          )
          return
        }
        fail(err)
        return
      }
      watcher.on('error', (err: NodeJS.ErrnoException) => {
        const gone = err.code === 'ENOENT' || err.code === 'EPERM' || err.code === 'EACCES'
        if (gone && rel !== '') drop(rel)
        else fail(err)
      })
      const d: WatchedDir = { watcher, names: new Map(), id }
      if (rel === '') d.born = bornAt(root)
      dirs.set(rel, d)
      const names = await read(rel)
      if (closed || dirs.get(rel) !== d) return
      if (names === undefined) {
        drop(rel)
        return
      }
      d.names = names
      for (const [name, dir] of names) {
        if (report) emit('upsert', child(rel, name))
        if (dir) await add(child(rel, name), report)
      }
    }
    /**
     * The directory at `rel` is the fenced target, or a link's way into it: never watched (the
     * link's stat reports it to each cycle), so the cycles' own writes are not heard as changes.
     */
    const fenced = async (rel: string, id: string, fence: Fence): Promise<boolean> => {
      if (fence.isFenced(id)) return true
      const link = (await lstat(abs(rel)).catch(() => undefined))?.isSymbolicLink() === true
      return link && fence.resolvesInto(abs(rel))
    }
    /** dev:ino of the directory at `rel` (undefined: gone). */
    const identity = async (rel: string): Promise<string | undefined> => {
      const st = await stat(abs(rel)).catch(() => undefined)
      return st?.isDirectory() ? `${st.dev}:${st.ino}` : undefined
    }
    /**
     * The directory watched at `rel` was removed (and maybe made again under the same name, even
     * with the same inode): the watch follows the old one. It is reported removed, also when a
     * directory stands there again (`mv logs logs.old; mkdir logs`): the engine then compares the
     * new one whole, and deletes the old contents from the mirror, which had no event of their own
     * (QA 12 #3: reported only as an upsert, they stayed until the next rescan). Its parent reads
     * the name again as new, whatever it finds: a directory there now is watched and read afresh.
     */
    const lost = (rel: string): void => {
      drop(rel)
      emit('remove', rel)
      const slash = rel.lastIndexOf('/')
      const parent = slash < 0 ? '' : rel.slice(0, slash)
      dirs.get(parent)?.names.delete(rel.slice(slash + 1))
      schedule(parent)
    }
    const rootGone = (): Error => Object.assign(new Error(`${rootPath} is gone`), { code: 'ENOENT' })
    /**
     * Whether the root path no longer leads to the directory watched (asked by `watchRootPath`, and
     * before each reading of the root, one stat): the watch follows the old one's inode, which kept
     * being watched while the new one was read by path (QA 23 #1, #2). Another directory there is
     * watched afresh (`rewatch`). Gone, it is asked again a moment later (`ROOT_GONE_GRACE_MS`);
     * gone still, the stream fails as before: the engine polls until it is back, then rescans.
     */
    const rootMoved = (): boolean => {
      const d = dirs.get('')
      if (closed || d === undefined) return false
      const now = dirIdentity(rootPath)
      if (now === d.id && d.renewed !== true) return false
      if (now !== undefined) {
        rewatch(now === d.id)
        return true
      }
      goneTimer ??= setTimeout(() => {
        goneTimer = undefined
        if (closed || dirs.get('') !== d) return
        const again = dirIdentity(rootPath)
        if (again === undefined) fail(rootGone())
        else if (again !== d.id || d.renewed === true) rewatch(again === d.id)
        else schedule('') // moved back: what changed meanwhile is read
      }, ROOT_GONE_GRACE_MS)
      return true
    }
    /**
     * Watches the directory the root path leads to now, its contents not reported: the caller is
     * told (`onResync`) once it is watched, and syncs it in full, which finds what it holds (a
     * reading of names by path alone missed what changed in files kept, and deleted nothing the
     * old tree had below a kept directory). `sameInode`: the directory there has the old one's
     * dev:ino (made again at once, the inode reused; or moved away and back).
     */
    const rewatch = (sameInode = false): void => {
      const was = root
      unwatchAll()
      root = realPathOf(rootPath)
      const reason =
        root !== was
          ? `${rootPath} leads to ${root} now, no longer to ${was}`
          : sameInode
            ? `${rootPath} was removed or moved away, and a directory is there again`
            : `${rootPath} is another directory now (replaced by a rename?)`
      if (opts.onResync === undefined) {
        fail(new SyncError('TRANSIENT', reason, { op: 'watch', hint: `Watch ${rootPath} again and rescan it.` }))
        return
      }
      add('', false).then(() => {
        if (closed) return
        if (!dirs.has('')) fail(rootGone())
        else opts.onResync?.(reason)
      }, fail)
    }
    /** Reads `rel` again and reports how it differs from the last reading. */
    const reread = async (rel: string): Promise<void> => {
      const d = dirs.get(rel)
      if (!d || closed) return
      if (rel === '' && rootMoved()) return
      d.reading = { again: false }
      const renamed = d.renamed
      d.renamed = undefined
      const id = rel === '' ? d.id : await identity(rel)
      if (closed || dirs.get(rel) !== d) return
      if (d.renewed === true || id !== d.id) {
        lost(rel)
        return
      }
      const names = await read(rel)
      if (closed || dirs.get(rel) !== d) return
      if (names === undefined) {
        if (rel !== '') lost(rel)
        // The root could not be read: gone (`rm -rf src; mkdir src` read between the two, its own
        // removal event not yet heard), so the directory there now, if any, is another one. It is
        // given the grace of a root found gone (`rootMoved`); gone still, the stream fails, events
        // end and the engine polls, saying so. Failing at once ended a watch whose root was back
        // 1 ms later (CI, 1 run in 40 here).
        else {
          d.renewed = true
          if (!rootMoved()) fail(rootGone())
        }
        return
      }
      const before = d.names
      d.names = names
      const added: string[] = []
      for (const [name, dir] of before) {
        const now = names.get(name)
        if (now === undefined) unwatchLink(child(rel, name))
        if (now === dir) continue
        emit('remove', child(rel, name))
        if (dir) drop(child(rel, name))
        if (now !== undefined) added.push(name)
      }
      for (const name of names.keys()) if (!before.has(name)) added.push(name)
      for (const name of added) {
        emit('upsert', child(rel, name))
        if (names.get(name)) await add(child(rel, name), true)
      }
      // Renamed over, the same name both times: a file is reported changed; a directory watched
      // is checked for being another one (its identity), as when it is removed and made again.
      for (const name of renamed ?? []) {
        if (!before.has(name) || before.get(name) !== names.get(name)) continue
        if (names.get(name)) watchAgain(child(rel, name))
        else emit('upsert', child(rel, name))
      }
      const again = d.reading.again
      d.reading = undefined
      if (again) schedule(rel)
    }
    /**
     * A subdirectory named by an event: read again if watched; else watched now, its contents
     * reported (one made unreadable was dropped, and made readable again it was never watched
     * again: what changed inside waited for the next rescan; QA 6 F2).
     */
    const watchAgain = (rel: string): void => {
      if (dirs.has(rel)) {
        schedule(rel)
        return
      }
      // The directory itself too: its mode, made readable again, is the target's to get.
      emit('upsert', rel)
      add(rel, true).catch(fail)
    }
    const schedule = (rel: string): void => {
      const d = dirs.get(rel)
      if (!d || d.timer) return
      if (d.reading) {
        d.reading.again = true
        return
      }
      // A large directory is read a little later, so that a burst into it costs a few reads.
      const delayMs = Math.min(200, d.names.size / 500)
      d.timer = setTimeout(() => {
        d.timer = undefined
        reread(rel).catch(fail)
      }, delayMs)
    }
    /** Whether an event naming the root (`name`, its base name) tells its removal (see `onEvent`). */
    const rootRemoved = (d: WatchedDir, name: string): boolean => {
      if (d.born !== undefined && d.born > 0) return bornAt(rootPath) !== d.born
      return !d.names.has(name) && !existsSync(join(root, name))
    }
    const onEvent = (rel: string, event: string, name: string | Buffer | null): void => {
      if (closed) return
      rootPathWatch?.poke()
      if (event === 'change' && typeof name === 'string' && name !== '') {
        emit('upsert', child(rel, name), true)
        // A subdirectory's attributes changed (chmod): one that could not be watched may be now.
        if (dirs.get(rel)?.names.get(name) === true && !dirs.has(child(rel, name))) watchAgain(child(rel, name))
        return
      }
      // An event about the directory itself carries its own name (a child of that name is renewed
      // for nothing, which costs one read).
      const d = dirs.get(rel)
      if (d && rel !== '' && name === basename(rel)) d.renewed = true
      // The root's own removal or move (inotify names the directory itself, and the root has no
      // child of that name): the root path is checked again below (`rootMoved`), and this tells it
      // that the directory there is another one even where its dev:ino says otherwise. ext4 gives
      // a directory made at once under the name (`rm -rf src; mkdir src`) the freed inode, so the
      // new one passed for the one watched, whose watch was dead: nothing made in it was ever
      // reported, until the next rescan (QA 28d).
      // An event names a child of the root's name alike: a file `build/build` made and removed at
      // once was taken for the root's removal, a full sync each time with "removed or moved away"
      // (review 28). Where the file system keeps birth times, the root path's tells: another
      // directory (made again, the inode reused) or none was born at another time, or is gone.
      else if (d && rel === '' && name === basename(root) && rootRemoved(d, name)) {
        d.renewed = true
      } else if (d && typeof name === 'string' && name !== '') {
        d.renamed ??= new Set()
        d.renamed.add(name)
      }
      schedule(rel)
    }

    if (opts.signal?.aborted) {
      subscriber.complete()
      return
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    rootPathWatch = watchRootPath(rootPath, () => rootMoved())
    add('', false).then(() => {
      if (closed) return
      if (!dirs.has('')) fail(Object.assign(new Error(`cannot watch ${rootPath}`), { code: 'ENOENT' }))
      else opts.onReady?.()
    }, fail)
    return close
  })
}

/** Elsewhere than Linux: chokidar, which uses FSEvents (macOS) or ReadDirectoryChangesW (Windows). */
function watchWithChokidar(root: string, opts: LocalWatchOptions): Observable<Change> {
  return new Observable<Change>((subscriber: Subscriber<Change>) => {
    let closed = false
    let closeWatcher: (() => Promise<void>) | undefined
    const emit =
      (type: Change['type'], written = false) =>
      (native: string) => {
        const path = reportable(root, toPosix(native), opts, type, written)
        if (path !== undefined) subscriber.next({ type, path })
      }
    const close = (): void => {
      if (closed) return
      closed = true
      opts.signal?.removeEventListener('abort', onAbort)
      void closeWatcher?.().catch(() => {})
    }
    const onAbort = (): void => {
      close()
      subscriber.complete()
    }
    if (opts.signal?.aborted) {
      subscriber.complete()
      return
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    import('chokidar').then(
      ({ watch }) => {
        if (closed) return
        const watcher = watch(root, {
          cwd: root,
          ignoreInitial: true,
          followSymlinks: opts.followSymlinks ?? false,
          ignorePermissionErrors: true,
          // chokidar would hold each unlink 100 ms to merge an editor's save into one change; the
          // engine re-stats and coalesces anyway, and a prompt unlink lets a rename's two halves
          // meet in one batch, where they become a move.
          atomic: false,
        })
        closeWatcher = () => watcher.close()
        watcher
          .on('add', emit('upsert'))
          .on('change', emit('upsert', true))
          .on('addDir', emit('upsert'))
          .on('unlink', emit('remove'))
          .on('unlinkDir', emit('remove'))
          .on('ready', () => {
            if (!closed) opts.onReady?.()
          })
          .on('error', (err: unknown) => {
            close()
            subscriber.error(toSyncError(err, 'watch', root))
          })
      },
      (err: unknown) => subscriber.error(toSyncError(err, 'watch', root)),
    )
    return close
  })
}
