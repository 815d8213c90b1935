import { from, lastValueFrom, tap, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend, type MemBackendOptions } from '../src/backend/mem-backend.js'
import { type Entry, MemoryStateStore, type RelPath } from '../src/index.js'
import type { DecideContext } from '../src/operators/decide.js'
import type { EntryPair } from '../src/operators/diff.js'
import { plan, planWindows } from '../src/operators/plan.js'
import { writeText } from '../src/testkit/index.js'
import { KeptPaths } from '../src/util/kept-paths.js'

const T0 = 1_700_000_000_000
const file = (path: string, size: number, mtimeMs = T0): Entry => ({
  path: path as RelPath,
  kind: 'file',
  size,
  mtimeMs,
})
const pair = (path: string, source?: Entry, target?: Entry): EntryPair => ({
  path: path as RelPath,
  ...(source ? { source } : {}),
  ...(target ? { target } : {}),
})

/**
 * Two mem backends whose stat and hash calls are counted (the I/O a decision may need); the target
 * with `targetCapabilities` (`listMtime: false`: an S3-like listing of upload times).
 */
function context(targetCapabilities?: MemBackendOptions['capabilities']): {
  ctx: DecideContext
  io: string[]
  source: MemBackend
  target: MemBackend
} {
  const io: string[] = []
  const count = (b: MemBackend, side: string): void => {
    b.faults = {
      stat: (p) => void io.push(`${side}.stat ${p}`),
      hash: (p) => void io.push(`${side}.hash ${p}`),
    }
  }
  const source = createMemBackend()
  const target = createMemBackend(targetCapabilities ? { capabilities: targetCapabilities } : {})
  count(source, 'source')
  count(target, 'target')
  const ctx: DecideContext = {
    source,
    target,
    mode: 'mirror',
    compare: 'size-mtime',
    modifyWindowMs: 1,
    hashAlgo: 'sha256',
    notice: () => {},
  }
  return { ctx, io, source, target }
}

describe('plan', () => {
  it('decides what the listings settle without any backend call, in pair order, one array per window', async () => {
    const { ctx, io } = context()
    const pairs = [
      pair('a', file('a', 1)),
      pair('b', undefined, file('b', 1)),
      pair('c', file('c', 1), file('c', 2)),
      pair('d', file('d', 3), file('d', 3)),
      pair('e', file('e', 0, T0), file('e', 0, T0 + 5000)),
    ]
    const windows = await lastValueFrom(from(pairs).pipe(planWindows({ ...ctx, windowSize: 2 }), toArray()))
    expect(windows.map((w) => w.length)).toEqual([2, 2, 1])
    const kinds = windows.flat().map((o) => {
      const d = o.decision
      return `${o.pair.path}:${d.kind === 'action' ? d.action.kind : d.kind}`
    })
    expect(kinds).toEqual(['a:copy', 'b:delete', 'c:update', 'd:unchanged', 'e:touch'])
    expect(io).toEqual([])
  })

  it('hashes only where size and mtime cannot tell, and keeps the pair order around it', async () => {
    const { ctx, io, target } = context()
    const source = ctx.source as MemBackend
    await writeText(source, 'same', 'xy', T0)
    await writeText(target, 'same', 'xy', T0 + 5000)
    const pairs = [
      pair('a', file('a', 1)),
      pair('same', file('same', 2, T0), file('same', 2, T0 + 5000)),
      pair('z', file('z', 1), file('z', 1)),
    ]
    const outcomes = await lastValueFrom(from(pairs).pipe(plan(ctx), toArray()))
    const kinds = outcomes.map((o) => (o.decision.kind === 'action' ? o.decision.action.kind : o.decision.kind))
    expect(kinds).toEqual(['copy', 'touch', 'unchanged'])
    expect(io.sort()).toEqual(['source.hash same', 'target.hash same'])
  })
})

