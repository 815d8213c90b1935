import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import fc from 'fast-check'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import { type BisyncOptions, bisync } from '../src/bisync/bisync.js'
import { SyncError } from '../src/errors/sync-error.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { RENAME_MIN_BYTES } from '../src/operators/track-renames.js'
import { MemoryStateStore } from '../src/state/memory-state-store.js'
import { mv, put, tree, twoSides } from './bisync-rename-files.js'

// Two-way sync's renames at their edges (the review of stop 41, each test a finding it proved before
// its fix): moves whose mtime cannot be carried, a directory and a file of one name, set-id modes,
// a side that lists upload times (as S3), dry runs, and a property with more kinds of change.

let root: string
let A: string
let B: string
let state: MemoryStateStore
const BIG = RENAME_MIN_BYTES + 100

beforeEach(async () => {
  ;({ root, A, B } = await twoSides('syncflow-bisync-renames-'))
  state = new MemoryStateStore()
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function run(opts: Partial<BisyncOptions> = {}): Promise<{ events: SyncEvent[]; done: DoneEvent }> {
  const a = createLocalBackend({ root: A, groupCommit: false })
  const b = createLocalBackend({ root: B, groupCommit: false })
  try {
    const events = await lastValueFrom(bisync(a, b, { state, ...opts }).pipe(toArray()))
    const done = events.at(-1) as DoneEvent
    expect(done.type).toBe('done')
    return { events, done }
  } finally {
    await a.close()
    await b.close()
  }
}

const plannedOf = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'planned' ? [`${e.action.to} ${e.action.kind} ${e.action.path}`] : [])).sort()

const allEvents = (events: SyncEvent[]) =>
  events.flatMap((e) =>
    e.type === 'completed'
      ? [`${e.action.to} ${e.action.kind} ${e.action.from ? `${e.action.from} → ` : ''}${e.action.path}`]
      : e.type === 'failed'
        ? [`FAILED ${e.path} ${e.error.code} ${e.error.message}`]
        : e.type === 'skipped'
          ? [`SKIPPED ${e.path} ${e.reason}`]
          : [],
  )

describe('bisync renames (review of stop 41)', () => {
  it.each([true, false])(
    'trackRenames %s: old name hard-linked outside B, the file copied to a new name on A (cp x y; rm x): the next run finds nothing to do',
    async (trackRenames) => {
      const body = randomBytes(BIG)
      await put(A, 'x.bin', body, 1)
      await put(A, 'keep.txt', Buffer.from('k'))
      expect((await run()).done.summary.failed).toBe(0)
      // B's file has a second name outside the synced tree (a backup tool's hard link, rsnapshot, …).
      await link(join(B, 'x.bin'), join(root, 'outside-link.bin'))
      await run()
      expect(plannedOf((await run()).events)).toEqual([])
      // On A: the file copied to a new name (new mtime), the old one removed (cp y; rm x).
      await put(A, 'y.bin', body, 500)
      await rm(join(A, 'x.bin'))
      const second = await run({ trackRenames })
      expect(second.done.summary.failed).toBe(0)
      const third = await run({ trackRenames })
      expect(plannedOf(third.events)).toEqual([])
      expect(Object.keys(await tree(A))).toEqual(['keep.txt', 'y.bin'])
      expect(await tree(A)).toEqual(await tree(B))
    },
  )

  it('a directory replaced by a renamed file of its name (rm -r y; mv x y)', async () => {
    await put(A, 'x.bin', randomBytes(BIG), 1)
    await put(A, 'y/inner.bin', randomBytes(BIG + 7), 2)
    for (const n of [1, 2, 3, 4, 5]) await put(A, `keep${n}.txt`, Buffer.from(`k${n}`))
    expect((await run()).done.summary.failed).toBe(0)
    await rm(join(A, 'y'), { recursive: true })
    await mv(A, 'x.bin', 'y')
    const second = await run({ trackRenames: true })
    expect(second.done.summary.failed).toBe(0)
    expect(await tree(A)).toEqual(await tree(B))
    const third = await run({ trackRenames: true })
    expect(plannedOf(third.events)).toEqual([])
    expect(await tree(A)).toEqual(await tree(B))
  })

  it('a file replaced by a directory of its name holding it (mv x t; mkdir x; mv t x/x)', async () => {
    await put(A, 'x.bin', randomBytes(BIG), 1)
    for (const n of [1, 2, 3, 4, 5]) await put(A, `keep${n}.txt`, Buffer.from(`k${n}`))
    expect((await run()).done.summary.failed).toBe(0)
    await mv(A, 'x.bin', 't.bin')
    await mkdir(join(A, 'x.bin'))
    await mv(A, 't.bin', 'x.bin/x.bin')
    const second = await run({ trackRenames: true })
    expect(second.done.summary.failed).toBe(0)
    expect(await tree(A)).toEqual(await tree(B))
    const third = await run({ trackRenames: true })
    expect(plannedOf(third.events)).toEqual([])
  })
  it('a file moved out of a directory removed, onto the name of a directory removed (mv d/x y after rm -r y; rm -r d)', async () => {
    await put(A, 'd/x.bin', randomBytes(BIG), 1)
    await put(A, 'y/inner.bin', randomBytes(BIG + 7), 2)
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) await put(A, `keep${n}.txt`, Buffer.from(`k${n}`))
    expect((await run()).done.summary.failed).toBe(0)
    await rm(join(A, 'y'), { recursive: true })
    await mv(A, 'd/x.bin', 'y')
    await rm(join(A, 'd'), { recursive: true })
    const second = await run({ trackRenames: true })
    expect(second.done.summary.failed).toBe(0)
    // B keeps an empty d/ that A no longer has ("holds files added since the listing": it held the
    // file this run moved out of it); only the next run deletes it.
    expect((await readdir(B)).sort()).toEqual((await readdir(A)).sort())
  })
})

