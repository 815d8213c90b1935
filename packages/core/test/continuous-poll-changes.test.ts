import { Readable } from 'node:stream'
import { of } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { pollChanges } from '../src/continuous/poll-changes.js'
import { createMemBackend, type Entry, type RelPath, SyncError } from '../src/index.js'

const file = (path: string, size: number, mtimeMs = 0): Entry => ({
  path: path as RelPath,
  kind: 'file',
  size,
  mtimeMs,
})
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b))

describe('pollChanges', () => {
  it('compares each listing with the previous one (the first is the baseline)', () => {
    const ts = newScheduler()
    const listings: Entry[][] = [
      [file('a', 1), file('b', 1)],
      [file('a', 2), file('b', 1), file('c', 1)],
      [file('c', 1)],
    ]
    ts.run(({ expectObservable }) => {
      let i = 0
      const list = () => of(...(listings[Math.min(i++, listings.length - 1)] ?? []))
      expectObservable(pollChanges(list, { intervalMs: 100, scheduler: ts }), '^ 250ms !').toBe(
        '100ms (ac) 96ms (xy)',
        {
          a: { type: 'upsert', path: 'a' },
          c: { type: 'upsert', path: 'c' },
          x: { type: 'remove', path: 'a' },
          y: { type: 'remove', path: 'b' },
        },
      )
    })
    expect(ts.actions.length).toBe(0)
  })

  // QA 16 F4: from an S3 source, a prefix emptied while watching stayed in the mirror until the next rescan.
  it('finds a directory gone when a listing without directories lists nothing below it any more', () => {
    const ts = newScheduler()
    const listings: Entry[][] = [
      [file('a/b/2', 1), file('a/k', 1), file('x/y/z', 1)],
      [file('a/k', 1), file('x/y/z', 1)],
      [file('a/k', 1)],
    ]
    ts.run(({ expectObservable }) => {
      let i = 0
      const list = () => of(...(listings[Math.min(i++, listings.length - 1)] ?? []))
      expectObservable(pollChanges(list, { intervalMs: 100, scheduler: ts, impliedDirs: true }), '^ 250ms !').toBe(
        '100ms (rb) 96ms (zxy)',
        {
          r: { type: 'remove', path: 'a/b/2' },
          b: { type: 'remove', path: 'a/b' },
          z: { type: 'remove', path: 'x/y/z' },
          y: { type: 'remove', path: 'x' },
          x: { type: 'remove', path: 'x/y' },
        },
      )
    })
  })

  it('reads nothing as removed from a listing that could not read some paths, until one without errors', () => {
    const ts = newScheduler()
    const locked = new SyncError('PERMISSION', 'EACCES', { op: 'local.list', path: 'locked' })
    const listings: { entries: Entry[]; errors: SyncError[] }[] = [
      { entries: [file('a', 1), file('b', 1), file('locked/x', 1)], errors: [] },
      // b removed meanwhile, and locked/ unreadable: nothing is read as gone, what is listed still counts.
      { entries: [file('a', 2)], errors: [locked] },
      { entries: [file('a', 2), file('c', 1)], errors: [locked] },
      { entries: [file('a', 2), file('c', 1), file('locked/x', 1)], errors: [] },
    ]
    const told: string[][] = []
    ts.run(({ expectObservable }) => {
      let i = 0
      const list = (onError: (e: SyncError) => void) => {
        const l = listings[Math.min(i++, listings.length - 1)]
        for (const e of l?.errors ?? []) onError(e)
        return of(...(l?.entries ?? []))
      }
      const polled = pollChanges(list, {
        intervalMs: 100,
        scheduler: ts,
        onListed: (errors) => told.push(errors.map((e) => e.path ?? '')),
      })
      expectObservable(polled, '^ 350ms !').toBe('100ms a 99ms c 99ms x', {
        a: { type: 'upsert', path: 'a' },
        c: { type: 'upsert', path: 'c' },
        x: { type: 'remove', path: 'b' },
      })
    })
    expect(told).toEqual([[], ['locked'], ['locked'], []])
  })

  it('a name skipped for an unsafe character does not keep removes from being read', () => {
    const ts = newScheduler()
    const odd = new SyncError('INVALID_PATH', 'unsafe name skipped', { op: 'local.list', path: 'tab\there' })
    const listings: { entries: Entry[]; errors: SyncError[] }[] = [
      { entries: [file('a', 1), file('b', 1)], errors: [odd] },
      { entries: [file('a', 1)], errors: [odd] },
    ]
    ts.run(({ expectObservable }) => {
      let i = 0
      const list = (onError: (e: SyncError) => void) => {
        const l = listings[Math.min(i++, listings.length - 1)]
        for (const e of l?.errors ?? []) onError(e)
        return of(...(l?.entries ?? []))
      }
      expectObservable(pollChanges(list, { intervalMs: 100, scheduler: ts }), '^ 150ms !').toBe('100ms x', {
        x: { type: 'remove', path: 'b' },
      })
    })
  })

  it('propagates a listing error', () => {
    const ts = newScheduler()
    ts.run(({ expectObservable }) => {
      const list = () => {
        throw new Error('boom')
      }
      expectObservable(pollChanges(list, { scheduler: ts })).toBe('#', undefined, new Error('boom'))
    })
  })

  it('finds changes in a real backend', async () => {
    const mem = createMemBackend()
    await mem.write('x' as RelPath, Readable.from([Buffer.from('1')]), { mtimeMs: 1000 })
    const seen: string[] = []
    let ready = false
    const sub = pollChanges(() => mem.list(), { intervalMs: 5, onReady: () => (ready = true) }).subscribe((c) =>
      seen.push(`${c.type} ${c.path}`),
    )
    try {
      // The baseline listing taken (a change made before it would be part of it).
      await expect.poll(() => ready).toBe(true)
      await mem.write('y' as RelPath, Readable.from([Buffer.from('2')]), { mtimeMs: 1000 })
      await mem.remove('x' as RelPath)
      await expect.poll(() => seen.sort()).toEqual(['remove x', 'upsert y'])
    } finally {
      sub.unsubscribe()
    }
  })
})
