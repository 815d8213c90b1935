import { randomBytes } from 'node:crypto'
import { readFileSync, unlinkSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { SyncError } from '../errors/sync-error.js'
import { makeDirectories } from '../util/make-directories.js'
import { defaultStateDir } from './default-state-dir.js'
import { assertJobId } from './job-id.js'
import { goneFromThisHost, ownIdentity } from './process-identity.js'

/** A held job lock. */
export interface JobLock {
  /** The lock file. */
  readonly path: string
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>
}

/** Options of `acquireJobLock`. */
export interface JobLockOptions {
  /** Directory of the lock file; default `defaultStateDir()`. */
  readonly stateDir?: string
  /** How long to wait for another run to finish, in ms; default 0 (fail at once). */
  readonly waitMs?: number
  /** Poll interval while waiting, in ms; default 200. */
  readonly pollMs?: number
}

/** What a lock file holds (JSON). `token` tells our lock from a newer one at the same path. */
interface LockInfo {
  readonly pid: number
  readonly host: string
  readonly startedAt: string
  readonly token: string
  /**
   * Linux: the boot (`/proc/sys/kernel/random/boot_id`) and the holder's start time in clock ticks
   * since it (`/proc/<pid>/stat`), which tell a reused pid from the holder without any wall clock.
   * Absent elsewhere, and in locks of older versions.
   */
  readonly boot?: string
  readonly startTicks?: string
  /** Linux: the owner's pid namespace (see `goneFromThisHost`); absent in locks of older versions. */
  readonly pidns?: string
}

/**
 * An unreadable lock file younger than this is taken to be one whose owner is between creating
 * and writing it; an older one was left by a run that died right there.
 */
const PARTIAL_LOCK_GRACE_MS = 10_000

/**
 * Takes the lock of job `jobId`: the file `<stateDir>/<jobId>.lock`, created with O_EXCL and
 * holding the owner's pid, host and start time. A lock left by a dead process on this host is
 * stale and taken over. Otherwise waits up to `waitMs`, polling, then throws.
 * The lock is released by `release()`, or when the process exits normally.
 * @throws SyncError `LOCKED` when another live run holds the lock; `PERMISSION` when the state
 * directory cannot be written.
 */
export async function acquireJobLock(jobId: string, opts: JobLockOptions = {}): Promise<JobLock> {
  assertJobId(jobId)
  const dir = opts.stateDir ?? defaultStateDir()
  const lockPath = path.join(dir, `${jobId}.lock`)
  const deadline = Date.now() + Math.max(0, opts.waitMs ?? 0)
  const pollMs = Math.max(1, opts.pollMs ?? 200)
  await makeDirectories(dir, 0o700).catch((err: unknown) => {
    throw lockIoError(err, lockPath)
  })

  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
    ...ownIdentity(),
  }
  for (;;) {
    if (await tryCreate(lockPath, info)) {
      await removeDebris(lockPath)
      return heldLock(lockPath, info.token)
    }
    const holder = await readLock(lockPath)
    if (holder === 'gone') continue
    if (holder !== 'partial' && isStale(holder)) {
      await takeOver(lockPath, holder)
      continue
    }
    const remaining = deadline - Date.now()
    if (remaining <= 0) throw lockedError(lockPath, holder)
    await delay(Math.min(pollMs, remaining))
  }
}

/**
 * Throws `LOCKED` when a live run holds job `jobId`'s lock, without taking it: for a job an earlier
 * version knew by another id (an `s3://` job with an endpoint, before 73b7dfd), whose run may still
 * be going while this version starts (QA 31m). A stale lock (its process gone) is left alone.
 * @throws SyncError `LOCKED` as `acquireJobLock` does.
 */
export async function assertJobUnlocked(jobId: string, opts: Pick<JobLockOptions, 'stateDir'> = {}): Promise<void> {
  assertJobId(jobId)
  const lockPath = path.join(opts.stateDir ?? defaultStateDir(), `${jobId}.lock`)
  const holder = await readLock(lockPath).catch(() => 'gone' as const)
  if (holder === 'gone' || (holder !== 'partial' && isStale(holder))) return
  throw lockedError(lockPath, holder)
}

