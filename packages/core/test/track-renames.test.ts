import fc from 'fast-check'
import { firstValueFrom, Subject, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import {
  type DoneEvent,
  type Entry,
  type PlanOutcome,
  RENAME_MIN_BYTES,
  type RelPath,
  SyncError,
  type SyncEvent,
  type SyncOptions,
  sync,
  trackRenames,
} from '../src/index.js'
import { listAll, prngBytes, readBytes, writeText } from '../src/testkit/index.js'

const T0 = 1_700_000_000_000
const BIG = RENAME_MIN_BYTES + 100

const run = (src: MemBackend, dst: MemBackend, opts: Partial<SyncOptions> = {}): Promise<SyncEvent[]> =>
  firstValueFrom(sync(src, dst, { mode: 'mirror', ...opts }).pipe(toArray()))

const doneOf = (events: SyncEvent[]): DoneEvent => events.find((e): e is DoneEvent => e.type === 'done')!

/** `kind path` (a move as `move from → to`) of every completed action but directories'. */
const completed = (events: SyncEvent[]): string[] =>
  events.flatMap((e) =>
    e.type === 'completed' && e.action.kind !== 'mkdir' && e.action.kind !== 'touch'
      ? [e.action.kind === 'move' ? `move ${e.action.from} → ${e.action.path}` : `${e.action.kind} ${e.action.path}`]
      : [],
  )

/** Every file's path, bytes (hex digest would do; sizes are small) and mtime, for comparing two sides. */
async function files(b: MemBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const e of await listAll(b)) {
    if (e.kind !== 'file') continue
    out[e.path] = `${(await readBytes(b, e.path)).toString('base64')} @${e.mtimeMs}`
  }
  return out
}

/** The same bytes written to `src` and `dst` at `path` (a synced file). */
async function both(src: MemBackend, dst: MemBackend, path: string, bytes: Buffer, mtimeMs = T0): Promise<void> {
  await writeText(src, path, bytes, mtimeMs)
  await writeText(dst, path, bytes, mtimeMs)
}

/** Moves a file within a MemBackend (a user's `mv`), keeping its mtime. */
async function mv(b: MemBackend, from: string, to: string): Promise<void> {
  await b.move(from as RelPath, to as RelPath)
}

/** A file synced to both sides, then renamed on the source from `from` to `to` (a user's `mv`). */
async function renamed(from: string, to: string, bytes: Buffer): Promise<{ src: MemBackend; dst: MemBackend }> {
  const src = createMemBackend()
  const dst = createMemBackend()
  await both(src, dst, from, bytes)
  await mv(src, from, to)
  return { src, dst }
}

