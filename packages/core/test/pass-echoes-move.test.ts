import { rename, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { PassEchoes } from '../src/continuous/index.js'
import type { Action } from '../src/model/action.js'
import type { Entry } from '../src/model/entry.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { CompletedEvent } from '../src/model/sync-event.js'
import { local, removeTempDirs, tempDirs } from './continuous-local-helpers.js'

afterAll(removeTempDirs)
const T = 1_790_000_000
const file = (path: string, size: number): Entry =>
  ({ path: path as RelPath, kind: 'file', size, mtimeMs: T * 1000, mode: 0o644 }) as Entry

it("a pass's move (x → y on B) is its own echo: B's watcher reports x removed and y added", async () => {
  const { src: A, dst: B } = await tempDirs()
  const echoes = new PassEchoes({ a: local(A), b: local(B) }, { now: () => 0, schedule: () => ({}) } as never)
  await writeFile(join(B, 'x.bin'), 'hello')
  await utimes(join(B, 'x.bin'), T, T)
  // What the pass did: B's x.bin renamed to y.bin (the move bisync planned for A's rename).
  await rename(join(B, 'x.bin'), join(B, 'y.bin'))
  const e: CompletedEvent = {
    type: 'completed',
    ts: 0,
    action: {
      kind: 'move',
      path: 'y.bin',
      from: 'x.bin',
      source: file('y.bin', 5),
      target: file('x.bin', 5),
      to: 'b',
      reason: 'same content',
    } as Action,
    result: file('y.bin', 5),
    bytes: 0,
    durationMs: 0,
  }
  echoes.wrote(e)
  const b = (type: 'upsert' | 'remove', path: string) => ({
    side: 'b' as const,
    change: { type, path: path as RelPath },
  })
  expect(await echoes.all([b('upsert', 'y.bin')])).toBe(true)
  // The old name's removal is the same move's echo (taken for a user's change, it started one more pass).
  expect(await echoes.all([b('remove', 'x.bin')])).toBe(true)
  // And so is the move, where the watcher pairs its two events.
  const renamed = {
    side: 'b' as const,
    change: { type: 'rename' as const, path: 'y.bin' as RelPath, from: 'x.bin' as RelPath },
  }
  expect(await echoes.all([renamed])).toBe(true)
  // A user's own x.bin made since is no echo.
  await writeFile(join(B, 'x.bin'), 'mine')
  expect(await echoes.all([renamed])).toBe(false)
  expect(await echoes.all([b('remove', 'x.bin')])).toBe(false)
})
