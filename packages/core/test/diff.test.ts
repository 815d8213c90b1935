import fc from 'fast-check'
import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { compareEntries, type Entry, type RelPath } from '../src/index.js'
import { diff, type EntryPair } from '../src/operators/diff.js'
import { Backlog } from '../src/util/backlog.js'

const file = (path: string, size = 1): Entry => ({ path: path as RelPath, kind: 'file', size, mtimeMs: 0 })
const dir = (path: string): Entry => ({ path: path as RelPath, kind: 'dir', size: 0, mtimeMs: 0 })

async function* iter(entries: Entry[]): AsyncGenerator<Entry> {
  for (const e of entries) yield e
}
const sorted = (es: Entry[]): Entry[] => [...es].sort(compareEntries)
const run = (a: Entry[], b: Entry[], backlog?: Backlog): Promise<EntryPair[]> =>
  firstValueFrom(diff(iter(sorted(a)), iter(sorted(b)), backlog ? { backlog } : {}).pipe(toArray()))

describe('diff (merge-join)', () => {
  it('emits nothing for two empty listings', async () => {
    expect(await run([], [])).toEqual([])
  })

  it('pairs equal paths and keeps one-sided ones, in listing order', async () => {
    const pairs = await run([file('a'), dir('d'), file('d/x'), file('z')], [file('a'), file('b'), file('d/x')])
    expect(pairs.map((p) => [p.path, !!p.source, !!p.target])).toEqual([
      ['a', true, true],
      ['b', false, true],
      ['d', true, false],
      ['d/x', true, true],
      ['z', true, false],
    ])
  })

  it('skips what admitSource / admitTarget refuse, each side seen in order, without losing the join', async () => {
    const seen: string[] = []
    const admit = (side: string) => (e: Entry) => {
      seen.push(`${side}:${e.path}`)
      return !e.path.startsWith('skip')
    }
    const pairs = await firstValueFrom(
      diff(iter(sorted([file('a'), file('skip1'), file('x')])), iter(sorted([file('a'), file('skip2'), file('x')])), {
        admitSource: admit('s'),
        admitTarget: admit('t'),
      }).pipe(toArray()),
    )
    expect(pairs.map((p) => [p.path, !!p.source, !!p.target])).toEqual([
      ['a', true, true],
      ['x', true, true],
    ])
    expect(seen.filter((x) => x.startsWith('s:'))).toEqual(['s:a', 's:skip1', 's:x'])
    expect(seen.filter((x) => x.startsWith('t:'))).toEqual(['t:a', 't:skip2', 't:x'])
  })

  it('orders "a b" < "a.txt" < dir "a" < "a/b" (UTF-8 with a trailing / for directories)', async () => {
    const pairs = await run([dir('a'), file('a/b'), file('a b'), file('a.txt')], [])
    expect(pairs.map((p) => p.path)).toEqual(['a b', 'a.txt', 'a', 'a/b'])
  })

  it('pairs every path exactly once for random trees (property)', async () => {
    const name = fc.stringMatching(/^[a-c\u00e9\u{1F600} .]{1,3}$/u).filter((s) => s !== '.' && s !== '..')
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(name, { maxLength: 30 }),
        fc.uniqueArray(name, { maxLength: 30 }),
        async (a, b) => {
          const pairs = await run(
            a.map((n) => file(n)),
            b.map((n) => file(n)),
          )
          const all = [...new Set([...a, ...b])]
          expect(pairs.map((p) => p.path).sort()).toEqual(all.sort())
          for (const p of pairs) {
            expect(!!p.source).toBe(a.includes(p.path))
            expect(!!p.target).toBe(b.includes(p.path))
          }
          for (let i = 1; i < pairs.length; i++) {
            expect(
              compareEntries(pairs[i - 1]!.source ?? pairs[i - 1]!.target!, pairs[i]!.source ?? pairs[i]!.target!),
            ).toBeLessThan(0)
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('waits for backlog room before emitting, so memory stays bounded', async () => {
    const backlog = new Backlog(3)
    const seen: string[] = []
    const sub = diff(iter([file('a'), file('b'), file('c'), file('d'), file('e')]), iter([]), { backlog }).subscribe(
      (p) => seen.push(p.path),
    )
    await expect.poll(() => seen.length).toBe(3)
    expect(backlog.outstanding).toBe(3)
    backlog.release(2)
    await expect.poll(() => seen.length).toBe(5)
    sub.unsubscribe()
  })

  it('propagates a listing error as an Observable error', async () => {
    async function* broken(): AsyncGenerator<Entry> {
      yield file('a')
      throw new Error('disk on fire')
    }
    await expect(firstValueFrom(diff(broken(), iter([])).pipe(toArray()))).rejects.toThrow(/disk on fire/)
  })

  it('closes both listings when unsubscribed early', async () => {
    let closed = 0
    async function* endless(): AsyncGenerator<Entry> {
      try {
        for (let i = 0; ; i++) {
          // A real listing waits on I/O; yield to the event loop like one.
          if (i % 100 === 0) await new Promise((r) => setImmediate(r))
          yield file(`f${String(i).padStart(6, '0')}`)
        }
      } finally {
        closed++
      }
    }
    const got: string[] = []
    const sub = diff(endless(), endless()).subscribe((p) => got.push(p.path))
    await expect.poll(() => got.length).toBeGreaterThan(10)
    sub.unsubscribe()
    await expect.poll(() => closed).toBe(2)
  })
})
