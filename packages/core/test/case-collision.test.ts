import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { type SyncEvent, sync } from '../src/index.js'
import { readText, writeText } from '../src/testkit/index.js'

// DESIGN: names are kept byte-exact; case collisions are reported, never merged silently. A source
// holding Dir/ and dir/ mirrored into a target that does not tell them apart (exFAT, FAT, a
// casefolded directory) had both written into one directory, exit 0 (QA 30i #5).

async function seed(b: MemBackend, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) await writeText(b, path, text)
}
const run = (src: MemBackend, dst: MemBackend): Promise<SyncEvent[]> =>
  firstValueFrom(sync(src, dst, { mode: 'mirror' }).pipe(toArray()))
/** Failures, each message without its `CODE: op (path): ` head. */
const failures = (events: SyncEvent[]) =>
  events.flatMap((e) =>
    e.type === 'failed'
      ? [{ path: e.path, code: e.error.code, message: e.error.message.replace(/^CONFLICT: list \([^)]*\): /, '') }]
      : [],
  )
const written = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'completed' && e.action.kind !== 'mkdir' ? [e.action.path] : [])).sort()

describe('a source whose names differ only by case, into a case-insensitive target', () => {
  it('reports the later twin, leaves it out with all below it, and deletes nothing', async () => {
    const src = createMemBackend()
    const dst = createMemBackend({ capabilities: { caseSensitive: false } })
    await seed(src, { 'Dir/a': 'a', 'dir/b': 'b', 'dir/sub/c': 'c', README: 'R', Readme: 'r', 'x/y': 'y' })
    await seed(dst, { stale: 's' })
    const events = await run(src, dst)
    expect(failures(events)).toEqual([
      {
        path: 'Readme',
        code: 'CONFLICT',
        message:
          '"Readme" and "README" are one name on the target: its file system does not tell names apart by case; "Readme" left out',
      },
      {
        path: 'dir',
        code: 'CONFLICT',
        message:
          '"dir" and "Dir" are one name on the target: its file system does not tell names apart by case; "dir" left out',
      },
    ])
    expect(written(events)).toEqual(['Dir/a', 'README', 'x/y'])
    // A listing problem: the mirror deletes nothing.
    expect(await readText(dst, 'stale')).toBe('s')
  })

  it('finds twins among directories a listing only implies (an object store without markers)', async () => {
    const src = createMemBackend({ capabilities: { emptyDirs: false } })
    const dst = createMemBackend({ capabilities: { caseSensitive: false } })
    await seed(src, { 'A/x/1': '1', 'a/x/2': '2', 'q/A/3': '3', 'q/a/4': '4' })
    const events = await run(src, dst)
    expect(failures(events).map((f) => [f.path, f.message.split(':')[0]])).toEqual([
      ['a', '"a" and "A" are one name on the target'],
      ['q/a', '"q/a" and "q/A" are one name on the target'],
    ])
    expect(written(events)).toEqual(['A/x/1', 'q/A/3'])
  })

  it('keeps names apart that only look alike, and everything on a case-sensitive target', async () => {
    const src = createMemBackend()
    await seed(src, { 'a/b': '1', 'a/B/c': '2', ab: '3', 'b/a': '4', 'b/A0': '5' })
    // On the insensitive target, a/b and a/B are twins; the rest are not (same names in other directories).
    const events = await run(src, createMemBackend({ capabilities: { caseSensitive: false } }))
    expect(failures(events).map((f) => f.path)).toEqual(['a/b'])
    expect(written(events)).toEqual(['a/B/c', 'ab', 'b/A0', 'b/a'])
    const sensitive = await run(src, createMemBackend())
    expect(failures(sensitive)).toEqual([])
    expect(written(sensitive)).toEqual(['a/B/c', 'a/b', 'ab', 'b/A0', 'b/a'])
  })

  // toLowerCase lowers a capital sigma by its place in the word: ΟΔΟΣ.d gave οδοσ.d, οδος.d kept its
  // final ς, so the two were no twins here, and exFAT (whose upcase table takes ς, σ, Σ for one)
  // merged them into one directory, exit 0.
  it('takes a Greek final sigma for the sigma it is on the target', async () => {
    const src = createMemBackend()
    await seed(src, { 'ΟΔΟΣ.d/a': 'a', 'οδος.d/b': 'b', 'ΣΟΦΙΑ.txt': '1', 'σοφια.txt': '2', 'Ελλας.txt': '3' })
    const events = await run(src, createMemBackend({ capabilities: { caseSensitive: false } }))
    expect(failures(events).map((f) => f.path)).toEqual(['οδος.d', 'σοφια.txt'])
    expect(written(events)).toEqual(['Ελλας.txt', 'ΟΔΟΣ.d/a', 'ΣΟΦΙΑ.txt'])
  })
})
