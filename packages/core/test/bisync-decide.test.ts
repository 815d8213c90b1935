import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type BisyncSide, conflictName, conflictOrigin } from '../src/bisync/conflict-name.js'
import { type BisyncDecideOptions, type ConflictPolicy, decideBisync } from '../src/bisync/decide-bisync.js'
import type { Entry } from '../src/model/entry.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { StateRecord } from '../src/state/state-store.js'

/**
 * A model of two-way sync over files whose content is told by size and mtime (the default
 * comparison: two versions with the same size and mtime are the same version). The decisions are
 * run on the model as the engine runs them on backends, and the run's invariants checked.
 */
interface Version {
  readonly size: number
  readonly mtimeMs: number
}
type Side = Map<string, Version>

const PATHS = ['notes', 'a/report.pdf', 'a/b/archive.tar.gz', '.rc'] as const
const AT = new Date(Date.UTC(2026, 11, 6, 23, 15, 4))
const T0 = Date.UTC(2026, 0, 1)

const file = (path: string, v: Version): Entry => ({ path: path as RelPath, kind: 'file', ...v })
const record = (v: Version, syncedAt: number): StateRecord => ({ source: { ...v }, target: { ...v }, syncedAt })
const key = (v: Version): string => `${v.size}@${v.mtimeMs}`

const version = fc
  .record({ size: fc.integer({ min: 0, max: 3 }), mtimeMs: fc.integer({ min: 0, max: 3 }) }, {})
  .map((v): Version => ({ size: v.size, mtimeMs: T0 + v.mtimeMs * 1000 }))
/** A side's change to a path that was in sync: kept, rewritten (a new size or mtime), deleted. */
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.constant<'keep'>('keep'),
  fc.constant<'delete'>('delete'),
  fc.record({ size: fc.integer({ min: 0, max: 3 }), later: fc.integer({ min: 1, max: 3 }) }),
)
/** A path before the run: in sync at the last run (then changed per side), or never synced. */
const pathState = fc.oneof(
  fc.record({ synced: version, a: change, b: change }),
  fc.record({ a: fc.option(version, { nil: undefined }), b: fc.option(version, { nil: undefined }) }),
)
const scenario = fc.tuple(...PATHS.map(() => pathState))
const policy = fc.constantFrom<ConflictPolicy>('keep-both', 'newer', 'source-wins', 'target-wins')

type PathState = typeof pathState extends fc.Arbitrary<infer T> ? T : never

type Change = 'keep' | 'delete' | { readonly size: number; readonly later: number }

function applyChange(synced: Version, c: Change): Version | undefined {
  if (c === 'keep') return synced
  if (c === 'delete') return undefined
  return { size: c.size, mtimeMs: synced.mtimeMs + c.later * 1000 }
}

interface World {
  readonly a: Side
  readonly b: Side
  readonly records: Map<string, StateRecord>
}

function worldOf(states: readonly PathState[]): World {
  const a: Side = new Map()
  const b: Side = new Map()
  const records = new Map<string, StateRecord>()
  PATHS.forEach((p, i) => {
    const s = states[i]!
    if ('synced' in s) {
      records.set(p, record(s.synced, T0 + 10_000))
      const va = applyChange(s.synced, s.a)
      const vb = applyChange(s.synced, s.b)
      if (va) a.set(p, va)
      if (vb) b.set(p, vb)
    } else {
      if (s.a) a.set(p, s.a)
      if (s.b) b.set(p, s.b)
    }
  })
  return { a, b, records }
}

/**
 * Runs one two-way pass on the model: decide every path, then carry the decisions out. With
 * `bySize`, a stand-in for `--checksum`: two versions of one size hold the same bytes.
 */