// QA 22 #14: a chmod alone rewrote the whole file. A target that sets modes in place gets a touch.
describe('a change of mode alone', () => {
  const withMode = (e: Entry, mode: number): Entry => ({ ...e, mode })
  const decided = async (ctx: DecideContext, p: EntryPair) => {
    const [out] = await lastValueFrom(from([p]).pipe(planWindows({ ...ctx, windowSize: 1 })))
    const d = out?.decision
    return d?.kind === 'action' ? `${d.action.kind} (${d.action.reason})` : d?.kind
  }
  const chmodded = pair('f', withMode(file('f', 3), 0o600), withMode(file('f', 3), 0o644))

  it('is a touch on a target that sets modes in place (ModeSettable), an update elsewhere', async () => {
    const { ctx, target } = context()
    expect(await decided(ctx, chmodded)).toBe('update (mode differs)')
    Object.assign(target, { setMode: async () => file('f', 3) })
    expect(await decided(ctx, chmodded)).toBe('touch (mode differs)')
  })

  it('is nothing where a target clearing set-id bits lacks only those (their rewrite would lack them again)', async () => {
    const { ctx, target } = context()
    Object.assign(target, { setMode: async () => file('f', 3) })
    const clears = {
      ...ctx,
      target: Object.assign(target, { capabilities: { ...target.capabilities, clearsSetId: true } }),
    }
    const setuid = pair('f', withMode(file('f', 3), 0o4755), withMode(file('f', 3), 0o755))
    expect(await decided(clears, setuid)).toBe('unchanged')
    // Set in place, its set-id bit would be lost (and stay lost): written anew, as before chmods in place.
    const more = pair('f', withMode(file('f', 3), 0o4750), withMode(file('f', 3), 0o755))
    expect(await decided(clears, more)).toBe('update (mode differs)')
    const plain = pair('f', withMode(file('f', 3), 0o750), withMode(file('f', 3), 0o755))
    expect(await decided(clears, plain)).toBe('touch (mode differs)')
  })
})

// rsync's and rclone's --ignore-existing and --update (-u).
describe('ignoreExisting and skipNewer', () => {
  const kindsOf = async (ctx: DecideContext, pairs: EntryPair[]) =>
    (await lastValueFrom(from(pairs).pipe(plan(ctx), toArray()))).map((o) => {
      const d = o.decision
      return `${o.pair.path}:${d.kind === 'action' ? d.action.kind : d.kind}`
    })
  const dir = (path: string, mtimeMs: number): Entry => ({ path: path as RelPath, kind: 'dir', size: 0, mtimeMs })
  const link = (path: string): Entry => ({
    path: path as RelPath,
    kind: 'symlink',
    size: 1,
    mtimeMs: T0,
    linkTarget: 'x',
  })

  it('ignoreExisting copies only what the target lacks, still deletes, still sets a directory time; no I/O', async () => {
    const { ctx, io } = context()
    const pairs = [
      pair('d', dir('d', T0), dir('d', T0 + 5000)),
      pair('d/new', file('d/new', 1)),
      pair('d/other-size', file('d/other-size', 1), file('d/other-size', 2)),
      pair('d/other-time', file('d/other-time', 3, T0), file('d/other-time', 3, T0 + 5000)),
      pair('d/was-link', file('d/was-link', 3), link('d/was-link')),
      pair('d/gone', undefined, file('d/gone', 1)),
    ]
    expect(await kindsOf({ ...ctx, ignoreExisting: true }, pairs)).toEqual([
      'd:touch',
      'd/new:copy',
      'd/other-size:unchanged',
      'd/other-time:unchanged',
      'd/was-link:unchanged',
      'd/gone:delete',
    ])
    expect(io).toEqual([])
    // QA 27d: those whose listings differ are left alone, said apart from the identical ones.
    const same = [pair('same', file('same', 3), file('same', 3)), ...pairs.slice(2, 5)]
    const outcomes = await lastValueFrom(from(same).pipe(plan({ ...ctx, ignoreExisting: true }), toArray()))
    expect(outcomes.map((o) => (o.decision.kind === 'unchanged' ? o.decision.leftExisting === true : 'other'))).toEqual(
      [false, true, true, true],
    )
  })

  it('skipNewer leaves a target file newer than the window as it is, whatever its size or content', async () => {
    const { ctx, io } = context()
    const pairs = [
      pair('newer-bigger', file('newer-bigger', 1, T0), file('newer-bigger', 9, T0 + 5000)),
      pair('newer-same-size', file('newer-same-size', 3, T0), file('newer-same-size', 3, T0 + 5000)),
      pair('older', file('older', 1, T0 + 5000), file('older', 9, T0)),
      pair('same-time', file('same-time', 1, T0), file('same-time', 9, T0)),
      pair('within-window', file('within-window', 1, T0), file('within-window', 9, T0 + 1)),
      pair('link-newer', file('link-newer', 1, T0), { ...link('link-newer'), mtimeMs: T0 + 5000 }),
    ]
    expect(await kindsOf({ ...ctx, skipNewer: true }, pairs)).toEqual([
      'newer-bigger:unchanged',
      'newer-same-size:unchanged',
      'older:update',
      'same-time:update',
      'within-window:update',
      'link-newer:update',
    ])
    expect(io).toEqual([]) // (the newer one of the same size is not hashed)
  })

  it('skipNewer reads the real mtimes where a listing has upload times (S3), sizes differing or not', async () => {
    const { ctx: base, source, target } = context({ listMtime: false })
    await writeText(source, 'a', 'x', T0)
    await writeText(target, 'a', 'longer', T0 + 5000) // newer, bigger
    await writeText(source, 'b', 'longer', T0 + 5000)
    await writeText(target, 'b', 'x', T0) // older, smaller
    const ctx: DecideContext = { ...base, skipNewer: true }
    const listed = async (b: MemBackend, p: string) => (await b.stat(p as RelPath))!
    // As S3 lists them: the upload time, here later than both real mtimes.
    const upload = (e: Entry): Entry => ({ ...e, mtimeMs: T0 + 99_000 })
    const pairs = [
      pair('a', await listed(source, 'a'), upload(await listed(target, 'a'))),
      pair('b', await listed(source, 'b'), upload(await listed(target, 'b'))),
    ]
    expect(await kindsOf(ctx, pairs)).toEqual(['a:unchanged', 'b:update'])
  })
})

