import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { onInterrupt } from '../src/job/on-interrupt.js'

// The rule itself, on a clock the test moves: the binary's test (cli-interrupt.test.ts) cannot say
// how far apart its two signals arrive, and a test process stalled past the window turned the same
// interruption delivered twice into a second Ctrl-C there.

let stopped: NodeJS.Signals[]
let exits: (number | string | null | undefined)[]
let remove: () => void = () => {}

/** The handler `onInterrupt` added for `signal` (called directly: vitest's own handlers stay out of it). */
function handlerOf(signal: 'SIGINT' | 'SIGTERM', before: readonly unknown[]): (s: NodeJS.Signals) => void {
  const added = process.listeners(signal).filter((l) => !before.includes(l))
  expect(added).toHaveLength(1)
  return added[0] as (s: NodeJS.Signals) => void
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance'] })
  stopped = []
  exits = []
  vi.spyOn(process, 'exit').mockImplementation((code) => {
    exits.push(code)
    return undefined as never
  })
})
afterEach(() => {
  remove()
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** Installs the handlers; returns them. */
function install(): { sigint: (s: NodeJS.Signals) => void; sigterm: (s: NodeJS.Signals) => void } {
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') }
  remove = onInterrupt((signal) => stopped.push(signal))
  return { sigint: handlerOf('SIGINT', before.SIGINT), sigterm: handlerOf('SIGTERM', before.SIGTERM) }
}

it('the same SIGINT delivered twice at once (timeout -s INT: the child, then its group) stops the run once, no exit', () => {
  const { sigint } = install()
  sigint('SIGINT')
  vi.advanceTimersByTime(20)
  sigint('SIGINT')
  expect(stopped).toEqual(['SIGINT'])
  expect(exits).toEqual([])
})

it('a second Ctrl-C pressed after the first quits at once with 130', () => {
  const { sigint } = install()
  sigint('SIGINT')
  vi.advanceTimersByTime(249)
  sigint('SIGINT')
  expect(exits).toEqual([])
  vi.advanceTimersByTime(1)
  sigint('SIGINT')
  expect(stopped).toEqual(['SIGINT'])
  expect(exits).toEqual([130])
})

it('a SIGTERM after a SIGINT counts as a second signal too', () => {
  const { sigint, sigterm } = install()
  sigint('SIGINT')
  vi.advanceTimersByTime(1000)
  sigterm('SIGTERM')
  expect(stopped).toEqual(['SIGINT'])
  expect(exits).toEqual([130])
})

it('removes its handlers', () => {
  const before = process.listeners('SIGINT').length
  install()
  remove()
  remove = () => {}
  expect(process.listeners('SIGINT')).toHaveLength(before)
})