describe('bisync renames (review of stop 41): a side that lists upload times (mem listMtime false, as S3)', () => {
  it.each([
    [true, 'mv'],
    [false, 'mv'],
    [true, 'cp'],
    [false, 'cp'],
  ] as const)('trackRenames %s, %s on the local side: the third run finds nothing', async (trackRenames, how) => {
    const mem = createMemBackend({ capabilities: { listMtime: false } })
    const local = () => createLocalBackend({ root: A, groupCommit: false })
    const go = async () => {
      const a = local()
      try {
        const events = await lastValueFrom(
          bisync(a, mem, { state, trackRenames, maxDelete: { percent: 100 } }).pipe(toArray()),
        )
        return events
      } finally {
        await a.close()
      }
    }
    const body = randomBytes(BIG)
    await put(A, 'x.bin', body, 1)
    await put(A, 'keep.txt', Buffer.from('k'))
    await go()
    expect(plannedOf(await go())).toEqual([])
    if (how === 'mv') await mv(A, 'x.bin', 'y.bin')
    else {
      await put(A, 'y.bin', body, 900)
      await rm(join(A, 'x.bin'))
    }
    await go()
    const third = await go()
    expect(plannedOf(third)).toEqual([])
    // and renamed on the mem side
    await mem.move('y.bin' as never, 'z.bin' as never)
    await go()
    const fifth = await go()
    expect(plannedOf(fifth)).toEqual([])
    expect(Object.keys(await tree(A))).toEqual(['keep.txt', 'z.bin'])
  })
})

describe('bisync renames (review of stop 41): modes', () => {
  it.each([true, false])(
    'trackRenames %s: renamed on A and made set-uid there: B gets the same mode',
    async (trackRenames) => {
      await put(A, 'x.bin', randomBytes(BIG), 1)
      await chmod(join(A, 'x.bin'), 0o755)
      await put(A, 'keep.txt', Buffer.from('k'))
      await run()
      expect((await stat(join(B, 'x.bin'))).mode & 0o7777).toBe(0o755)
      await mv(A, 'x.bin', 'y.bin')
      await chmod(join(A, 'y.bin'), 0o4755)
      await run({ trackRenames })
      const third = await run({ trackRenames })
      expect((await stat(join(B, 'y.bin'))).mode & 0o7777).toBe((await stat(join(A, 'y.bin'))).mode & 0o7777)
      expect(plannedOf(third.events)).toEqual([])
    },
  )
})

describe('bisync renames (review of stop 41): a move whose mtime the target refuses (EPERM: a file of another user in a shared directory)', () => {
  it.each([true, false])(
    'trackRenames %s: the rename is done and its mtime refused: no failure, no copy over its own result, and the next run finds nothing',
    async (trackRenames) => {
      const body = randomBytes(BIG)
      await put(A, 'x.bin', body, 1)
      await put(A, 'keep.txt', Buffer.from('k'))
      await run()
      await put(A, 'y.bin', body, 500) // cp x y (a new mtime); rm x
      await rm(join(A, 'x.bin'))
      const a = createLocalBackend({ root: A, groupCommit: false })
      const real = createLocalBackend({ root: B, groupCommit: false })
      // B refuses utimes (EPERM: not the file's owner), as a non-root user meets it; renames are allowed.
      const b = new Proxy(real, {
        get(t, p) {
          if (p === 'setMtime')
            return async (path: string) => {
              throw new SyncError('PERMISSION', 'operation not permitted', { op: 'local.setMtime', path })
            }
          const v = Reflect.get(t, p, t)
          return typeof v === 'function' ? v.bind(t) : v
        },
      })
      const events = await lastValueFrom(bisync(a, b, { state, trackRenames }).pipe(toArray()))
      expect(events.filter((e) => e.type === 'failed')).toEqual([])
      await a.close()
      await real.close()
      const third = await run({ trackRenames })
      expect(plannedOf(third.events)).toEqual([])
      expect(Object.keys(await tree(B))).toEqual(['keep.txt', 'y.bin'])
      expect(Object.keys(await tree(A))).toEqual(['keep.txt', 'y.bin'])
    },
  )
})

