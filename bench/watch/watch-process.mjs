// @ts-check
// A `syncflow watch … --json` child process, read as a stream of events.

import { spawn } from 'node:child_process'
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
 */
export function startWatch(src, dst, extra = [], bin = SYNCFLOW_BIN) {
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
      stdio: ['ignore', 'pipe', 'pipe'],
      // The job lock lives in the state directory: a scratch one, so runs never touch ~.
      env: { ...process.env, SYNCFLOW_STATE_DIR: path.join(path.dirname(src), 'state') },
    },
  )
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
  createInterface({ input: child.stdout }).on('line', (line) => {
    const at = performance.now()
    const e = /** @type {Event} */ (JSON.parse(line))
    for (const l of listeners) l(e, at)
  })
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
