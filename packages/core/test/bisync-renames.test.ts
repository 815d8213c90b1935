import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import fc from 'fast-check'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type BisyncOptions, bisync } from '../src/bisync/bisync.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { RENAME_MIN_BYTES } from '../src/operators/track-renames.js'
import { MemoryStateStore } from '../src/state/memory-state-store.js'
import { mv, put, tree, twoSides } from './bisync-rename-files.js'

// Two-way sync's renames (BisyncOptions.trackRenames) on two real local directories: a file renamed
// on one side is renamed on the other (same inode: no byte sent), and nothing is ever paired that
// does not hold the same bytes.

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

const ino = async (dir: string, path: string): Promise<number> => (await stat(join(dir, path))).ino

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

/** `side kind path` of every completed action but directories' (a move as `side move from → to`). */
const completed = (events: SyncEvent[]): string[] =>
  events
    .flatMap((e) =>
      e.type === 'completed' && e.action.kind !== 'mkdir' && e.action.target?.kind !== 'dir'
        ? [
            e.action.kind === 'move'
              ? `${e.action.to} move ${e.action.from} → ${e.action.path}`
              : `${e.action.to} ${e.action.kind} ${e.action.path}`,
          ]
        : [],
    )
    .sort()

const plannedOf = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'planned' ? [`${e.action.to} ${e.action.kind} ${e.action.path}`] : [])).sort()

describe('bisync --track-renames (two local directories)', () => {
  it('renames on B what was renamed on A, and on A what was renamed on B: same inodes, no bytes sent', async () => {
    await put(A, 'media/one.bin', randomBytes(BIG))
    await put(A, 'media/two.bin', randomBytes(BIG + 1))
    await put(A, 'docs/report.pdf', randomBytes(BIG + 2))
    await put(A, 'docs/note.txt', Buffer.from('small'))
    expect((await run()).done.summary.failed).toBe(0)
    const inodes = { one: await ino(B, 'media/one.bin'), report: await ino(A, 'docs/report.pdf') }
    await mv(A, 'media', 'a-media') // sorts before the old name: the new files come first
    await mv(B, 'docs/report.pdf', 'z/report.pdf') // sorts after: the delete comes first
    const { events, done } = await run({ trackRenames: true })
    expect(completed(events)).toEqual([
      'a move docs/report.pdf → z/report.pdf',
      'b move media/one.bin → a-media/one.bin',
      'b move media/two.bin → a-media/two.bin',
    ])
    expect(done.summary.failed).toBe(0)
    expect(done.summary.bytesTransferred).toBe(0)
    expect(await ino(B, 'a-media/one.bin')).toBe(inodes.one)
    expect(await ino(A, 'z/report.pdf')).toBe(inodes.report)
    expect(await tree(A)).toEqual(await tree(B))
    expect(Object.keys(await tree(A))).toEqual(['a-media/one.bin', 'a-media/two.bin', 'docs/note.txt', 'z/report.pdf'])
    // The old names' records went with them, the new ones' were made: nothing left to do.
    expect(plannedOf((await run({ trackRenames: true })).events)).toEqual([])
  })

  it('a renamed directory of every file is not a side gutted: renames are not deletes for --max-delete', async () => {
    for (const n of [1, 2, 3]) await put(A, `photos/${n}.jpg`, randomBytes(BIG + n))
    await run()
    await mv(A, 'photos', 'pictures')
    const { done } = await run({ trackRenames: true })
    expect(done.summary.deletesSuppressed).toBeUndefined()
    expect(Object.keys(await tree(B))).toEqual(['pictures/1.jpg', 'pictures/2.jpg', 'pictures/3.jpg'])
  })

  it.each([{ trackRenames: undefined }, { trackRenames: false }])(
    'between two local directories with trackRenames $trackRenames copies the new name and deletes the old',
    async ({ trackRenames }) => {
      await put(A, 'f.bin', randomBytes(BIG))
      await put(A, 'keep.txt', Buffer.from('k'))
      await run()
      await mv(A, 'f.bin', 'g.bin')
      const { events } = await run(trackRenames === undefined ? {} : { trackRenames })
      expect(completed(events)).toEqual(['b copy g.bin', 'b delete f.bin'])
      expect(await tree(A)).toEqual(await tree(B))
    },
  )

  it('pairs only the same bytes: a new file of the old size but other content is copied, and small files never', async () => {
    await put(A, 'old.bin', randomBytes(BIG))
    await put(A, 'small.txt', Buffer.from('the same small bytes'))
    await put(A, 'keep.txt', Buffer.from('k'))
    await run()
    await rm(join(A, 'old.bin'))
    await put(A, 'new.bin', randomBytes(BIG)) // same size and mtime, other bytes
    await mv(A, 'small.txt', 'small2.txt')
    const { events } = await run({ trackRenames: true, maxDelete: { percent: 100 } })
    expect(completed(events)).toEqual(['b copy new.bin', 'b copy small2.txt', 'b delete old.bin', 'b delete small.txt'])
    expect(await tree(A)).toEqual(await tree(B))
  })

  it('renamed on A while edited on B: the edit is restored to A under the old name, the rename copied to B', async () => {
    await put(A, 'f.bin', randomBytes(BIG))
    await put(A, 'keep.txt', Buffer.from('k'))
    await run()
    const renamedBytes = await readFile(join(A, 'f.bin'))
    await mv(A, 'f.bin', 'g.bin')
    const edited = randomBytes(BIG)
    await put(B, 'f.bin', edited, 50)
    const { events, done } = await run({ trackRenames: true })
    expect(done.summary.failed).toBe(0)
    expect(completed(events)).toEqual(['a copy f.bin', 'b copy g.bin'])
    expect(await readFile(join(A, 'f.bin'))).toEqual(edited)
    expect(await readFile(join(B, 'g.bin'))).toEqual(renamedBytes)
    expect(await tree(A)).toEqual(await tree(B))
  })

  it('a dry run says the moves and leaves both sides and the records as they were', async () => {
    await put(A, 'f.bin', randomBytes(BIG))
    await put(A, 'keep.txt', Buffer.from('k'))
    await run()
    await mv(A, 'f.bin', 'sub/g.bin')
    const before = await tree(B)
    const { events } = await run({ trackRenames: true, dryRun: true })
    expect(plannedOf(events)).toEqual(['b mkdir sub', 'b move sub/g.bin'])
    expect(await tree(B)).toEqual(before)
    expect(completed((await run({ trackRenames: true })).events)).toEqual(['b move f.bin → sub/g.bin'])
  })
})