function run(
  w: World,
  opts: BisyncDecideOptions,
  bySize = false,
): { a: Side; b: Side; decisions: Map<string, string> } {
  const a = new Map(w.a)
  const b = new Map(w.b)
  const sides = { a, b }
  const decisions = new Map<string, string>()
  const paths = new Set([...w.a.keys(), ...w.b.keys(), ...w.records.keys()])
  for (const p of paths) {
    const va = w.a.get(p)
    const vb = w.b.get(p)
    const d = decideBisync(
      { path: p as RelPath, a: va && file(p, va), b: vb && file(p, vb), prior: w.records.get(p) },
      bySize && va && vb && va.size === vb.size ? { ...opts, sameContent: true } : opts,
    )
    decisions.set(p, d.kind)
    const from = (s: BisyncSide): Version | undefined => w[s].get(p)
    if (d.kind === 'copy') {
      const v = from(d.from)!
      a.set(p, v)
      b.set(p, v)
    } else if (d.kind === 'delete') {
      sides[d.on].delete(p)
    } else if (d.kind === 'conflict') {
      const loser: BisyncSide = d.winner === 'a' ? 'b' : 'a'
      if (d.keepLoser) {
        const kept = conflictName(p as RelPath, AT, loser)
        a.set(kept, from(loser)!)
        b.set(kept, from(loser)!)
      }
      a.set(p, from(d.winner)!)
      b.set(p, from(d.winner)!)
    }
  }
  return { a, b, decisions }
}

const opts = (conflict: ConflictPolicy): BisyncDecideOptions => ({ conflict, modifyWindowMs: 0 })