describe('ignoreExisting and the state store', () => {
  it('records nothing as in sync for a pair it left alone (a later run without it compares the pair)', async () => {
    const { ctx, source, target } = context({ listMtime: false })
    await writeText(source, 'f', 'abc', T0)
    await writeText(target, 'f', 'xyz', T0) // same size and mtime, other bytes: only a hash tells
    const state = new MemoryStateStore()
    const pairs = [pair('f', (await source.stat('f' as RelPath))!, (await target.stat('f' as RelPath))!)]
    const run = (c: DecideContext) => lastValueFrom(from(pairs).pipe(planWindows({ ...c, state }), toArray()))
    expect((await run({ ...ctx, ignoreExisting: true })).flat()[0]?.decision.kind).toBe('unchanged')
    expect(await state.getMany(['f' as RelPath])).toEqual([undefined])
    // A run without it compares the pair (a record would have said "unchanged" for ever): --checksum tells.
    const later = (await run({ ...ctx, compare: 'checksum' })).flat()[0]?.decision
    expect(later?.kind === 'action' ? later.action.kind : later?.kind).toBe('update')
  })
})

// rsync's and rclone's --max-size and --min-size.
describe('maxSize and minSize', () => {
  it('leave a source file outside the bounds out: not copied, and the target copy neither updated nor deleted', async () => {
    const { ctx, io } = context()
    const pairs = [
      pair('big-new', file('big-new', 11)),
      pair('big-kept', file('big-kept', 11), file('big-kept', 3)),
      pair('edge-max', file('edge-max', 10)),
      pair('edge-min', file('edge-min', 2)),
      pair('small-new', file('small-new', 1)),
      pair('gone-big', undefined, file('gone-big', 99)),
    ]
    const outcomes = await lastValueFrom(from(pairs).pipe(plan({ ...ctx, maxSize: 10, minSize: 2 }), toArray()))
    expect(
      outcomes.map((o) => `${o.pair.path}:${o.decision.kind === 'action' ? o.decision.action.kind : o.decision.kind}`),
    ).toEqual(['big-new:none', 'big-kept:none', 'edge-max:copy', 'edge-min:copy', 'small-new:none', 'gone-big:delete'])
    expect(io).toEqual([])
  })
})

// rclone's --max-age and --min-age, as mtimes the run fixed at its start.
describe('modifiedAfterMs and modifiedBeforeMs', () => {
  it('leave a source file modified outside the window out, as maxSize does; the edges are in', async () => {
    const { ctx } = context()
    const [after, before] = [T0 - 7_000, T0 - 1_000]
    const pairs = [
      pair('too-old', file('too-old', 1, after - 1), file('too-old', 2, T0 - 99_000)),
      pair('oldest', file('oldest', 1, after)),
      pair('newest', file('newest', 1, before)),
      pair('too-new', file('too-new', 1, before + 1)),
      pair('gone', undefined, file('gone', 1, T0 - 99_000)),
    ]
    const outcomes = await lastValueFrom(
      from(pairs).pipe(plan({ ...ctx, modifiedAfterMs: after, modifiedBeforeMs: before }), toArray()),
    )
    expect(
      outcomes.map((o) => `${o.pair.path}:${o.decision.kind === 'action' ? o.decision.action.kind : o.decision.kind}`),
    ).toEqual(['too-old:none', 'oldest:copy', 'newest:copy', 'too-new:none', 'gone:delete'])
  })
})

