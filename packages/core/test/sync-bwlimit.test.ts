import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sync } from '../src/index.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { putTree } from './put-tree.js'

// --bwlimit over small local files, which the engine hands to the target whole (held in memory)
// rather than through a stream and the throttle: each waits for its bytes before it is written.

const T0 = new Date('2026-01-02T03:04:05Z')

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-bwlimit-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/** 20 files of 4 KiB: 80 KiB. */
const tree = (): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`f${String(i).padStart(2, '0')}`, String(i % 10).repeat(4096)]),
  )

describe('sync with bwlimit over small files', () => {
  it('holds the rate (the bucket starts empty: 80 KiB at 160 KiB/s take half a second) and copies every byte', async () => {
    await putTree(join(root, 'src'), tree(), T0)
    const started = performance.now()
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: join(root, 'src') }), createLocalBackend({ root: join(root, 'dst') }), {
        mode: 'mirror',
        bwlimit: 160 * 1024,
      }).pipe(toArray()),
    )
    const elapsed = performance.now() - started
    const done = events.at(-1) as DoneEvent
    expect(done.summary.done.copy).toBe(20)
    expect(done.summary.bytesTransferred).toBe(20 * 4096)
    // (A lower bound only: the limit is a floor on the time, never a speed asserted.)
    expect(elapsed).toBeGreaterThanOrEqual(450)
    const names = (await readdir(join(root, 'dst'))).sort()
    expect(names).toEqual(Object.keys(tree()).sort())
    for (const [name, body] of Object.entries(tree()))
      expect(await readFile(join(root, 'dst', name), 'utf8')).toBe(body)
  })

  it('stops at once when aborted while files wait for their bytes, leaving no partial file', async () => {
    await putTree(join(root, 'src'), tree(), T0)
    const controller = new AbortController()
    const seen: SyncEvent[] = []
    const run = new Promise<DoneEvent>((resolve, reject) => {
      sync(createLocalBackend({ root: join(root, 'src') }), createLocalBackend({ root: join(root, 'dst') }), {
        mode: 'mirror',
        // 80 KiB at 1 KiB/s would take 80 s.
        bwlimit: 1024,
        signal: controller.signal,
      }).subscribe({
        next: (e) => {
          seen.push(e)
          if (e.type === 'done') resolve(e)
        },
        error: reject,
      })
    })
    // Aborted once copies are under way (each waiting for its bytes).
    await expect.poll(() => seen.some((e) => e.type === 'started' && e.action.kind === 'copy')).toBe(true)
    const started = performance.now()
    controller.abort()
    const done = await run
    expect(performance.now() - started).toBeLessThan(5000)
    expect(done.summary.interrupted).toBe(true)
    expect(done.summary.done.copy).toBeLessThan(20)
    // Whatever was written is whole, and no temp file is left.
    const dst = join(root, 'dst')
    for (const name of await readdir(dst).catch(() => [])) {
      expect(name).toMatch(/^f\d\d$/)
      expect((await readFile(join(dst, name), 'utf8')).length).toBe(4096)
    }
  })
})
