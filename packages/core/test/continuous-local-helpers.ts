import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { expect } from 'vitest'
import { type ContinuousOptions, continuousSync } from '../src/continuous/index.js'
import type { Backend, DoneEvent, FailedEvent, SyncEvent } from '../src/index.js'

// Helpers of the continuous job's tests on real local directories (not a test file itself).

const dirs: string[] = []

/** Removes the directories made by `tempDirs` (an afterAll). */
export async function removeTempDirs(): Promise<void> {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
}

/** A fresh source and target directory. */
export async function tempDirs(): Promise<{ src: string; dst: string }> {
  const root = await mkdtemp(join(tmpdir(), 'syncflow-continuous-'))
  dirs.push(root)
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await mkdir(src)
  await mkdir(dst)
  return { src, dst }
}

/** The files below `dir` and their contents. */
export async function tree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name)
    if (e.isDirectory()) Object.assign(out, await tree(p, `${prefix}${e.name}/`))
    else out[prefix + e.name] = await readFile(p, 'utf8')
  }
  return out
}

/** The real local backend (each write fsynced: no group commit to wait for). */
export const local = (root: string) => createLocalBackend({ root, groupCommit: false })

/**
 * A local target that reads from the source through its `read` (a local target's `copyFrom`
 * reads a local source's files directly, which a wrapped source is not).
 */
export const localTarget = (root: string): Backend => {
  const b = local(root)
  return new Proxy(b, {
    get: (t, p) => {
      if (p === 'copyFrom') return undefined
      const v = Reflect.get(t, p, t)
      return typeof v === 'function' ? v.bind(t) : v
    },
  })
}

/**
 * The bound of a wait for a job's cycle (its first sync, a change shipped, its stop): expect.poll's
 * default second was not always enough on a loaded 2-core CI machine (the first sync's file still
 * in its temp file, waiting for its fsync).
 */
export const CYCLE_WAIT = { timeout: 10_000 }

const running: (() => void)[] = []

/** Stops the jobs `startJob` started (an afterEach). */
export function stopJobs(): void {
  for (const stop of running.splice(0)) stop()
}

/** The short timings of `startJob`. */
const SHORT_TIMINGS: ContinuousOptions = {
  mode: 'mirror',
  debounceMs: 10,
  moveHoldMs: 100,
  rescanMs: 0,
  retries: 0,
  retryLaterMs: 20,
  retryLaterMaxMs: 400,
  pollMs: 20,
}

/** A running job (with `base` options, short timings by default): its events so far, and how to stop it. */
export function startJob(
  src: Backend,
  dst: Backend,
  opts: Partial<ContinuousOptions> = {},
  base: ContinuousOptions = SHORT_TIMINGS,
) {
  const events: SyncEvent[] = []
  const abort = new AbortController()
  let ended = false
  const sub = continuousSync(src, dst, { ...base, signal: abort.signal, ...opts }).subscribe({
    next: (e) => events.push(e),
    complete: () => (ended = true),
  })
  running.push(() => {
    abort.abort()
    sub.unsubscribe()
  })
  const cycles = () => events.filter((e): e is DoneEvent => e.type === 'done' && e.summary.mode !== 'watch')
  const failures = () => events.filter((e): e is FailedEvent => e.type === 'failed')
  const stop = async (): Promise<DoneEvent> => {
    abort.abort()
    await expect.poll(() => ended, CYCLE_WAIT).toBe(true)
    return events.at(-1) as DoneEvent
  }
  return { events, abort, cycles, failures, ended: () => ended, stop }
}

const writers: ChildProcess[] = []

/** Kills the writers `appendingWriter` started (an afterEach). */
export function stopWriters(): void {
  for (const w of writers.splice(0)) w.kill()
}

/**
 * Another process appending a line to `file` every 2 ms until killed: a log that never settles.
 * With `fd`, through one open file descriptor (a rename does not stop it, as a logger's), else
 * opening the file each time. Resolves once the file grows (a node process started on a loaded
 * machine may take seconds to run).
 */
export async function appendingWriter(file: string, opts: { readonly fd?: boolean } = {}): Promise<ChildProcess> {
  const name = JSON.stringify(file)
  const code = opts.fd
    ? `const fs = require('node:fs'); const fd = fs.openSync(${name}, 'a'); let n = 0; setInterval(() => fs.writeSync(fd, 'line ' + n++ + '\\n'), 2)`
    : `const fs = require('node:fs'); let n = 0; setInterval(() => fs.appendFileSync(${name}, 'line ' + n++ + '\\n'), 2)`
  const w = spawn(process.execPath, ['-e', code], { stdio: 'ignore' })
  writers.push(w)
  const size = async () => (await stat(file).catch(() => undefined))?.size ?? 0
  const before = await size()
  await expect.poll(size, { timeout: 10_000 }).toBeGreaterThan(before)
  return w
}

/**
 * `b` with its `methods` passed through `gate` first (given the path, their first argument), which
 * throws (or waits, then throws) to refuse one; with `serverCopy: false`, no server-side copy, so
 * every transfer reads and writes.
 */
export function gatedCalls(
  b: Backend,
  methods: readonly string[],
  gate: (path: string) => void | Promise<void>,
  opts: { readonly serverCopy?: boolean } = {},
): Backend {
  return new Proxy(b, {
    get(t, p) {
      const v = Reflect.get(t, p, t)
      if (p === 'copyFrom' && opts.serverCopy === false) return undefined
      if (typeof v !== 'function') return v
      if (typeof p === 'string' && methods.includes(p)) {
        return async (...args: unknown[]) => {
          await gate(String(args[0]))
          return v.apply(t, args)
        }
      }
      return v.bind(t)
    },
  })
}

/**
 * `b` with its `write` and `setMtime` passed through `gate` first, which throws (or waits, then
 * throws) to refuse one, as a bucket policy or a key made read-only would; no server-side copy, so
 * every transfer is a write.
 */
export function gatedWrites(b: Backend, gate: (path: string) => void | Promise<void>): Backend {
  return gatedCalls(b, ['write', 'setMtime'], gate, { serverCopy: false })
}

/**
 * `listen()` (a server started on a port one of the test had: the same address is the point), tried
 * again while it is refused because the port is in use: it was free when that server closed, but
 * another process may hold it a moment (an outgoing connection's local port comes from the range a
 * port the OS picks does). Other refusals, and one that lasts 20 s, are thrown.
 */
export async function listenAgain<T>(listen: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      return await listen()
    } catch (err) {
      if (!/the port is in use/.test(String((err as Error).message)) || Date.now() > deadline) throw err
      // A moment for the holder to let go: the condition is the port, which only another try can test.
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