describe('bisync --track-renames (property: renames, edits and deletes on both sides)', () => {
  const NAMES = ['p.bin', 'd/q.bin', 'd/e/r.bin'] as const
  type Change = 'keep' | 'edit' | 'delete' | 'rename'
  const change = fc.constantFrom<Change>('keep', 'edit', 'delete', 'rename')

  it('leaves both sides equal, keeps every version made, and a second run finds nothing', async () => {
    let round = 0
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(change, change), { minLength: 3, maxLength: 3 }), async (cases) => {
        round++
        await rm(A, { recursive: true, force: true })
        await rm(B, { recursive: true, force: true })
        await mkdir(A)
        await mkdir(B)
        state = new MemoryStateStore()
        const safe = { maxDelete: { percent: 100 }, allowEmptySource: true, trackRenames: true } as const
        let n = 0
        // Each version its own bytes and mtime; all of one size, so that any two may be paired wrongly.
        const version = () => ({ body: randomBytes(BIG), sec: 10 * ++n })
        for (const name of NAMES) {
          const v = version()
          await put(A, name, v.body, v.sec)
        }
        await run(safe)
        const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex')
        const made = new Set<string>()
        for (const [i, [ca, cb]] of cases.entries()) {
          const name = NAMES[i]!
          for (const [dir, c, side] of [
            [A, ca, 'a'],
            [B, cb, 'b'],
          ] as const) {
            if (c === 'delete') await rm(join(dir, name))
            if (c === 'rename') {
              const to = `moved-${side}-r${round}/${name}`
              await mv(dir, name, to)
              made.add(hash(await readFile(join(dir, to))))
            }
            if (c === 'edit') {
              const v = version()
              await put(dir, name, v.body, v.sec)
              made.add(hash(v.body))
            }
          }
        }
        const { done } = await run(safe)
        expect(done.summary.failed).toBe(0)
        const [ta, tb] = [await tree(A), await tree(B)]
        expect(ta).toEqual(tb)
        const kept = new Set(Object.values(ta))
        // Every version made since the last run, edited or renamed, is on both sides under some name.
        for (const h of made) expect(kept.has(h)).toBe(true)
        expect(plannedOf((await run(safe)).events)).toEqual([])
      }),
      { numRuns: 30 },
    )
  }, 120_000)
})
