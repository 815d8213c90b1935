import fc from 'fast-check'
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import {
  check,
  type DoneEvent,
  MemoryStateStore,
  type RelPath,
  type StateRecord,
  type SyncEvent,
  type SyncOptions,
  sync,
} from '../src/index.js'
import { type DecideContext, recordMatches } from '../src/operators/decide.js'
import { listAll, readText, writeText } from '../src/testkit/index.js'

// A target whose listing has no mtimes (S3: the upload time) takes a pair's mtime from the state
// store where the record says the target is still what a run left: a record must therefore never
// say more than that run compared (--size-only, a wider --modify-window), or a later run trusts a
// stale target, or never carries an mtime over, where rclone and rsync (which compare) would.

const T0 = 1_700_000_000_000

async function run(src: MemBackend, dst: MemBackend, opts: Partial<SyncOptions> = {}): Promise<DoneEvent['summary']> {
  const events: SyncEvent[] = await firstValueFrom(sync(src, dst, { mode: 'mirror', ...opts }).pipe(toArray()))
  expect(events.filter((e) => e.type === 'failed')).toEqual([])
  const last = events.at(-1)
  expect(last?.type).toBe('done')
  return (last as DoneEvent).summary
}

/** What a stateless `check` (size and stored mtime, compared) would do: nothing when in sync. */
async function differences(src: MemBackend, dst: MemBackend): Promise<string[]> {
  const events = await lastValueFrom(check(src, dst, { mode: 'mirror' }).pipe(toArray()))
  return events.flatMap((e) => (e.type === 'planned' ? [`${e.action.kind}:${e.action.path}`] : []))
}

const mtimeOf = async (b: MemBackend, path: string): Promise<number | undefined> =>
  (await b.stat(path as RelPath))?.mtimeMs

/** A local-like source into an S3-like target (mtimes stored, not listed), and the other way round. */
const directions = [
  [
    'into a target that lists no mtimes',
    (): [MemBackend, MemBackend] => [createMemBackend(), createMemBackend({ capabilities: { listMtime: false } })],
  ],
  [
    'from a source that lists no mtimes',
    (): [MemBackend, MemBackend] => [createMemBackend({ capabilities: { listMtime: false } }), createMemBackend()],
  ],
] as const

describe.each(directions)('the state store %s', (_, backends) => {
  it('a --size-only run that skipped a same-size edit leaves it for the next run to update', async () => {
    const [src, dst] = backends()
    const state = new MemoryStateStore()
    await writeText(src, 'a', 'abcd', T0)
    await run(src, dst, { state })
    await writeText(src, 'a', 'wxyz', T0 + 5000) // same size, other bytes and mtime
    expect((await run(src, dst, { state, compare: 'size-only' })).done.update).toBe(0)
    // rclone and rsync without --size-only compare the mtimes here, and send the file.
    expect((await run(src, dst, { state })).done.update).toBe(1)
    expect(await readText(dst, 'a')).toBe('wxyz')
    expect(await mtimeOf(dst, 'a')).toBe(T0 + 5000)
    expect(await differences(src, dst)).toEqual([])
  })

  it('a run under a wider modify window leaves an mtime within it for a run under the default one', async () => {
    const [src, dst] = backends()
    const state = new MemoryStateStore()
    await writeText(src, 'a', 'abcd', T0)
    await run(src, dst, { state })
    await writeText(src, 'a', 'abcd', T0 + 1500) // the same bytes, 1.5 s later
    expect((await run(src, dst, { state, modifyWindowMs: 2000 })).done.touch).toBe(0)
    expect((await run(src, dst, { state })).done).toMatchObject({ touch: 1, update: 0 })
    expect(await mtimeOf(dst, 'a')).toBe(T0 + 1500)
    expect((await run(src, dst, { state })).unchanged).toBe(1)
  })
})