describe('bisync renames (review of stop 41): property with more operations (cp+rm, mv over another name, dir replaced by a file)', () => {
  const NAMES = ['p.bin', 'd/q.bin', 'd/e/r.bin', 's.bin'] as const
  type Op = 'keep' | 'edit' | 'delete' | 'rename' | 'cpnew' | 'over' | 'intodir'
  const op = fc.constantFrom<Op>('keep', 'edit', 'delete', 'rename', 'cpnew', 'over')
  it('leaves both sides equal, and a second run finds nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(op, op), { minLength: 4, maxLength: 4 }), async (cases) => {
        await rm(A, { recursive: true, force: true })
        await rm(B, { recursive: true, force: true })
        await mkdir(A)
        await mkdir(B)
        state = new MemoryStateStore()
        const safe = { maxDelete: { percent: 100 }, allowEmptySource: true, trackRenames: true } as const
        let n = 0
        const version = () => ({ body: randomBytes(BIG), sec: 10 * ++n })
        for (const name of NAMES) {
          const v = version()
          await put(A, name, v.body, v.sec)
        }
        await run(safe)
        const log: string[] = []
        for (const [i, [ca, cb]] of cases.entries()) {
          const name = NAMES[i]!
          for (const [dir, c, side] of [
            [A, ca, 'a'],
            [B, cb, 'b'],
          ] as const) {
            const exists = await stat(join(dir, name)).then(
              (s) => s.isFile(),
              () => false,
            )
            if (!exists) continue
            log.push(`${side} ${c} ${name}`)
            if (c === 'delete') await rm(join(dir, name))
            if (c === 'rename') await mv(dir, name, `moved-${side}/${name}`)
            if (c === 'cpnew') {
              await put(dir, `cp-${side}/${name}`, await readFile(join(dir, name)), 1000 + n++)
              await rm(join(dir, name))
            }
            if (c === 'over') {
              const other = NAMES[(i + 1) % NAMES.length]!
              const otherExists = await stat(join(dir, other)).then(
                (s) => s.isFile(),
                () => false,
              )
              if (otherExists) await rename(join(dir, name), join(dir, other))
            }
            if (c === 'intodir') {
              // the file moved to the name of a directory removed
              const target = 'd'
              const isDir = await stat(join(dir, target)).then(
                (s) => s.isDirectory(),
                () => false,
              )
              if (isDir && !name.startsWith('d/')) {
                await rm(join(dir, target), { recursive: true })
                await rename(join(dir, name), join(dir, target))
              }
            }
            if (c === 'edit') {
              const v = version()
              await put(dir, name, v.body, v.sec)
            }
          }
        }
        const { done } = await run(safe)
        expect(done.summary.failed).toBe(0)
        const [ta, tb] = [await tree(A), await tree(B)]
        expect(ta).toEqual(tb)
        const again = await run(safe)
        expect(plannedOf(again.events)).toEqual([])
      }),
      { numRuns: 40 },
    )
  }, 300_000)
})

describe('bisync renames (review of stop 41): dry runs say what the run does', () => {
  it('a directory replaced by a renamed file, and a file moved onto a removed directory: as dry runs, then for real', async () => {
    await put(A, 'd/x.bin', randomBytes(BIG), 1)
    await put(A, 'y/inner.bin', randomBytes(BIG + 7), 2)
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) await put(A, `keep${n}.txt`, Buffer.from(`k${n}`))
    await run()
    await rm(join(A, 'y'), { recursive: true })
    await mv(A, 'd/x.bin', 'y')
    await rm(join(A, 'd'), { recursive: true })
    const dry = await run({ trackRenames: true, dryRun: true })
    const real = await run({ trackRenames: true })
    expect(allEvents(dry.events).sort()).toEqual(allEvents(real.events).sort())
  })
})