async function tryCreate(lockPath: string, info: LockInfo): Promise<boolean> {
  // Written whole under a name of its own, then linked to the lock's name (atomic, and EEXIST when
  // taken): created first and written after, a run killed in between (SIGKILL, the OOM killer) left
  // an empty lock that made every run of the next 10 s fail "a run that is just starting" (exit 2;
  // QA 28c: 1 kill in 14 at start-up; a service restarted at once, as systemd does after 100 ms,
  // ran into its start limit so). Where no hard link can be made, created and written as before.
  const temp = `${lockPath}${TEMP_INFIX}${info.token}`
  try {
    await fs.writeFile(temp, `${JSON.stringify(info)}\n`, { flag: 'wx', mode: 0o644 })
  } catch (err) {
    // A full disk: nothing left behind.
    await fs.rm(temp, { force: true }).catch(() => {})
    throw lockIoError(err, lockPath)
  }
  try {
    await fs.link(temp, lockPath)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
      return createAndWrite(lockPath, info)
    }
    throw lockIoError(err, lockPath)
  } finally {
    await fs.rm(temp, { force: true }).catch(() => {})
  }
}

/** The temp name of a lock being made: `<jobId>.lock.new-<token>`. */
const TEMP_INFIX = '.new-'

/** Leftovers older than this, of a run killed while it made (or took over) a lock, are removed. */
const LOCK_DEBRIS_AGE_MS = 60_000

/**
 * Removes what runs of this job killed while they made a lock (`.new-`) or took a stale one over
 * (`.stale-`) left in the state directory; a young one may be another run's, at work now.
 */
async function removeDebris(lockPath: string): Promise<void> {
  const dir = path.dirname(lockPath)
  const prefix = `${path.basename(lockPath)}.`
  const names = await fs.readdir(dir).catch(() => [] as string[])
  const now = Date.now()
  for (const name of names) {
    if (!name.startsWith(`${prefix}new-`) && !name.startsWith(`${prefix}stale-`)) continue
    const file = path.join(dir, name)
    const stat = await fs.lstat(file).catch(() => undefined)
    if (stat?.isFile() && now - stat.mtimeMs > LOCK_DEBRIS_AGE_MS) await fs.rm(file, { force: true }).catch(() => {})
  }
}

/** A state directory where no hard link can be made: the lock is created, then written. */
async function createAndWrite(lockPath: string, info: LockInfo): Promise<boolean> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(lockPath, 'wx', 0o644)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw lockIoError(err, lockPath)
  }
  try {
    await handle.writeFile(`${JSON.stringify(info)}\n`)
  } catch (err) {
    // A full disk: no empty lock left behind to look like a run that is just starting.
    await handle.close().catch(() => {})
    await fs.rm(lockPath, { force: true }).catch(() => {})
    throw lockIoError(err, lockPath)
  }
  await handle.close()
  return true
}

/** The lock's owner; `'gone'` if the file vanished; `'partial'` if it is being written. */
async function readLock(lockPath: string): Promise<LockInfo | 'gone' | 'partial'> {
  let text: string
  try {
    text = await fs.readFile(lockPath, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone'
    throw lockIoError(err, lockPath)
  }
  const info = parseLock(text)
  if (info) return info
  const stat = await fs.stat(lockPath).catch(() => undefined)
  if (!stat) return 'gone'
  // (Its age either way: one dated well ahead of the clock was not made just now but before a clock
  // that restarted behind it, after a power cut; a negative age kept it "just starting" until then.)
  if (Math.abs(Date.now() - stat.mtimeMs) < PARTIAL_LOCK_GRACE_MS) return 'partial'
  // Unreadable and old: its writer died between creating and writing it.
  return { pid: -1, host: os.hostname(), startedAt: stat.mtime.toISOString(), token: '' }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'string') {
      return {
        pid: v.pid,
        host: v.host,
        startedAt: v.startedAt,
        token: typeof v.token === 'string' ? v.token : '',
        ...(typeof v.boot === 'string' && typeof v.startTicks === 'string'
          ? { boot: v.boot, startTicks: v.startTicks }
          : {}),
        ...(typeof v.pidns === 'string' ? { pidns: v.pidns } : {}),
      }
    }
  } catch {}
  return undefined
}

