// @ts-check
// A `syncflow watch … --json` child process, read as a stream of events.

import { spawn } from 'node:child_process'
import { closeSync, openSync, readSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { SYNCFLOW_BIN } from '../lib/tools.mjs'

/**
 * @typedef {{ type: string, ts: number, action?: { kind: string, path: string }, summary?: { mode: string } }} Event
 * @typedef {(e: Event, at: number) => void} Listener
 */

/**
 * Starts `syncflow watch SRC DST --json --no-state …` and calls the listeners with each event and
 * the time it was read (performance.now()).
 * @param {string} src
 * @param {string} dst
 * @param {readonly string[]} [extra]
 * @param {string} [bin] the syncflow binary [packages/cli-tui/dist/bin.js]
 * @param {{ types?: readonly string[], out?: string }} [opts] the event types read (others are
 *   skipped unparsed) [completed, done, failed, notice]; `out`: the watch writes its NDJSON into
 *   this file (put it on tmpfs), read every 50 ms, and an event's time is its own `ts` (ms
 *   resolution) instead of when it was read. [a pipe, events timed when read]
 */
export function startWatch(src, dst, extra = [], bin = SYNCFLOW_BIN, opts = {}) {
  const outFd = opts.out ? openSync(opts.out, 'w') : undefined
  const child = spawn(
    process.execPath,
    [
      ...(process.env.WATCH_NODE_ARGS ? process.env.WATCH_NODE_ARGS.split(' ') : []),
      bin,
      'watch',
      src,
      dst,
      '--json',
      '--no-state',
      ...extra,
    ],
    {
      stdio: ['ignore', outFd ?? 'pipe', 'pipe'],
      // The job lock lives in the state directory: a scratch one, so runs never touch ~.
      env: { ...process.env, SYNCFLOW_STATE_DIR: path.join(path.dirname(src), 'state') },
    },
  )
  if (outFd !== undefined) closeSync(outFd)
  // A benchmark that fails half-way must not leave a watch running.
  const killOnExit = () => child.kill('SIGKILL')
  process.on('exit', killOnExit)
  child.on('close', () => process.off('exit', killOnExit))
  /** @type {Set<Listener>} */
  const listeners = new Set()
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s) => {
    stderr += s
  })
  // Only the lines of the types asked for are parsed: this process shares the cores with the
  // watch it measures.
  const prefixes = (opts.types ?? ['completed', 'done', 'failed', 'notice']).map((t) => `{"type":"${t}"`)
  /** @param {string} line @param {number | undefined} at */
  const onLine = (line, at) => {
    if (!prefixes.some((p) => line.startsWith(p))) return
    const e = /** @type {Event} */ (JSON.parse(line))
    for (const l of listeners) l(e, at ?? e.ts - performance.timeOrigin)
  }
  if (opts.out) {
    // Through a file, not a pipe: Node writes to a pipe synchronously, so a watch writing ~30,000
    // lines into one blocks whenever its reader (this process, on the same cores) falls behind:
    // ~0.2–0.3 s of a 10,000-file burst on two busy cores, a cost of the harness, not of the
    // watch (a one-shot's --json goes to /dev/null). Events are timed by their own `ts`.
    const fd = openSync(opts.out, 'r')
    const buf = Buffer.alloc(1 << 20)
    let rest = ''
    const drain = () => {
      for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
        const lines = (rest + buf.toString('utf8', 0, n)).split('\n')
        rest = lines.pop() ?? ''
        for (const line of lines) onLine(line, undefined)
      }
    }
    const poll = setInterval(drain, 50)
    child.on('close', () => {
      clearInterval(poll)
      drain()
      closeSync(fd)
    })
  } else {
    createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) }).on('line', (line) =>
      onLine(line, performance.now()),
    )
  }
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)))
  return {
    /** @param {Listener} l */
    on(l) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    /**
     * Resolves with the first event (and when it was read) for which `test` is true.
     * @param {(e: Event) => boolean} test
     * @param {number} [timeoutMs]
     * @returns {Promise<{ e: Event, at: number }>}
     */
    next(test, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          off()
          reject(new Error(`no matching event within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`))
        }, timeoutMs)
        const off = this.on((e, at) => {
          if (!test(e)) return
          clearTimeout(timer)
          off()
          resolve({ e, at })
        })
      })
    },
    /** Stops it as Ctrl-C would; resolves with the exit code (130 expected). */
    async stop() {
      child.kill('SIGINT')
      return exited
    },
    stderr: () => stderr,
  }
}
