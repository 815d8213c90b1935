import { mkdir, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PassEchoes } from '../src/continuous/index.js'
import type { Action } from '../src/model/action.js'
import type { Entry } from '../src/model/entry.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { CompletedEvent } from '../src/model/sync-event.js'
import { local, removeTempDirs, tempDirs } from './continuous-local-helpers.js'

// A two-way watch's own writes, told from a user's changes by what the side holds now.

afterAll(removeTempDirs)

const T = 1_790_000_000
const file = (path: string, size: number, mtimeS = T): Entry =>
  ({ path: path as RelPath, kind: 'file', size, mtimeMs: mtimeS * 1000, mode: 0o644 }) as Entry
const completed = (action: Partial<Action> & Pick<Action, 'kind' | 'path'>): CompletedEvent => ({
  type: 'completed',
  ts: 0,
  action: { reason: 'test', ...action } as Action,
  bytes: 0,
  durationMs: 0,
})
const clock = { now: () => 0 } as const

describe('PassEchoes', () => {
  it("takes a change for the pass's own write only while the path is exactly as the pass left it", async () => {
    const { src: A, dst: B } = await tempDirs()
    const echoes = new PassEchoes({ a: local(A), b: local(B) }, { ...clock, schedule: () => ({}) } as never)
    // The pass copied x.txt (5 bytes, mtime T) to B, and deleted gone.txt there.
    await writeFile(join(B, 'x.txt'), 'hello')
    await utimes(join(B, 'x.txt'), T, T)
    echoes.wrote(completed({ kind: 'copy', path: 'x.txt' as RelPath, source: file('x.txt', 5), to: 'b' }))
    echoes.wrote(completed({ kind: 'delete', path: 'gone.txt' as RelPath, target: file('gone.txt', 1), to: 'b' }))
    const upsert = (path: string, side: 'a' | 'b' = 'b') => ({
      side,
      change: { type: 'upsert' as const, path: path as RelPath },
    })
    const remove = (path: string) => ({
      side: 'b' as const,
      change: { type: 'remove' as const, path: path as RelPath },
    })
    expect(await echoes.all([upsert('x.txt'), remove('gone.txt')])).toBe(true)
    // The same path on the other side, a path the pass did not write, a hint of no side: real changes.
    expect(await echoes.all([upsert('x.txt', 'a')])).toBe(false)
    expect(await echoes.all([upsert('x.txt'), upsert('other.txt')])).toBe(false)
    expect(await echoes.all([{ change: { type: 'upsert', path: 'x.txt' as RelPath } }])).toBe(false)
    // Edited since (other size, or same size and another mtime): a user's change, not an echo.
    await writeFile(join(B, 'x.txt'), 'HELLO')
    expect(await echoes.all([upsert('x.txt')])).toBe(false)
    await utimes(join(B, 'x.txt'), T, T)
    expect(await echoes.all([upsert('x.txt')])).toBe(true)
    await writeFile(join(B, 'x.txt'), 'hello, world')
    expect(await echoes.all([upsert('x.txt')])).toBe(false)
    // Deleted by the pass, then made again by a user.
    await writeFile(join(B, 'gone.txt'), 'back')
    expect(await echoes.all([remove('gone.txt')])).toBe(false)
    await rm(join(B, 'gone.txt'))
    expect(await echoes.all([remove('gone.txt')])).toBe(true)
    // A change the watcher looked at already is judged by what it saw, without a stat of its own.
    const seenAs = (entry: Entry | undefined) => ({
      side: 'b' as const,
      change: { type: 'upsert' as const, path: 'x.txt' as RelPath },
      seen: { entry },
    })
    await rm(join(B, 'x.txt'))
    expect(await echoes.all([seenAs(file('x.txt', 5))])).toBe(true)
    expect(await echoes.all([seenAs(file('x.txt', 6))])).toBe(false)
    expect(await echoes.all([seenAs(undefined)])).toBe(false)
    // A directory the pass made is its echo whatever its mtime (files going in change it).
    await mkdir(join(B, 'd'))
    echoes.wrote(
      completed({ kind: 'mkdir', path: 'd' as RelPath, source: { ...file('d', 0), kind: 'dir' } as Entry, to: 'b' }),
    )
    expect(await echoes.all([upsert('d')])).toBe(true)
  })

  it('forgets writes after a while: a late event starts a pass', async () => {
    const { src: A, dst: B } = await tempDirs()
    let now = 0
    const echoes = new PassEchoes({ a: local(A), b: local(B) }, { now: () => now } as never)
    await writeFile(join(A, 'y.txt'), 'y')
    await utimes(join(A, 'y.txt'), T, T)
    echoes.wrote(completed({ kind: 'update', path: 'y.txt' as RelPath, source: file('y.txt', 1), to: 'a' }))
    const batch = [{ side: 'a' as const, change: { type: 'upsert' as const, path: 'y.txt' as RelPath } }]
    expect(await echoes.all(batch)).toBe(true)
    now = 60_000
    expect(await echoes.all(batch)).toBe(false)
  })
})
