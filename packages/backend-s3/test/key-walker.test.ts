import { compareEntries, compareUtf8, type Entry, isRelPath, type RelPath, SyncError } from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyWalker } from '../src/key-walker.js'

/** Walks `keys` (sorted here); keys ending in `/` are zero-byte markers unless in `nonEmpty`. */
function walk(prefix: string, keys: string[], prune?: (dir: RelPath) => boolean, nonEmpty: string[] = []) {
  const walker = new KeyWalker(prefix, prune)
  const entries: Entry[] = []
  const errors: SyncError[] = []
  for (const key of [...keys].sort(compareUtf8)) {
    const out = walker.next({
      key,
      size: key.endsWith('/') && !nonEmpty.includes(key) ? 0 : 1,
      lastModifiedMs: 1000,
      etag: 'e',
    })
    if (out instanceof SyncError) errors.push(out)
    else if (out) entries.push(out)
  }
  return { entries, errors, walker }
}

const show = (e: Entry) => (e.kind === 'dir' ? `${e.path}/` : e.path)

describe('KeyWalker', () => {
  it('lists files and directory markers below the prefix, in order', () => {
    const { entries, errors } = walk('app/', ['app/', 'app/a', 'app/d/', 'app/d/x', 'app/é', 'app/😀'])
    expect(entries.map(show)).toEqual(['a', 'd/', 'd/x', 'é', '😀'])
    expect(errors).toEqual([])
    expect(entries[0]).toMatchObject({ kind: 'file', size: 1, mtimeMs: 1000, version: 'e' })
  })

  // Review finding: a run killed during a conditional-delete probe leaves its scratch object; it
  // is never listed (a restore would have copied it), whatever lies around it.
  it('never lists a probe scratch object at the root of the prefix', () => {
    const probe = `app/.syncflow-probe-${'ab'.repeat(12)}`
    const { entries, errors } = walk('app/', ['app/a', probe, 'app/d/.syncflow-probe-x', 'app/z'])
    expect(entries.map(show)).toEqual(['a', 'd/.syncflow-probe-x', 'z'])
    expect(errors).toEqual([])
  })

  it('reports unsafe keys as INVALID_PATH and skips them', () => {
    const keys = [
      'p/a//b',
      'p//lead',
      'p/../x',
      'p/./y',
      'p/x/../z',
      'p/c\u0001d',
      'p/tab\there',
      'p/back\\slash',
      'p/ok',
    ]
    const { entries, errors } = walk('p/', keys)
    // A backslash is an ordinary character of a name (not a separator): listed.
    expect(entries.map(show)).toEqual(['back\\slash', 'ok'])
    expect(errors).toHaveLength(keys.length - 2)
    for (const e of errors) expect(e.code).toBe('INVALID_PATH')
  })

  it("an unsafe key's hint says what the --exclude that silences it also leaves out (QA 17 #1)", () => {
    const walker = new KeyWalker('p/', undefined)
    const hint = (key: string) => {
      const e = walker.next({ key, size: 1, lastModifiedMs: 1000, etag: 'e' })
      return e instanceof SyncError ? e.hint : undefined
    }
    // A filter sees `a//b.txt` as `a/b.txt`: no pattern matches the key alone, so none is advised.
    expect(hint('p/a//b.txt')).toBe(
      "Such a key cannot be a file name: rename the object to sync it. (--exclude '/a/b.txt' would leave it out without a word, but also any key a/b.txt and what is below it.)",
    )
    expect(hint('p/b/./it*s.txt')).toContain("--exclude '/b/it\\*s.txt' would leave it out")
    // No path a person could write for it: no pattern offered.
    expect(hint('p/c/../x')).not.toContain('--exclude')
  })

  it('skips an unsafe key the filters exclude without reporting it', () => {
    const walker = new KeyWalker('p/', undefined, (name) => name === 'a//b')
    const next = (key: string) => walker.next({ key, size: 1, lastModifiedMs: 1000, etag: 'e' })
    expect(next('p/a//b')).toBeUndefined()
    expect(next('p/a//c')).toBeInstanceOf(SyncError) // not excluded: still reported
  })

  it('lists a key ending in "/" that has content as its directory, with a notice (QA 17 #1)', () => {
    const notices: { code: string; path?: string }[] = []
    const walker = new KeyWalker('p/', undefined, undefined, false, (n) => notices.push(n))
    const listed = ['p/docs/', 'p/docs/a.txt'].map((key) =>
      walker.next({ key, size: 3, lastModifiedMs: 1000, etag: 'e' }),
    )
    expect(listed).toEqual([
      { path: 'docs', kind: 'dir', size: 0, mtimeMs: 1000 },
      expect.objectContaining({ path: 'docs/a.txt', kind: 'file' }),
    ])
    expect(notices).toEqual([expect.objectContaining({ code: 'MARKER_WITH_CONTENT', path: 'docs' })])
  })

  it('a key below a file that is also a prefix, excluded by the filters, is no clash; the next one not excluded is (QA 17 #2)', () => {
    const walker = new KeyWalker('', undefined, (name) => name === 'x/y')
    const next = (key: string) => walker.next({ key, size: 1, lastModifiedMs: 1000, etag: 'e' })
    expect(next('x')).toMatchObject({ path: 'x', kind: 'file' })
    expect(next('x/y')).toBeUndefined()
    const clash = next('x/z')
    expect(clash).toBeInstanceOf(SyncError)
    expect(clash).toMatchObject({ code: 'CONFLICT', path: 'x' })
    expect(next('x/zz')).toBeUndefined() // the rest below x/ skipped
    expect(next('xa')).toMatchObject({ path: 'xa' })
  })

  it('reports a key that is both a file and a prefix once, lists the file, skips the keys below', () => {
    const { entries, errors } = walk('', ['x', 'x-old', 'x.txt', 'x/', 'x/y', 'x/z/w', 'xa', 'y'])
    expect(entries.map(show)).toEqual(['x', 'x-old', 'x.txt', 'xa', 'y'])
    expect(errors.map((e) => [e.code, e.path])).toEqual([['CONFLICT', 'x']])
  })

  it('skips the keys below a file that is also a prefix without a word when the filters exclude it', () => {
    const walker = new KeyWalker('', undefined, (name) => name === 'x')
    const listed = ['x', 'x/', 'x/y', 'x/z/w', 'xa'].map((key) =>
      walker.next({ key, size: key.endsWith('/') ? 0 : 1, lastModifiedMs: 1000, etag: 'e' }),
    )
    expect(listed.filter((e) => e instanceof SyncError)).toEqual([])
    expect(listed.flatMap((e) => (e && !(e instanceof SyncError) ? [e.path] : []))).toEqual(['x', 'xa'])
  })

  it('lists the keys below a file that is also a prefix as they are for the target of a run that writes', () => {
    const walker = new KeyWalker('', undefined, undefined, true)
    const listed = ['x', 'x/y', 'x/z/w', 'xa'].map((key) =>
      walker.next({ key, size: 1, lastModifiedMs: 1000, etag: 'e' }),
    )
    expect(listed.map((e) => (e instanceof SyncError ? e.code : e?.path))).toEqual(['x', 'x/y', 'x/z/w', 'xa'])
  })

  it('asks prune once per directory, keeps the pruned marker, skips what is below, and knows where to jump', () => {
    const asked: string[] = []
    const { entries, walker } = walk('', ['a/1', 'a/2', 'n/', 'n/m/1', 'n/m/2', 'n/z'], (d) => {
      asked.push(d)
      return d === 'n'
    })
    expect(entries.map(show)).toEqual(['a/1', 'a/2', 'n/'])
    expect(asked).toEqual(['a', 'n'])
    const jump = walker.jumpKey()!
    expect(compareUtf8(jump, 'n/m/2')).toBeGreaterThan(0)
    expect(compareUtf8(jump, 'n0')).toBeLessThan(0)
  })

  it('lists a pruned directory without a marker as a directory (from its first key), nothing below it', () => {
    // The engine must see it excluded (kept): a new file of its name is not written beside its keys.
    const { entries } = walk('', ['a/1', 'n/m/1', 'n/z', 'o'], (d) => d === 'n')
    expect(entries.map(show)).toEqual(['a/1', 'n/', 'o'])
    expect(walk('', ['n/m/', 'n/m/1'], (d) => d === 'n').entries.map(show)).toEqual(['n/'])
  })

  it('yields valid paths in strictly increasing listing order for any set of keys', () => {
    const segment = fc
      .array(fc.constantFrom('a', '.', '-', '/', '\u0001', 'é'), { maxLength: 3 })
      .map((chars) => chars.join(''))
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `r/${s.join('/')}`)),
        (keys) => {
          const { entries, errors } = walk('r/', keys)
          for (const e of entries) expect(isRelPath(e.path)).toBe(true)
          for (let i = 1; i < entries.length; i++) expect(compareEntries(entries[i - 1]!, entries[i]!)).toBeLessThan(0)
          // Every key is accounted for: listed, reported, the root marker, or below a reported clash.
          const clashes = errors.filter((e) => e.code === 'CONFLICT').map((e) => `r/${e.path}/`)
          for (const key of keys) {
            const rel = key.slice(2)
            const listed = entries.some((e) => show(e) === rel)
            const reported = errors.some((e) => e.path === rel)
            const underClash = clashes.some((c) => key.startsWith(c))
            expect(listed || reported || underClash || rel === '').toBe(true)
          }
        },
      ),
    )
  })
})
