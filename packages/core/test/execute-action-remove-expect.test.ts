import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import type { Action, Entry, RelPath, SyncEvent } from '../src/index.js'
import { SyncError } from '../src/index.js'
import { executeAction } from '../src/operators/execute-action.js'
import { writeText } from '../src/testkit/index.js'

const p = (s: string) => s as RelPath

/**
 * A mem:// target that records its stat and remove calls; with `removeExpect` it declares that
 * remove re-checks `opts.expect` itself (as the S3 backend does), and does so.
 */
async function target(removeExpect: boolean): Promise<{ backend: MemBackend; calls: string[]; planned: Entry }> {
  const backend = createMemBackend()
  await writeText(backend, 'old.txt', 'planned content')
  const planned = (await backend.stat(p('old.txt')))!
  const calls: string[] = []
  const stat = backend.stat.bind(backend)
  const remove = backend.remove.bind(backend)
  backend.stat = async (path) => {
    calls.push(`stat ${path}`)
    return stat(path)
  }
  Object.assign(backend, { capabilities: { ...backend.capabilities, removeExpect } })
  backend.remove = async (path: RelPath, opts?: { expect?: Entry }) => {
    calls.push(`remove ${path}${opts?.expect ? ` expect ${opts.expect.size}` : ''}`)
    if (removeExpect && opts?.expect) {
      const now = await stat(path)
      if (now && now.size !== opts.expect.size) throw new SyncError('CONFLICT', 'changed', { path })
    }
    return remove(path)
  }
  return { backend, calls, planned }
}

const run = (action: Action, backend: MemBackend): Promise<SyncEvent[]> =>
  lastValueFrom(executeAction(action, { source: createMemBackend(), target: backend }).pipe(toArray()))

describe('executeAction: delete', () => {
  it('a target that re-checks deletes itself (capabilities.removeExpect) is given the planned entry, and not stat-ed', async () => {
    const { backend, calls, planned } = await target(true)
    const events = await run({ kind: 'delete', path: p('old.txt'), target: planned, reason: 'test' }, backend)
    expect(events.map((e) => e.type)).toEqual(['started', 'completed'])
    expect(calls).toEqual([`remove old.txt expect ${planned.size}`])
    expect(await backend.stat(p('old.txt'))).toBeUndefined()
  })

  it("such a target's CONFLICT fails the delete and leaves the file", async () => {
    const { backend, planned } = await target(true)
    await writeText(backend, 'old.txt', 'changed by someone else')
    const events = await run({ kind: 'delete', path: p('old.txt'), target: planned, reason: 'test' }, backend)
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ error: { code: 'CONFLICT' } })
    expect((await backend.stat(p('old.txt')))?.size).toBe('changed by someone else'.length)
  })

  it('any other target is re-checked with a stat first, and remove gets no expect', async () => {
    const { backend, calls, planned } = await target(false)
    await run({ kind: 'delete', path: p('old.txt'), target: planned, reason: 'test' }, backend)
    expect(calls).toEqual(['stat old.txt', 'remove old.txt'])
  })

  // Given as a directory (review of watch: an S3 target's plain remove of an implicit directory
  // deleted the object of its name, a file just written in its place).
  it('a directory is removed as one (expect), without a stat, by such a target that holds no empty directories or symlinks (S3: a stat is a HEAD)', async () => {
    const { backend, calls } = await target(true)
    await backend.mkdir(p('dir'))
    const dir = (await backend.stat(p('dir')))!
    Object.assign(backend, { capabilities: { ...backend.capabilities, emptyDirs: false, symlinks: false } })
    calls.length = 0
    await run({ kind: 'delete', path: p('dir'), target: dir, reason: 'test' }, backend)
    expect(calls).toEqual([`remove dir expect ${dir.size}`])
  })

  it('such a target that holds empty directories or symlinks (local, grpc://) has a planned one re-checked by a stat first', async () => {
    const { backend, calls } = await target(true)
    await backend.mkdir(p('dir'))
    const dir = (await backend.stat(p('dir')))!
    calls.length = 0
    await run({ kind: 'delete', path: p('dir'), target: dir, reason: 'test' }, backend)
    expect(calls).toEqual(['stat dir', `remove dir expect ${dir.size}`])
  })
})