/** Only a lock of this host can be judged: a pid on another host says nothing here. */
function isStale(holder: LockInfo): boolean {
  if (holder.host !== os.hostname()) return false
  if (holder.pid <= 0) return true
  // Judged by its pid, boot and start, whatever pid namespace wrote it: a container restarted after
  // its run was killed (OOMKilled, docker kill) has a new pid namespace under the same host name,
  // and a lock file never expires, so "another namespace, cannot be judged" kept every later run
  // out for good (review 33, as QA 28c before it). A shared store's lease expires on its own, and
  // waits for that instead (see `goneFromThisHost`).
  const { pidns: _, ...judged } = holder
  return goneFromThisHost(judged)
}

/**
 * Removes a stale lock without ever removing a live one: the file is first renamed to a unique
 * name (atomic), and only deleted if what was moved is the stale lock that was judged. If another
 * run took the lock over in between, its fresh lock is put back (link fails rather than clobber).
 */
async function takeOver(lockPath: string, stale: LockInfo): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`
  try {
    await fs.rename(lockPath, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw lockIoError(err, lockPath)
  }
  const moved = parseLock(await fs.readFile(aside, 'utf8').catch(() => ''))
  const same = moved === undefined || (moved.pid === stale.pid && moved.token === stale.token)
  if (!same) await fs.link(aside, lockPath).catch(() => {})
  await fs.rm(aside, { force: true })
}

// Locks still held by this process, removed synchronously on exit.
const held = new Map<string, string>()
let exitHookInstalled = false

/** Removes every lock this process still holds, synchronously (it runs on `exit`, where nothing async can). */
export function releaseHeldLocksSync(): void {
  for (const [lockPath, token] of held) removeIfOurs(lockPath, token)
  held.clear()
}

function removeIfOurs(lockPath: string, token: string): void {
  try {
    if (parseLock(readFileSync(lockPath, 'utf8'))?.token === token) unlinkSync(lockPath)
  } catch {
    // Already gone, or unreadable: nothing of ours to remove.
  }
}

function heldLock(lockPath: string, token: string): JobLock {
  held.set(lockPath, token)
  if (!exitHookInstalled) {
    process.on('exit', releaseHeldLocksSync)
    exitHookInstalled = true
  }
  return {
    path: lockPath,
    async release() {
      if (held.get(lockPath) !== token) return
      held.delete(lockPath)
      removeIfOurs(lockPath, token)
    },
  }
}

function lockedError(lockPath: string, holder: LockInfo | 'partial'): SyncError {
  const who =
    holder === 'partial'
      ? 'a run that is just starting'
      : `pid ${holder.pid}${holder.host !== os.hostname() ? ` on ${holder.host}` : ''} since ${holder.startedAt}`
  return new SyncError('LOCKED', `another syncflow run holds the lock for this job (${who})`, {
    path: lockPath,
    hint: `Wait for that run to finish, or delete ${lockPath} if no run is active.`,
  })
}

/** What an errno of making the lock file means, said in its message. */
const LOCK_IO_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
}

function lockIoError(err: unknown, lockPath: string): SyncError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENOENT') {
    // A file where the state directory should be, or a place where no directory can be made
    // (/proc): the user's path, not a bug (QA 22 #11).
    return new SyncError(
      'USAGE',
      `the state directory ${path.dirname(lockPath)} cannot be made there: ${err instanceof Error ? err.message : String(err)}`,
      {
        op: 'state.lock',
        path: lockPath,
        cause: err,
        // (Not "--state FILE, or --no-state": the job's lock is kept in the state directory whatever
        // --state says, so a run under either failed the same way, told to do what it did. QA 29c)
        hint: "A part of that path is a file, a symlink that leads nowhere, or a place that takes no directories: choose another state directory with SYNCFLOW_STATE_DIR. The job's lock file is kept there whatever --state says, --no-state too.",
      },
    )
  }
  const permission = code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
  const syncCode = permission ? 'PERMISSION' : code === 'ENOSPC' ? 'NO_SPACE' : 'UNKNOWN'
  // (Said in words, not as Node's "Error: EACCES: permission denied, mkdir '…'" inside the message.)
  const reason = LOCK_IO_REASONS[code ?? ''] ?? (err instanceof Error ? err.message : String(err))
  return new SyncError(syncCode, `cannot create the job lock in ${path.dirname(lockPath)}: ${reason}`, {
    op: 'state.lock',
    path: lockPath,
    cause: err,
    hint:
      syncCode === 'UNKNOWN'
        ? 'This looks like a bug in syncflow: please report it with the output of -v.'
        : 'Make the state directory writable (or free space on it), or choose another with SYNCFLOW_STATE_DIR.',
  })
}