describe('decideBisync (property: the invariants of a two-way run)', () => {
  it('leaves both sides equal, and a second run finds nothing to do', () => {
    fc.assert(
      fc.property(scenario, policy, (states, conflict) => {
        const w = worldOf(states)
        const out = run(w, opts(conflict))
        expect([...out.a.entries()].sort()).toEqual([...out.b.entries()].sort())
        // The run records every path it leaves in sync; the next run decides from those records.
        const records = new Map([...out.a].map(([p, v]) => [p, record(v, T0 + 20_000)]))
        const again = run({ a: out.a, b: out.b, records }, opts(conflict))
        expect([...again.decisions.values()].every((k) => k === 'in-sync')).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('with --checksum too (same size, same bytes here): both sides equal, a second run finds nothing, no conflict of equal bytes', () => {
    fc.assert(
      fc.property(scenario, policy, (states, conflict) => {
        const w = worldOf(states)
        const out = run(w, opts(conflict), true)
        expect([...out.a.entries()].sort()).toEqual([...out.b.entries()].sort())
        for (const [p, kind] of out.decisions) {
          const [va, vb] = [w.a.get(p), w.b.get(p)]
          if (va && vb && va.size === vb.size) expect(kind, p).not.toBe('conflict')
        }
        const records = new Map([...out.a].map(([p, v]) => [p, record(v, T0 + 20_000)]))
        const again = run({ a: out.a, b: out.b, records }, opts(conflict), true)
        expect([...again.decisions.values()].every((k) => k === 'in-sync')).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('never loses a version with keep-both: only the version both sides had at the last run may go', () => {
    fc.assert(
      fc.property(scenario, (states) => {
        const w = worldOf(states)
        const out = run(w, opts('keep-both'))
        const after = new Set([...out.a.values(), ...out.b.values()].map(key))
        PATHS.forEach((p, i) => {
          const s = states[i]!
          const old = 'synced' in s ? key(s.synced) : undefined
          for (const v of [w.a.get(p), w.b.get(p)]) {
            if (v !== undefined && key(v) !== old) expect(after.has(key(v)), `${p} ${key(v)}`).toBe(true)
          }
        })
      }),
      { numRuns: 500 },
    )
  })

  it('is a one-way mirror of A when B did not change since the last run', () => {
    fc.assert(
      fc.property(
        fc.tuple(...PATHS.map(() => fc.record({ synced: fc.option(version, { nil: undefined }), a: change }))),
        policy,
        (states, conflict) => {
          const a: Side = new Map()
          const b: Side = new Map()
          const records = new Map<string, StateRecord>()
          PATHS.forEach((p, i) => {
            const { synced, a: c } = states[i]!
            if (synced === undefined) return
            records.set(p, record(synced, T0 + 10_000))
            b.set(p, synced)
            const va = applyChange(synced, c)
            if (va) a.set(p, va)
          })
          const out = run({ a, b, records }, opts(conflict))
          expect([...out.b.entries()].sort()).toEqual([...a.entries()].sort())
          expect([...out.decisions.values()].some((k) => k === 'conflict')).toBe(false)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('decideBisync (rows of the table)', () => {
  const v1 = { size: 3, mtimeMs: T0 }
  const v2 = { size: 4, mtimeMs: T0 + 5000 }
  const v3 = { size: 5, mtimeMs: T0 + 9000 }
  const p = 'd/f.txt' as RelPath
  const prior = record(v1, T0 + 1000)
  const decide = (
    a: Version | undefined,
    b: Version | undefined,
    rec?: StateRecord,
    conflict: ConflictPolicy = 'keep-both',
  ) => decideBisync({ path: p, a: a && file(p, a), b: b && file(p, b), prior: rec }, opts(conflict))

  it('carries a change or a delete from the side that made it', () => {
    expect(decide(v2, v1, prior)).toMatchObject({ kind: 'copy', from: 'a', reason: 'changed on A' })
    expect(decide(v1, v2, prior)).toMatchObject({ kind: 'copy', from: 'b', reason: 'changed on B' })
    expect(decide(undefined, v1, prior)).toMatchObject({ kind: 'delete', on: 'b', reason: 'deleted on A' })
    expect(decide(v1, undefined, prior)).toMatchObject({ kind: 'delete', on: 'a', reason: 'deleted on B' })
  })

  it('restores a version changed on one side and deleted on the other, whatever the policy', () => {
    for (const c of ['keep-both', 'newer', 'source-wins', 'target-wins'] as const) {
      expect(decide(v2, undefined, prior, c)).toMatchObject({ kind: 'copy', from: 'a' })
      expect(decide(undefined, v2, prior, c)).toMatchObject({ kind: 'copy', from: 'b' })
    }
  })

  it('deletes nothing without a record: a first run copies each side to the other', () => {
    expect(decide(v1, undefined)).toMatchObject({ kind: 'copy', from: 'a', reason: 'new on A' })
    expect(decide(undefined, v1)).toMatchObject({ kind: 'copy', from: 'b', reason: 'new on B' })
    expect(decide(v1, v1)).toMatchObject({ kind: 'in-sync', record: true })
    expect(decide(v1, v2)).toMatchObject({ kind: 'conflict', winner: 'b', keepLoser: true })
  })

  it('takes the same change on both sides as no conflict, and records it', () => {
    expect(decide(v2, v2, prior)).toEqual({ kind: 'in-sync', record: true, reason: 'changed alike on both sides' })
    expect(decide(undefined, undefined, prior)).toMatchObject({ kind: 'forget' })
  })

  it('resolves a conflict by the policy: keep-both keeps the newer under the name, the others overwrite', () => {
    expect(decide(v3, v2, prior)).toMatchObject({ kind: 'conflict', winner: 'a', keepLoser: true })
    expect(decide(v2, v3, prior)).toMatchObject({ kind: 'conflict', winner: 'b', keepLoser: true })
    expect(decide(v2, v3, prior, 'newer')).toMatchObject({ kind: 'conflict', winner: 'b', keepLoser: false })
    expect(decide(v3, v2, prior, 'target-wins')).toMatchObject({ kind: 'conflict', winner: 'b', keepLoser: false })
    expect(decide(v2, v3, prior, 'source-wins')).toMatchObject({ kind: 'conflict', winner: 'a', keepLoser: false })
  })

  it('compares by content where the caller knows it, and within the modify window otherwise', () => {
    const near = { size: 4, mtimeMs: v2.mtimeMs + 1500 }
    const d = (o: Partial<BisyncDecideOptions>) =>
      decideBisync({ path: p, a: file(p, v2), b: file(p, near), prior }, { ...opts('keep-both'), ...o })
    expect(d({}).kind).toBe('conflict')
    expect(d({ modifyWindowMs: 2000 }).kind).toBe('in-sync')
    expect(d({ sizeOnly: true }).kind).toBe('in-sync')
    expect(d({ sameContent: false, sizeOnly: true }).kind).toBe('conflict')
  })

  it('with the same content (--checksum) carries only the mtime, by a touch, or records the pair', () => {
    const touched = { size: v1.size, mtimeMs: T0 + 7000 }
    const d = (a: Version, b: Version, rec?: StateRecord, same = true) =>
      decideBisync({ path: p, a: file(p, a), b: file(p, b), prior: rec }, { ...opts('keep-both'), sameContent: same })
    expect(d(touched, v1, prior)).toMatchObject({ kind: 'copy', from: 'a', touch: true })
    expect(d(v1, touched, prior)).toMatchObject({ kind: 'copy', from: 'b', touch: true })
    expect(d(touched, v1, prior, false)).toMatchObject({ kind: 'copy', from: 'a' })
    expect(d(touched, v1, prior, false)).not.toHaveProperty('touch')
    // Changed alike on both sides, or never synced: the newer mtime goes to both, no conflict.
    const later = { size: v2.size, mtimeMs: v2.mtimeMs + 3000 }
    expect(d(v2, later, prior)).toMatchObject({ kind: 'copy', from: 'b', touch: true })
    expect(d(later, v2)).toMatchObject({ kind: 'copy', from: 'a', touch: true })
    expect(d(v2, v2, prior)).toMatchObject({ kind: 'in-sync', record: true })
    expect(d(v2, later, prior, false)).toMatchObject({ kind: 'conflict' })
  })

  it('takes a version written after the record on a side that lists write times as changed (S3)', () => {
    // The same bytes uploaded again by another tool: the same ETag, a later write time.
    const uploaded: Entry = { ...file(p, v1), mtimeMs: T0 + 2000, version: 'etag-1' }
    const rec: StateRecord = {
      source: { ...v1 },
      target: { size: uploaded.size, mtimeMs: uploaded.mtimeMs, version: 'etag-1' },
      syncedAt: T0 + 2100,
    }
    const again: Entry = { ...uploaded, mtimeMs: T0 + 9000 }
    const d = (b: Entry, writeTimes: boolean) =>
      decideBisync({ path: p, a: file(p, v1), b, prior: rec }, { ...opts('keep-both'), writeTimes: { b: writeTimes } })
    expect(d(uploaded, true)).toMatchObject({ kind: 'in-sync' })
    expect(d(again, false)).toMatchObject({ kind: 'in-sync' })
    expect(d(again, true)).toMatchObject({ kind: 'copy', from: 'b' })
  })

  it('keeps a directory under its name against a file, and the file as a conflict copy', () => {
    const dir: Entry = { path: p, kind: 'dir', size: 0, mtimeMs: T0 }
    for (const c of ['keep-both', 'newer', 'source-wins', 'target-wins'] as const) {
      const d = decideBisync({ path: p, a: file(p, v3), b: dir }, opts(c))
      expect(d).toMatchObject({ kind: 'conflict', winner: 'b', keepLoser: true })
    }
    const dirRecord: StateRecord = {
      source: { size: 0, mtimeMs: T0, kind: 'dir' },
      target: { size: 0, mtimeMs: T0, kind: 'dir' },
      syncedAt: T0,
    }
    // A directory's own mtime moves with its contents: not a change of the directory.
    expect(
      decideBisync({ path: p, a: { ...dir, mtimeMs: T0 + 9000 }, b: dir, prior: dirRecord }, opts('newer')),
    ).toMatchObject({
      kind: 'in-sync',
      record: false,
    })
    expect(decideBisync({ path: p, a: dir, prior: dirRecord }, opts('newer'))).toMatchObject({
      kind: 'delete',
      on: 'a',
    })
  })
})

describe('conflictName', () => {
  it('puts the marker before the last extension, in UTC, with the losing side', () => {
    expect(conflictName('d/report.pdf' as RelPath, AT, 'b')).toBe('d/report.sync-conflict-20261206-231504-B.pdf')
    expect(conflictName('a.tar.gz' as RelPath, AT, 'a')).toBe('a.tar.sync-conflict-20261206-231504-A.gz')
    expect(conflictName('x/.bashrc' as RelPath, AT, 'a')).toBe('x/.bashrc.sync-conflict-20261206-231504-A')
    expect(conflictName('Makefile' as RelPath, AT, 'b')).toBe('Makefile.sync-conflict-20261206-231504-B')
  })

  it('is read back by conflictOrigin (the path and side), which takes no other name', () => {
    for (const p of ['d/report.pdf', 'a.tar.gz', 'x/.bashrc', 'Makefile']) {
      for (const side of ['a', 'b'] as const) {
        expect(conflictOrigin(conflictName(p as RelPath, AT, side))).toEqual({ path: p, side })
      }
    }
    expect(conflictOrigin('d/report.pdf' as RelPath)).toBeUndefined()
    expect(conflictOrigin('d/.sync-conflict-20261206-231504-A' as RelPath)).toBeUndefined()
  })
})