// Review 23 F4: a file `d` and a directory `d/` are two pairs: a source file left out by --max-size
// had the target's directory of that name deleted by the mirror, with all it held.
describe('a target directory where the source has a file left out by --max-size', () => {
  it('is kept, with what is below it', async () => {
    const { ctx } = context()
    const keptOnTarget = new KeptPaths()
    const dir: Entry = { path: 'd' as RelPath, kind: 'dir', size: 0, mtimeMs: T0 }
    const pairs = [
      pair('d', file('d', 99)),
      pair('d', undefined, dir),
      pair('d/precious', undefined, file('d/precious', 1)),
    ]
    const outcomes = await lastValueFrom(from(pairs).pipe(plan({ ...ctx, maxSize: 10, keptOnTarget }), toArray()))
    expect(outcomes.map((o) => o.decision.kind)).toEqual(['none', 'none', 'none'])
  })

  it('with names between the file and the directory (d.txt sorts between d and d/); what follows is deleted as ever', async () => {
    const { ctx } = context()
    const keptOnTarget = new KeptPaths()
    const dir = (path: string): Entry => ({ path: path as RelPath, kind: 'dir', size: 0, mtimeMs: T0 })
    const pairs = [
      pair('d', file('d', 99)),
      pair('d-1', undefined, file('d-1', 1)),
      pair('d.txt', file('d.txt', 1), file('d.txt', 1)),
      pair('d', undefined, dir('d')),
      pair('d/e', undefined, dir('d/e')),
      pair('d/e/f', undefined, file('d/e/f', 1)),
      pair('d0', undefined, file('d0', 1)),
      pair('e', undefined, dir('e')),
    ]
    const outcomes = await lastValueFrom(from(pairs).pipe(plan({ ...ctx, maxSize: 10, keptOnTarget }), toArray()))
    expect(
      outcomes.map((o) => `${o.pair.path}:${o.decision.kind === 'action' ? o.decision.action.kind : o.decision.kind}`),
    ).toEqual(['d:none', 'd-1:delete', 'd.txt:unchanged', 'd:none', 'd/e:none', 'd/e/f:none', 'd0:delete', 'e:delete'])
  })

  it('holds each left-out path only until the merge is past it: memory stays flat', async () => {
    const { ctx } = context()
    const keptOnTarget = new KeptPaths()
    const pairs = Array.from({ length: 5000 }, (_, i) => {
      const name = `f${String(i).padStart(5, '0')}`
      return pair(name, file(name, 1))
    })
    let most = 0
    await lastValueFrom(
      from(pairs).pipe(
        plan({ ...ctx, minSize: 2, keptOnTarget }),
        tap(() => {
          most = Math.max(most, keptOnTarget.size)
        }),
        toArray(),
      ),
    )
    // A window of pairs is planned at once: at most about one window's worth is held.
    expect(most).toBeLessThan(300)
  })
})

// Review 23 F6: -u with a side that lists upload times read the real mtimes, then compared content
// despite --size-only.
describe('skipNewer with --size-only where a listing has upload times', () => {
  it('leaves a file of the same size as it is, without a hash', async () => {
    const { ctx, io, source, target } = context({ listMtime: false })
    await writeText(source, 'f', 'abc', T0 + 5000)
    await writeText(target, 'f', 'xyz', T0)
    const s = (await source.stat('f' as RelPath))!
    const t = { ...(await target.stat('f' as RelPath))!, mtimeMs: T0 + 99_000 }
    const outcomes = await lastValueFrom(
      from([pair('f', s, t)]).pipe(plan({ ...ctx, compare: 'size-only', skipNewer: true }), toArray()),
    )
    expect(outcomes[0]?.decision.kind).toBe('unchanged')
    expect(io.filter((x) => x.includes('hash'))).toEqual([])
  })
})
