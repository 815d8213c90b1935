import { Subject } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { holdForNewNames, type ObservedChange } from '../src/continuous/index.js'
import type { Entry, RelPath } from '../src/index.js'

const file = (path: string): Entry => ({ path: path as RelPath, kind: 'file', size: 1, mtimeMs: 0 })
const gone = (path: string): ObservedChange => ({ path: path as RelPath, entry: undefined, removed: true })
const there = (path: string, extra: Partial<ObservedChange> = {}): ObservedChange => ({
  path: path as RelPath,
  entry: file(path),
  ...extra,
})

/** The operator over a subject, with what it let out so far and whether it completed. */
function run(names: Record<string, string[]>) {
  const in$ = new Subject<ObservedChange>()
  const out: ObservedChange[] = []
  let completed = false
  const sub = in$
    .pipe(holdForNewNames({ newNamesOf: (p) => (names[p] ?? []) as RelPath[] }))
    .subscribe({ next: (c) => out.push(c), complete: () => (completed = true) })
  return { in$, out, sub, completed: () => completed }
}

describe('holdForNewNames', () => {
  it('passes removals without a new name, and everything else, at once', () => {
    const { in$, out } = run({})
    in$.next(gone('a'))
    in$.next(there('b'))
    expect(out).toEqual([gone('a'), there('b')])
  })

  it('holds a removal until its new name comes, then lets it out just before it, marked', () => {
    const { in$, out } = run({ 'app.log': ['app-1.log'] })
    in$.next(gone('app.log'))
    in$.next(there('other'))
    expect(out).toEqual([there('other')])
    in$.next(there('app-1.log', { busy: true }))
    expect(out).toEqual([
      there('other'),
      { ...gone('app.log'), heldFor: 'app-1.log' },
      there('app-1.log', { busy: true }),
    ])
  })

  it('lets a removal waiting for two names out once, with the first of them (gone too)', () => {
    const { in$, out } = run({ old: ['n1', 'n2'] })
    in$.next(gone('old'))
    in$.next(gone('n2'))
    in$.next(there('n1'))
    expect(out).toEqual([{ ...gone('old'), heldFor: 'n2' }, gone('n2'), there('n1')])
  })

  it('marks the same removal found again with the name it went with, until the path is made again', () => {
    const { in$, out } = run({ 'app.log': ['app-1.log'] })
    in$.next(gone('app.log'))
    in$.next(there('app-1.log'))
    in$.next(gone('app.log'))
    in$.next(there('app.log'))
    in$.next(gone('app.log'))
    expect(out.map((c) => [c.path, c.entry === undefined, c.heldFor])).toEqual([
      ['app.log', true, 'app-1.log'],
      ['app-1.log', false, undefined],
      ['app.log', true, 'app-1.log'],
      ['app.log', false, undefined],
    ])
    // (The last removal waits for app-1.log again: newNamesOf still names it here.)
  })

  it('lets out what it holds when its input completes, and holds nothing after an unsubscribe', () => {
    const a = run({ old: ['new'] })
    a.in$.next(gone('old'))
    a.in$.complete()
    expect(a.out).toEqual([gone('old')])
    expect(a.completed()).toBe(true)

    const b = run({ old: ['new'] })
    b.in$.next(gone('old'))
    b.sub.unsubscribe()
    b.in$.next(there('new'))
    expect(b.out).toEqual([])
    expect(b.in$.observed).toBe(false)
  })
})
