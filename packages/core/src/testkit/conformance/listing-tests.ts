import { expect } from 'vitest'
import type { Backend } from '../../backend/backend.js'
import { isSyncError, type SyncError } from '../../errors/sync-error.js'
import { compareEntries, entrySortKey } from '../../model/entry.js'
import { settled, writeText } from '../backend-io.js'
import { ORDER_NAMES } from '../names.js'
import { asFresh, type SuiteContext } from '../suite-context.js'
import { listAll, listFiles, listKeys } from './ordered-listing.js'

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** `list`: order, completeness, prune, and unsafe names. */
export function listingTests(s: SuiteContext): void {
  s.group('list', () => {
    s.test('an empty backend lists nothing', async (b) => {
      expect(await listAll(b)).toEqual([])
    })

    s.test('lists every file once, in UTF-8 byte order of entrySortKey (not UTF-16 order)', async (b) => {
      // Written in reverse so a backend that returns insertion order fails.
      for (const name of [...ORDER_NAMES].reverse()) await writeText(b, name, name)
      const entries = await listAll(b)
      const keys = entries.map(entrySortKey)
      expect(keys).toEqual([...keys].sort(byUtf8))
      expect(new Set(keys).size).toBe(keys.length)
      expect(entries.filter((e) => e.kind === 'file').map((e) => e.path)).toEqual([...ORDER_NAMES].sort(byUtf8))
      const files = entries.filter((e) => e.kind === 'file').map((e) => e.path as string)
      // ' ' < '-' < '.' < '/' < '0': the file "a.txt" comes before the directory "a" and its contents.
      expect(files.indexOf('a b')).toBeLessThan(files.indexOf('a-'))
      expect(files.indexOf('a.txt')).toBeLessThan(files.indexOf('a/b'))
      expect(files.indexOf('a/b')).toBeLessThan(files.indexOf('a0'))
      // U+FF21 is one UTF-16 unit above the surrogates of U+1F600, but its UTF-8 bytes are lower.
      expect(files.indexOf('\uff21')).toBeLessThan(files.indexOf('\u{1f600}'))
      expect(files.indexOf('z/\uff21')).toBeLessThan(files.indexOf('z/\u{1f600}'))
      const dirA = keys.indexOf('a/')
      if (dirA >= 0) {
        expect(keys[dirA - 1]).toBe('a.txt')
        expect(keys[dirA + 1]).toBe('a/b')
      }
      for (let i = 1; i < entries.length; i++) expect(compareEntries(entries[i - 1]!, entries[i]!)).toBeLessThan(0)
    })

    s.test('lists sizes, and only valid RelPaths', async (b) => {
      await writeText(b, 'one.txt', '1')
      await writeText(b, 'dir/two.txt', '22')
      await writeText(b, 'dir/sub/three.txt', '333')
      const files = (await listAll(b)).filter((e) => e.kind === 'file')
      expect(files.map((e) => [e.path, e.size])).toEqual([
        ['dir/sub/three.txt', 3],
        ['dir/two.txt', 2],
        ['one.txt', 1],
      ])
    })

    s.test('prune skips the contents of a pruned directory', async (b) => {
      await writeText(b, 'keep/a.txt', 'a')
      await writeText(b, 'skip/b.txt', 'b')
      await writeText(b, 'skip/deeper/c.txt', 'c')
      await writeText(b, 'skipped-not.txt', 'd')
      const pruned: string[] = []
      const keys = await listKeys(b, {
        prune: (dir) => {
          pruned.push(dir)
          return dir === 'skip'
        },
      })
      // Pruning must never drop anything else.
      expect(keys).toContain('keep/a.txt')
      expect(keys).toContain('skipped-not.txt')
      // A backend that lists directories must honour prune; one that does not (a flat key space)
      // may treat it as a hint, since the engine filters the entries as well.
      if (b.capabilities.emptyDirs || pruned.length > 0) {
        expect(keys.filter((k) => k.startsWith('skip/') && k !== 'skip/')).toEqual([])
        expect(pruned).not.toContain('skip/deeper')
      }
    })

    s.test('a healthy listing never calls onError', async (b) => {
      await writeText(b, 'x/y.txt', 'y')
      const errors: SyncError[] = []
      await listAll(b, { onError: (e) => errors.push(e) })
      expect(errors).toEqual([])
    })

    s.test(
      'an unsafe stored name is reported with INVALID_PATH (onError, or thrown without it), never listed',
      async (b, t) => {
        if (!s.plantUnsafe)
          return t.skip('no plantUnsafe option: the suite cannot store an unsafe name in this backend')
        await writeText(b, 'good.txt', 'ok')
        await s.plantUnsafe(b, 'del\u007fchar')
        await s.plantUnsafe(b, 'ctl\u0001char')
        const errors: SyncError[] = []
        const files = await listFiles(b, { onError: (e) => errors.push(e) })
        expect(files).toEqual(['good.txt'])
        expect(errors.map((e) => e.code)).toEqual(['INVALID_PATH', 'INVALID_PATH'])
        const thrown = await listAll(b).then(
          () => undefined,
          (err: unknown) => err,
        )
        expect(isSyncError(thrown) && thrown.code).toBe('INVALID_PATH')
      },
    )

    s.test(
      'an unsafe stored name that opts.excluded excludes is skipped without an error',
      async (b, t) => {
        if (!s.plantUnsafe)
          return t.skip('no plantUnsafe option: the suite cannot store an unsafe name in this backend')
        await writeText(b, 'good.txt', 'ok')
        await s.plantUnsafe(b, 'del\u007fchar')
        await s.plantUnsafe(b, 'ctl\u0001char')
        // Reported, an excluded name would make every run incomplete and hold back every delete.
        const excludeDel = (name: string) => name === 'del\u007fchar'
        const errors: SyncError[] = []
        const files = await listFiles(b, { onError: (e) => errors.push(e), excluded: excludeDel })
        expect(files).toEqual(['good.txt'])
        const reported = errors.map((e) => (isSyncError(e) ? `${e.code} ${JSON.stringify(e.path)}` : String(e)))
        expect(
          reported,
          `opts.excluded excludes "del\\u007fchar", yet onError got ${reported.join(', ') || 'nothing'}: ask opts.excluded about an unsafe name before reporting it`,
        ).toEqual([`INVALID_PATH ${JSON.stringify('ctl\u0001char')}`])
        const both = (name: string) => name === 'del\u007fchar' || name === 'ctl\u0001char'
        const outcome = await settled(listFiles(b, { excluded: both }))
        expect(outcome, 'with every unsafe name excluded, a listing without onError must not throw').toEqual({
          value: ['good.txt'],
        })
      },
      { needs: ['excludedNames'] },
    )

    s.test(
      'an unreadable sub-tree is reported to onError (PERMISSION, naming it), never dropped; the rest is listed',
      async (b, t) => {
        if (!s.makeUnreadable)
          return t.skip('no makeUnreadable option: the suite cannot make a part of the tree unreadable')
        await writeUnreadableTree(b)
        await s.makeUnreadable(b, 'locked')
        const errors: SyncError[] = []
        const files = await listFiles(b, { onError: (e) => errors.push(e) })
        // A dropped sub-tree reads as "no files there": the engine would delete the target's copies.
        const reported = errors.find((e) => isSyncError(e) && e.path?.replace(/\/$/, '') === 'locked')
        expect(
          reported?.code,
          `onError got no SyncError with path "locked" (errors: ${describeErrors(errors)}): an unreadable sub-tree must be reported, not skipped`,
        ).toBe('PERMISSION')
        expect(files, 'the rest of the tree must still be listed').toEqual(['a.txt', 'z/after.txt'])
      },
      { needs: ['unreadable'] },
    )

    s.test(
      'without onError, a listing with an unreadable sub-tree throws its SyncError',
      async (b, t) => {
        if (!s.makeUnreadable)
          return t.skip('no makeUnreadable option: the suite cannot make a part of the tree unreadable')
        await writeUnreadableTree(b)
        await s.makeUnreadable(b, 'locked')
        const outcome = await settled(listFiles(b))
        expect('error' in outcome, `the listing must throw, but it returned ${JSON.stringify(outcome)}`).toBe(true)
        const error = (outcome as { error: unknown }).error
        expect(isSyncError(error) ? error.code : error, 'the listing must throw a SyncError').toBe('PERMISSION')
      },
      { needs: ['unreadable'] },
    )

    s.test('rootExists is true for a backend holding a file', async (b) => {
      await writeText(b, 'f.txt', 'f')
      expect(await b.rootExists()).toBe(true)
    })

    s.test('rootExists is false, and list() lists nothing, for a backend whose root does not exist', async (_b, t) => {
      if (!s.missingRoot) return t.skip('no missingRoot option: the suite cannot open a backend on a missing root')
      const missing = asFresh(await s.missingRoot())
      try {
        expect(
          await missing.backend.rootExists(),
          `rootExists() of ${missing.backend.uri} must be false: a missing source would read as an empty tree`,
        ).toBe(false)
        // Checklist item 1: a root that does not exist lists nothing, without an error (a sync into a
        // new location lists its target first); NOT_FOUND only where no write could make it (S3's
        // missing bucket), which a write tells.
        const listing = await settled(listAll(missing.backend))
        if ('error' in listing) {
          const { error } = listing
          const why = `list() of ${missing.backend.uri}, whose root does not exist, threw ${isSyncError(error) ? `${error.code}: ${error.message}` : String(error)}`
          expect(isSyncError(error) ? error.code : error, why).toBe('NOT_FOUND')
          const probe = await settled(writeText(missing.backend, 'syncflow-testkit-probe.txt', 'x'))
          if ('value' in probe) {
            await missing.backend.remove(probe.value.path).catch(() => {})
            expect.fail(
              `${why}, yet a write there succeeded: a root that does not exist lists nothing, without an error (a sync into a new location lists its target first, and its first write makes the root); throw NOT_FOUND only where no write could make it`,
            )
          }
        } else expect(listing.value, `list() of ${missing.backend.uri}, whose root does not exist`).toEqual([])
      } finally {
        try {
          await missing.backend.close()
        } finally {
          await missing.cleanup?.()
        }
      }
    })
  })
}

/** Files before, inside and after the directory `locked`, which the test then makes unreadable. */
async function writeUnreadableTree(b: Backend): Promise<void> {
  await writeText(b, 'a.txt', 'a')
  await writeText(b, 'locked/x.txt', 'x')
  await writeText(b, 'locked/sub/y.txt', 'y')
  await writeText(b, 'z/after.txt', 'z')
}

function describeErrors(errors: readonly unknown[]): string {
  if (errors.length === 0) return 'none'
  return errors.map((e) => (isSyncError(e) ? `${e.code} at ${JSON.stringify(e.path)}` : String(e))).join(', ')
}
