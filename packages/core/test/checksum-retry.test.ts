import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createMemBackend, type DoneEvent, type FailedEvent, type RelPath, SyncError, sync } from '../src/index.js'
import { readText, writeText } from '../src/testkit/index.js'

// QA 27e D: a transfer whose bytes did not match their checksum (an S3 download with another MD5
// than its ETag: changed on the network) failed its file until the next run; rsync redoes a file
// that fails its whole-file check.

const N = 10

async function sourceOf() {
  const source = createMemBackend()
  for (let i = 0; i < N; i++) await writeText(source, `f${i}`, `file ${i}`)
  return source
}

const garbled = (path: RelPath) =>
  new SyncError('CHECKSUM', 'the data received has MD5 a, not the object’s b: changed on the way', {
    op: 'mem.write',
    path,
  })

it('a transfer that fails CHECKSUM once is made again and the run has no failure', async () => {
  const source = await sourceOf()
  const target = createMemBackend()
  const failedOnce = new Set<RelPath>()
  const fault = (path: RelPath) => {
    if (failedOnce.has(path)) return undefined
    failedOnce.add(path)
    return garbled(path)
  }
  // (A mem target copies from a mem source directly: copyFrom, not write.)
  target.faults = { copyFrom: fault, write: fault }
  const events = await lastValueFrom(sync(source, target, { mode: 'mirror', retryDelayMs: 1 }).pipe(toArray()))
  const { summary } = events.at(-1) as DoneEvent
  expect(failedOnce.size).toBe(N)
  expect(summary.failed).toBe(0)
  expect(summary.done.copy).toBe(N)
  for (let i = 0; i < N; i++) expect(await readText(target, `f${i}`)).toBe(`file ${i}`)
})

it('a transfer that fails CHECKSUM every time is tried once more only, and fails as CHECKSUM', async () => {
  const source = await sourceOf()
  const target = createMemBackend()
  let calls = 0
  const fault = (path: RelPath) => {
    calls++
    return garbled(path)
  }
  target.faults = { copyFrom: fault, write: fault }
  const events = await lastValueFrom(
    sync(source, target, { mode: 'mirror', retries: 2, retryDelayMs: 1 }).pipe(toArray()),
  )
  const { summary } = events.at(-1) as DoneEvent
  expect(summary.failed).toBe(N)
  // Once more, as rsync redoes a file once, not the run's 3 retries: a damaged object is not
  // downloaded four times.
  expect(calls).toBe(2 * N)
  const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
  expect(failed).toHaveLength(N)
  for (const f of failed) {
    expect(f.error.code).toBe('CHECKSUM')
    expect(f.error.message).toMatch(/changed on the way; gave up after 2 attempts$/)
  }
})
