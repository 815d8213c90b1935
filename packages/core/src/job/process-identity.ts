import { readFileSync, readlinkSync } from 'node:fs'
import os from 'node:os'

/** Who holds a lock (a lock file, or a shared store's lease): enough to tell, on its own host, whether it still runs. */
export interface LockHolder {
  readonly pid: number
  readonly host: string
  /** Linux: see `processIdentity`. Absent elsewhere, and in locks of older versions. */
  readonly boot?: string
  readonly startTicks?: string
  /** Linux: the holder's pid namespace (`/proc/self/ns/pid`); absent in locks of older versions. */
  readonly pidns?: string
}

/**
 * Which boot, and when in it (clock ticks since boot, `/proc/<pid>/stat` field 22), process `pid`
 * started, on Linux; undefined where that cannot be read.
 */
export function processIdentity(pid: number): { boot: string; startTicks: string } | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    // The fields after the command (which may hold spaces and parentheses): state is field 3, starttime 22.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    if (boot === '' || startTicks === undefined || !/^\d+$/.test(startTicks)) return undefined
    return { boot, startTicks }
  } catch {
    return undefined
  }
}

/**
 * Whether process `pid` has exited and only waits to be reaped by its parent (a zombie: state `Z`,
 * or `X` while it is being reaped, in `/proc/<pid>/stat`), on Linux; false where that cannot be read.
 */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state === 'Z' || state === 'X'
  } catch {
    return false
  }
}

/** This process's pid namespace on Linux (`pid:[4026531836]`); undefined elsewhere. */
export function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid')
  } catch {
    return undefined
  }
}

/** What this process writes into a lock it takes: `processIdentity` and `pidNamespace`, where known. */
export function ownIdentity(): Pick<LockHolder, 'boot' | 'startTicks' | 'pidns'> {
  const pidns = pidNamespace()
  return { ...processIdentity(process.pid), ...(pidns !== undefined ? { pidns } : {}) }
}

/**
 * Whether `holder` is known to be gone: a process of this host (and of this pid namespace, where
 * the lock says which) that no longer runs, or whose pid another process has now. Anything that
 * cannot be judged here (another host, another pid namespace: a container sharing the host's name,
 * as Kubernetes' hostNetwork pods do, whose pids mean nothing here) counts as alive.
 */
export function goneFromThisHost(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return false
  if (holder.pidns !== undefined && holder.pidns !== pidNamespace()) return false
  // Our own pid is judged as any other, by its start below: a lock naming it with another start was
  // left by an earlier process that had our pid, as every run of a restarted container has (pid 1,
  // the same host name): taken for ours, the lock of a run killed there (OOM, docker kill) kept every
  // later run out, exit 2, until deleted by hand (QA 28c). A second lock taken in this process still
  // names our start, and so does not count as gone.
  try {
    process.kill(holder.pid, 0)
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
  // A run killed (SIGKILL, the OOM killer) whose parent has not reaped it yet (a script's subshell
  // busy with something else, a supervisor that waits late) is a zombie: kill(pid, 0) answers for
  // it as for a live process, and the next run was refused LOCKED until the parent got to it
  // (S3 35). It runs no more, so it holds nothing; and the pid stays its own until it is reaped.
  if (isZombie(holder.pid)) return true
  // Alive, but maybe another process under a reused pid (a crash, then a reboot or many runs),
  // which cannot hold it (QA 20 F5: a cron job stayed locked out). Told by the boot and the start
  // time in ticks, never by the wall clock, which a clock step moves (review 20 #3: a live holder
  // judged stale, two runs at once). A lock without them (an older version) is the live pid's.
  if (holder.boot === undefined || holder.startTicks === undefined) return false
  const now = processIdentity(holder.pid)
  if (now === undefined) return false
  return now.boot !== holder.boot || now.startTicks !== holder.startTicks
}
