import { Readable } from 'node:stream'
import { of } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { pollChanges } from '../src/continuous/poll-changes.js'
import { createMemBackend, type Entry, type RelPath } from '../src/index.js'

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
    const sub = pollChanges(() => mem.list(), { intervalMs: 5 }).subscribe((c) => seen.push(`${c.type} ${c.path}`))
    try {
      // wait until the baseline listing has been taken (a change made before it would be part of it)
      await new Promise((r) => setTimeout(r, 20))
      await mem.write('y' as RelPath, Readable.from([Buffer.from('2')]), { mtimeMs: 1000 })
      await mem.remove('x' as RelPath)
      await expect.poll(() => seen.sort()).toEqual(['remove x', 'upsert y'])
    } finally {
      sub.unsubscribe()
    }
  })
})