describe('a mirror tracks renames (rclone --track-renames)', () => {
  it('a renamed big file is moved on the target, not sent again, whether its new name sorts after or before the old', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await both(src, dst, 'b/photo.jpg', prngBytes(1, BIG))
    await both(src, dst, 'b/clip.mp4', prngBytes(2, BIG + 1))
    await mv(src, 'b/photo.jpg', 'z/photo.jpg') // a later name: its delete comes first
    await mv(src, 'b/clip.mp4', 'a/clip.mp4') // an earlier name: its new file comes first
    const events = await run(src, dst)
    expect(completed(events).sort()).toEqual(['move b/clip.mp4 → a/clip.mp4', 'move b/photo.jpg → z/photo.jpg'])
    const done = doneOf(events)
    expect(done.summary.bytesTransferred).toBe(0)
    expect(done.summary.failed).toBe(0)
    expect(await files(dst)).toEqual(await files(src))
    // Recorded as in sync: nothing left to do.
    expect(completed(await run(src, dst))).toEqual([])
  })

  it('a new case of the same name is a move on a target that tells cases apart, a copy and a delete on one that does not', async () => {
    const sensitive = await renamed('Photo.JPG', 'photo.jpg', prngBytes(11, BIG))
    const moved = await run(sensitive.src, sensitive.dst)
    expect(completed(moved)).toEqual(['move Photo.JPG → photo.jpg'])
    expect(doneOf(moved).summary.bytesTransferred).toBe(0)
    expect(await files(sensitive.dst)).toEqual(await files(sensitive.src))

    // (On a target that does not tell cases apart the two names are one file: never a rename of it.)
    const src = createMemBackend()
    const dst = createMemBackend({ capabilities: { caseSensitive: false } })
    await both(src, dst, 'Photo.JPG', prngBytes(12, BIG))
    await mv(src, 'Photo.JPG', 'photo.jpg')
    expect(completed(await run(src, dst))).not.toContain('move Photo.JPG → photo.jpg')
  })

  it('pairs by content only: same size and mtime with other bytes is a copy and a delete', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(dst, 'old.bin', prngBytes(3, BIG), T0)
    await writeText(src, 'new.bin', prngBytes(4, BIG), T0)
    const events = await run(src, dst)
    expect(completed(events)).toEqual(['copy new.bin', 'delete old.bin'])
    expect(await files(dst)).toEqual(await files(src))
  })

  it('leaves small files, --no-track-renames and a copy job as they were: copy and delete', async () => {
    const s = await renamed('x/f', 'y/f', prngBytes(5, RENAME_MIN_BYTES - 1))
    expect(completed(await run(s.src, s.dst))).toEqual(['copy y/f', 'delete x/f'])

    const big = () => renamed('x/f', 'y/f', prngBytes(6, BIG))
    const off = await big()
    expect(completed(await run(off.src, off.dst, { trackRenames: false }))).toEqual(['copy y/f', 'delete x/f'])
    const copyJob = await big()
    expect(completed(await run(copyJob.src, copyJob.dst, { mode: 'copy' }))).toEqual(['copy y/f'])
  })

  it('a dry run says the move and changes nothing', async () => {
    const { src, dst } = await renamed('old/f.bin', 'new/f.bin', prngBytes(7, BIG))
    const before = await files(dst)
    const events = await run(src, dst, { dryRun: true })
    expect(completed(events)).toContain('move old/f.bin → new/f.bin')
    expect(doneOf(events).summary.planned.move).toBe(1)
    expect(doneOf(events).summary.planned.copy).toBe(0)
    expect(await files(dst)).toEqual(before)
  })

  it('pairs nothing after a listing error: the new file is copied and the delete held back', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await both(src, dst, 'keep/f.bin', prngBytes(8, BIG))
    await both(src, dst, 'unreadable/g.txt', Buffer.from('g'))
    // A copy of keep/f.bin elsewhere in the source, while keep/ cannot be listed: keep/f.bin must stay.
    await writeText(src, 'copy/f.bin', prngBytes(8, BIG), T0)
    src.faults = {
      list: (p) =>
        p === 'keep' ? new SyncError('PERMISSION', 'permission denied', { op: 'mem.list', path: p }) : undefined,
    }
    const events = await run(src, dst)
    expect(completed(events)).toEqual(['copy copy/f.bin'])
    expect((await files(dst))['keep/f.bin']).toBeDefined()
  })

  it('a rename runs even when the other transfers fail, and loses nothing', async () => {
    const { src, dst } = await renamed('a/f.bin', 'b/f.bin', prngBytes(9, BIG))
    await writeText(src, 'c/new.txt', 'new', T0)
    const denied = (p: RelPath) =>
      p === 'c/new.txt' ? new SyncError('PERMISSION', 'denied', { op: 'mem.write', path: p }) : undefined
    dst.faults = { write: denied, copyFrom: denied }
    const events = await run(src, dst)
    expect(completed(events)).toEqual(['move a/f.bin → b/f.bin'])
    expect(doneOf(events).summary.failed).toBe(1)
    expect((await files(dst))['b/f.bin']).toBe((await files(src))['b/f.bin'])
  })

  it('a paired rename the target refuses (an archived S3 object) copies the new file instead and keeps the old one', async () => {
    const { src, dst } = await renamed('a/f.bin', 'b/f.bin', prngBytes(10, BIG))
    dst.faults = {
      move: (p) =>
        new SyncError('PERMISSION', 'InvalidObjectState: the object is archived', { op: 'mem.move', path: p }),
    }
    const events = await run(src, dst)
    expect(completed(events)).toEqual(['copy b/f.bin'])
    expect(doneOf(events).summary.failed).toBe(0)
    expect(Object.keys(await files(dst)).sort()).toEqual(['a/f.bin', 'b/f.bin'])
    // The next run deletes the old file: nothing left to pair (and fail) again.
    expect(completed(await run(src, dst))).toEqual(['delete a/f.bin'])
    expect(await files(dst)).toEqual(await files(src))
  })

  it('a file deleted where the source now has a directory is deleted, not moved (mv data data.old; mkdir data)', async () => {
    const { src, dst } = await renamed('data', 'data.old', prngBytes(11, BIG))
    await writeText(src, 'data/x.txt', 'x', T0)
    const events = await run(src, dst)
    expect(doneOf(events).summary.failed).toBe(0)
    expect(completed(events)).toContain('copy data.old')
    expect(await files(dst)).toEqual(await files(src))
  })

  it('Ctrl-C while the pairing hashes stops it: no more hashes are asked, nothing is moved', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    for (let i = 0; i < 40; i++) {
      await writeText(dst, `old/f${i}.bin`, prngBytes(100 + i, BIG), T0)
      await writeText(src, `new/f${i}.bin`, prngBytes(200 + i, BIG), T0)
    }
    const stop = new AbortController()
    let hashes = 0
    dst.faults = {
      hash: () => {
        if (++hashes === 1) stop.abort()
        return undefined
      },
    }
    const events = await run(src, dst, { signal: stop.signal, concurrency: 4 })
    // The hashes already under way when it stopped, at most one per lane: not the other 36.
    expect(hashes).toBeGreaterThan(0)
    expect(hashes).toBeLessThanOrEqual(4)
    expect(doneOf(events).summary.interrupted).toBe(true)
    expect(completed(events).filter((l) => l.startsWith('move'))).toEqual([])
    expect(Object.keys(await files(dst)).filter((p) => p.startsWith('old/'))).toHaveLength(40)
  })

  // The invariant: whatever was renamed, deleted, added or rewritten, a tracked mirror ends with the
  // target equal to the source, and never sends more bytes than one that does not track renames.
  it('property: the target ends equal to the source, with no more bytes sent than without tracking', async () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd/e', 'd/f', 'g/h/i', 'z')
    const op = fc.oneof(
      fc.record({ kind: fc.constant('mv' as const), from: fc.nat(5), to: name }),
      fc.record({ kind: fc.constant('rm' as const), from: fc.nat(5) }),
      fc.record({ kind: fc.constant('add' as const), to: name, seed: fc.nat(3), big: fc.boolean() }),
    )
    let moved = 0
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(name, fc.nat(3), fc.boolean()), { selector: (t) => t[0], minLength: 1, maxLength: 6 }),
        fc.array(op, { maxLength: 6 }),
        async (start, ops) => {
          const make = async (): Promise<{ src: MemBackend; dst: MemBackend }> => {
            const src = createMemBackend()
            const dst = createMemBackend()
            for (const [path, seed, big] of start) {
              await both(src, dst, `${path}.bin`, prngBytes(seed, big ? BIG + seed : 10 + seed), T0 + seed)
            }
            for (const o of ops) {
              const present = (await listAll(src)).filter((e) => e.kind === 'file')
              if (o.kind === 'add') {
                const at = `${o.to}.new${o.seed}`
                if (present.some((e) => e.path === at || at.startsWith(`${e.path}/`))) continue
                await writeText(src, at, prngBytes(o.seed, o.big ? BIG + o.seed : 10 + o.seed), T0 + o.seed)
                continue
              }
              const f = present[o.from % Math.max(1, present.length)]
              if (f === undefined) continue
              if (o.kind === 'rm') await src.remove(f.path)
              else {
                const to = `${o.to}.moved`
                if (present.some((e) => e.path === to || to.startsWith(`${e.path}/`) || e.path.startsWith(`${to}/`)))
                  continue
                await mv(src, f.path, to)
              }
            }
            return { src, dst }
          }
          const tracked = await make()
          const t = await run(tracked.src, tracked.dst, { allowEmptySource: true })
          expect(doneOf(t).summary.failed).toBe(0)
          moved += doneOf(t).summary.done.move
          expect(await files(tracked.dst)).toEqual(await files(tracked.src))
          const plain = await make()
          const p = await run(plain.src, plain.dst, { trackRenames: false, allowEmptySource: true })
          expect(doneOf(t).summary.bytesTransferred).toBeLessThanOrEqual(doneOf(p).summary.bytesTransferred)
        },
      ),
      { numRuns: 60 },
    )
    // (Not vacuous: some of the runs paired renames.)
    expect(moved).toBeGreaterThan(0)
  })
})

