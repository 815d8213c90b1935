import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'

/** Makes everything written so far to the filesystem holding `dir` durable; rejects when it cannot. */
export type SyncFs = (dir: string) => Promise<void>

// Reads one line per request and answers it with the outcome of `sync -f` on the directory it was
// started for ($0). POSIX sh and coreutils only.
const SCRIPT = 'while read -r _; do if sync -f -- "$0"; then echo ok; else echo fail; fi; done'

/** A child's stdio pipe is a net.Socket underneath: it can be (un)referenced like a handle. */
interface Refable {
  ref?(): void
  unref?(): void
}

/** Helpers (processes) kept at most, beyond those with a flush pending. */
const MAX_HELPERS = 4

interface Helper {
  readonly child: ChildProcessByStdio<Writable, Readable, null>
  readonly waiting: { resolve: () => void; reject: (err: Error) => void }[]
  dead: Error | undefined
}

/**
 * `syncfs(2)` for Node, which has no binding for it: coreutils `sync -f DIR`, run by one long-lived
 * `sh` per directory asked for, one line per request. Spawning `sync` from Node itself forks the
 * whole process each time (~2.5 ms of this process's CPU per flush, 13% of an initial sync of
 * 10,000 small files); the helper forks only itself. It runs in its own process group (a Ctrl-C
 * meant for syncflow does not kill it mid-flush), keeps the event loop alive only while a request
 * is pending, and exits when this process goes (end of its stdin). A helper that fails or dies
 * rejects its requests: the caller then fsyncs file by file.
 */
export function syncfsHelper(): SyncFs {
  const helpers = new Map<string, Helper>()
  const start = (dir: string): Helper => {
    // Loaded on first use: child_process (and net under it) cost ~3 ms of startup that a run
    // writing nothing (a no-op re-sync) would pay for nothing.
    const { spawn } = process.getBuiltinModule('node:child_process')
    const child = spawn('sh', ['-c', SCRIPT, dir], { stdio: ['pipe', 'pipe', 'ignore'], detached: true })
    const helper: Helper = { child, waiting: [], dead: undefined }
    const fail = (err: Error): void => {
      helper.dead ??= err
      for (const w of helper.waiting.splice(0)) w.reject(err)
      idle()
    }
    // Referenced only while a flush is pending: an idle helper never holds the process open.
    const idle = (): void => {
      if (helper.waiting.length > 0) return
      child.unref()
      for (const pipe of [child.stdin, child.stdout] as unknown as Refable[]) pipe?.unref?.()
    }
    // First, before its pipes are touched: out of handles (EMFILE), spawn returns a child without
    // pipes and says why on the next tick, and an error event no one listened to ended the process
    // (a `syncflow serve` under a low ulimit -n). Such a helper is dead at once: files are fsynced
    // one by one instead.
    child.on('error', fail)
    if (!child.stdin || !child.stdout) {
      helper.dead = new Error(`cannot start the sync helper for ${dir} (no pipes: out of file handles?)`)
      return helper
    }
    let buffered = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      let nl = buffered.indexOf('\n')
      while (nl >= 0) {
        const answer = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const w = helper.waiting.shift()
        if (answer === 'ok') w?.resolve()
        else w?.reject(new Error(`sync -f ${dir} failed`))
        nl = buffered.indexOf('\n')
      }
      idle()
    })
    child.on('exit', (code, signal) => fail(new Error(`sync helper ended (${signal ?? code})`)))
    child.stdin.on('error', fail)
    idle()
    return helper
  }
  return (dir) => {
    let helper = helpers.get(dir)
    if (helper === undefined || helper.dead !== undefined) {
      // Many backends (tests, a long `watch`) may each flush through their own directory: a few
      // helpers are kept, the idle ones beyond that are told to exit.
      for (const [other, h] of helpers) {
        if (helpers.size < MAX_HELPERS) break
        if (h.waiting.length > 0) continue
        ;(h.child.stdin as Writable | null)?.end() // (none where it could not start)
        helpers.delete(other)
      }
      helper = start(dir)
      helpers.set(dir, helper)
    }
    const h = helper
    if (h.dead !== undefined) return Promise.reject(h.dead)
    return new Promise<void>((resolve, reject) => {
      h.waiting.push({ resolve, reject })
      h.child.ref()
      for (const pipe of [h.child.stdin, h.child.stdout] as unknown as Refable[]) pipe.ref?.()
      h.child.stdin.write('\n')
    })
  }
}