describe('the state store into a target that lists no mtimes', () => {
  // What a --size-only run of an earlier version recorded: the target as listed, its upload time
  // for its mtime. Such a record is not trusted for the target's mtime: the pair is compared.
  it('does not trust a record whose mtimes disagree (a --size-only record of an earlier version)', async () => {
    const src = createMemBackend()
    const dst = createMemBackend({ capabilities: { listMtime: false } })
    const state = new MemoryStateStore()
    await writeText(src, 'a', 'abcd', T0)
    await run(src, dst, { state })
    await writeText(src, 'a', 'wxyz', T0 + 5000)
    const [s] = await listAll(src)
    const [t] = await listAll(dst)
    const fp = (e: typeof s) => ({ size: e!.size, mtimeMs: e!.mtimeMs, version: e!.version! })
    const old: StateRecord = { source: fp(s), target: fp(t), syncedAt: Date.now() }
    await state.setMany([['a' as RelPath, old]])
    expect((await run(src, dst, { state })).done.update).toBe(1)
    expect(await readText(dst, 'a')).toBe('wxyz')
  })

  it('a touch (the same bytes, a new mtime) is carried as a touch, then recorded', async () => {
    const src = createMemBackend()
    const dst = createMemBackend({ capabilities: { listMtime: false } })
    const state = new MemoryStateStore()
    await writeText(src, 'a', 'abcd', T0)
    await run(src, dst, { state })
    await writeText(src, 'a', 'abcd', T0 + 5000)
    expect((await run(src, dst, { state })).done).toMatchObject({ touch: 1, update: 0 })
    expect(await mtimeOf(dst, 'a')).toBe(T0 + 5000)
    let stats = 0
    dst.faults = {
      stat: () => {
        stats++
        return undefined
      },
    }
    expect((await run(src, dst, { state })).unchanged).toBe(1)
    expect(stats).toBe(0)
  })
})

// An object written again with the same bytes (another tool: aws s3 cp) keeps its ETag and loses
// its stored mtime: only its upload time, later than the record, tells it from the run's own write.
describe('a record and an object written after it', () => {
  const ctx = (): DecideContext => ({
    source: createMemBackend(),
    target: createMemBackend({ capabilities: { listMtime: false } }),
    mode: 'mirror',
    compare: 'size-mtime',
    modifyWindowMs: 1,
    hashAlgo: 'md5',
    notice: () => {},
  })
  const fp = { size: 4, mtimeMs: T0, version: 'etag-1' }
  const record: StateRecord = { source: { ...fp, version: 'ino-1' }, target: fp, syncedAt: T0 + 100_000 }
  const s = { path: 'a' as RelPath, kind: 'file' as const, size: 4, mtimeMs: T0, version: 'ino-1' }
  const listed = (uploadedMs: number) => ({
    path: 'a' as RelPath,
    kind: 'file' as const,
    size: 4,
    mtimeMs: uploadedMs,
    version: 'etag-1',
  })

  it('is trusted for the write the record saw, not for one after it, however soon', () => {
    expect(recordMatches(record, s, listed(T0 + 99_000), ctx())).toBe(true)
    expect(recordMatches(record, s, listed(T0 + 100_000), ctx())).toBe(true)
    // Within a second of the record, as a script writing right after a run does.
    expect(recordMatches(record, s, listed(T0 + 100_001), ctx())).toBe(false)
    expect(recordMatches(record, s, listed(T0 + 100_900), ctx())).toBe(false)
  })
})

// The state store is an optimisation: whatever runs came before (--size-only, --checksum, a wider
// window, --no-state, copy), a run with it ends where a run without it would.
describe('the state store changes no outcome (property)', () => {
  const edit = fc.constantFrom('none', 'same-size', 'touch-near', 'touch-far', 'same-mtime', 'longer')
  const options = fc.record({
    compare: fc.constantFrom('size-mtime', 'size-only', 'checksum'),
    window: fc.constantFrom(undefined, 2000),
    state: fc.boolean(),
    mode: fc.constantFrom('mirror', 'copy'),
  })
  const step = fc.record({ edit, file: fc.constantFrom('a', 'b'), options })

  it.each(directions)('%s', async (_, backends) => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 6 }), async (steps) => {
        const [src, dst] = backends()
        const state = new MemoryStateStore()
        const content: Record<string, string> = { a: 'abcd', b: 'efgh' }
        const mtime: Record<string, number> = { a: T0, b: T0 }
        for (const f of ['a', 'b']) await writeText(src, f, content[f]!, mtime[f]!)
        await run(src, dst, { state })
        let n = 0
        for (const { edit, file, options: o } of steps) {
          n++
          if (edit === 'same-size') content[file] = `${n}`.padStart(content[file]!.length, 'x')
          if (edit === 'longer') content[file] = `${content[file]}+`
          if (edit === 'touch-near') mtime[file] = mtime[file]! + 1500
          if (edit === 'touch-far' || edit === 'same-size' || edit === 'longer') mtime[file] = mtime[file]! + 60_000
          if (edit === 'same-mtime') content[file] = `${n}`.padStart(content[file]!.length, 'y')
          if (edit !== 'none') await writeText(src, file, content[file]!, mtime[file]!)
          await run(src, dst, {
            mode: o.mode,
            ...(o.compare !== 'size-mtime' ? { compare: o.compare } : {}),
            ...(o.window !== undefined ? { modifyWindowMs: o.window } : {}),
            ...(o.state ? { state } : {}),
          })
        }
        await run(src, dst, { state })
        expect(await differences(src, dst)).toEqual([])
      }),
      { numRuns: 150 },
    )
  })
})