describe('trackRenames (the operator)', () => {
  const file = (path: string, size: number): Entry => ({ path: path as RelPath, kind: 'file', size, mtimeMs: T0 })
  const copyOf = (path: string, size: number): PlanOutcome => {
    const source = file(path, size)
    return {
      pair: { path: source.path, source },
      decision: { kind: 'action', action: { kind: 'copy', path: source.path, source, reason: 'new file' } },
    }
  }
  it('holds at most maxHeldNew new files waiting for a delete: the next one goes on at once, memory stays bounded', async () => {
    const windows = new Subject<PlanOutcome[]>()
    const out: string[] = []
    const held: string[] = []
    windows
      .pipe(
        trackRenames({
          source: createMemBackend(),
          target: createMemBackend(),
          hashAlgo: 'sha256',
          maxHeldNew: 2,
          mayPair: () => true,
          onHold: (o) => held.push(o.pair.path),
        }),
      )
      .subscribe((w) => out.push(...w.map((o) => o.pair.path)))
    windows.next([copyOf('a', BIG), copyOf('b', BIG + 1), copyOf('c', BIG + 2), copyOf('small', 10)])
    // a and b are held (their slots freed); c goes on at once, as does a file too small to pair.
    expect(held).toEqual(['a', 'b'])
    expect(out).toEqual(['c', 'small'])
    windows.complete()
    await expect.poll(() => out).toEqual(['c', 'small', 'a', 'b'])
  })
})
