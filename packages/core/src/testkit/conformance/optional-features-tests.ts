import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import { type Backend, supports } from '../../backend/backend.js'
import { isSyncError } from '../../errors/sync-error.js'
import type { RelPath } from '../../model/rel-path.js'
import { readBytes, readText, rejectionOf, settled, writeText } from '../backend-io.js'
import { prngBytes } from '../prng-stream.js'
import type { SuiteContext } from '../suite-context.js'
import { listAll, listFiles, listKeys } from './ordered-listing.js'

const p = (path: string): RelPath => path as RelPath

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await rejectionOf(promise)
  expect(isSyncError(err) ? err.code : err).toBe(code)
}

function within(b: Backend, actual: number | undefined, expected: number): void {
  expect(Math.abs((actual ?? Number.NaN) - expected)).toBeLessThan(Math.max(1, b.capabilities.mtimePrecisionMs))
}

/** The optional features, each tested when the backend has it (a visible skip otherwise). */
export function optionalFeatureTests(s: SuiteContext): void {
  s.group('optional: move', () => {
    s.test('move renames a file, keeping content and mtime, creating parents', async (b, t) => {
      if (!supports.move(b)) return t.skip('backend has no move()')
      await writeText(b, 'from.txt', 'moved', 1_600_000_000_000)
      const entry = await b.move(p('from.txt'), p('to/new/place.txt'))
      expect(entry).toMatchObject({ path: 'to/new/place.txt', kind: 'file', size: 5 })
      expect(await b.stat(p('from.txt'))).toBeUndefined()
      expect(await readText(b, 'to/new/place.txt')).toBe('moved')
      within(b, (await b.stat(p('to/new/place.txt')))?.mtimeMs, 1_600_000_000_000)
    })

    s.test('move onto an existing file replaces it; with expect null it is CONFLICT and both stay', async (b, t) => {
      if (!supports.move(b)) return t.skip('backend has no move()')
      await writeText(b, 'a.txt', 'a')
      await writeText(b, 'b.txt', 'b')
      await expectCode(b.move(p('a.txt'), p('b.txt'), { expect: null }), 'CONFLICT')
      expect(await readText(b, 'a.txt')).toBe('a')
      expect(await readText(b, 'b.txt')).toBe('b')
      await b.move(p('a.txt'), p('b.txt'))
      expect(await listFiles(b)).toEqual(['b.txt'])
      expect(await readText(b, 'b.txt')).toBe('a')
    })

    s.test('move of a missing path is NOT_FOUND', async (b, t) => {
      if (!supports.move(b)) return t.skip('backend has no move()')
      await expectCode(b.move(p('missing'), p('x')), 'NOT_FOUND')
    })
  })

  s.group('optional: remove with expect (capabilities.removeExpect)', () => {
    // The engine skips its own stat before a delete for such a backend: the check must hold.
    s.test(
      'removes the file planned; leaves one that changed since (CONFLICT); a gone one is no error',
      async (b, t) => {
        if (!supports.removeExpect(b)) return t.skip('backend does not declare removeExpect')
        await writeText(b, 'planned.txt', 'as planned', 1_600_000_000_000)
        const planned = await b.stat(p('planned.txt'))
        expect(planned).toBeDefined()
        await b.remove(p('planned.txt'), { expect: planned! })
        expect(await b.stat(p('planned.txt'))).toBeUndefined()
        await b.remove(p('planned.txt'), { expect: planned! }) // already gone: idempotent

        await writeText(b, 'edited.txt', 'before', 1_600_000_000_000)
        const before = await b.stat(p('edited.txt'))
        await writeText(b, 'edited.txt', 'after the plan, longer', 1_600_000_100_000)
        await expectCode(b.remove(p('edited.txt'), { expect: before! }), 'CONFLICT')
        expect(await readText(b, 'edited.txt')).toBe('after the plan, longer')
      },
    )
  })

  s.group('optional: copy', () => {
    s.test('copy duplicates content and keeps the source mtime (like cp -p)', async (b, t) => {
      if (!supports.copy(b)) return t.skip('backend has no copy()')
      await writeText(b, 'src.txt', 'copied', 1_600_000_000_000)
      const entry = await b.copy(p('src.txt'), p('dst/copy.txt'))
      expect(entry).toMatchObject({ path: 'dst/copy.txt', kind: 'file', size: 6 })
      expect(await readText(b, 'src.txt')).toBe('copied')
      expect(await readText(b, 'dst/copy.txt')).toBe('copied')
      within(b, (await b.stat(p('dst/copy.txt')))?.mtimeMs, 1_600_000_000_000)
    })

    s.test('copy honours expect and reports a missing source as NOT_FOUND', async (b, t) => {
      if (!supports.copy(b)) return t.skip('backend has no copy()')
      await writeText(b, 'src.txt', 'new')
      await writeText(b, 'dst.txt', 'old')
      await expectCode(b.copy(p('src.txt'), p('dst.txt'), { expect: null }), 'CONFLICT')
      expect(await readText(b, 'dst.txt')).toBe('old')
      await expectCode(b.copy(p('missing'), p('x')), 'NOT_FOUND')
    })
  })

  s.group('optional: copyFrom', () => {
    s.test('copyFrom itself copies with the given metadata, or declines with undefined', async (b, t) => {
      if (!supports.copyFrom(b)) return t.skip('backend has no copyFrom()')
      const content = prngBytes(3, 100_000)
      await writeText(b, 'src.bin', content)
      const entry = await b.copyFrom(b, p('src.bin'), p('dir/dst.bin'), {
        mtimeMs: 1_500_000_000_000,
        size: content.length,
        ...(b.capabilities.permissions ? { mode: 0o600 } : {}),
      })
      if (entry === undefined) return t.skip('copyFrom declined this source (allowed: the engine then streams)')
      expect(entry).toMatchObject({ path: 'dir/dst.bin', kind: 'file', size: content.length })
      expect((await readBytes(b, 'dir/dst.bin')).equals(content)).toBe(true)
      within(b, (await b.stat(p('dir/dst.bin')))?.mtimeMs, 1_500_000_000_000)
      if (b.capabilities.permissions) expect((await b.stat(p('dir/dst.bin')))?.mode).toBe(0o600)
    })

    s.test('copyFrom honours expect', async (b, t) => {
      if (!supports.copyFrom(b)) return t.skip('backend has no copyFrom()')
      await writeText(b, 'src.txt', 'new')
      await writeText(b, 'dst.txt', 'old')
      const outcome = await settled(b.copyFrom(b, p('src.txt'), p('dst.txt'), { mtimeMs: 1 }, { expect: null }))
      if ('value' in outcome) expect(outcome.value).toBeUndefined()
      else expect(isSyncError(outcome.error) && outcome.error.code).toBe('CONFLICT')
      expect(await readText(b, 'dst.txt')).toBe('old')
    })
  })

  s.group('optional: hash', () => {
    s.test('hash equals the crypto digest for every algorithm in capabilities.hashes', async (b, t) => {
      if (!supports.hash(b)) return t.skip('backend has no hash()')
      if (b.capabilities.hashes.length === 0) return t.skip('capabilities.hashes is empty')
      const content = prngBytes(5, 300_000)
      await writeText(b, 'h.bin', content)
      await writeText(b, 'empty', '')
      for (const algo of b.capabilities.hashes) {
        expect(await b.hash(p('h.bin'), algo)).toBe(createHash(algo).update(content).digest('hex'))
        expect(await b.hash(p('empty'), algo)).toBe(createHash(algo).update('').digest('hex'))
      }
    })

    s.test(
      'every algorithm in capabilities.hashes is offered, by hash() or in Entry.hashes of stat or list',
      async (b, t) => {
        if (b.capabilities.hashes.length === 0) return t.skip('capabilities.hashes is empty')
        const content = prngBytes(8, 20_000)
        await writeText(b, 'offered.bin', content)
        const stat = await b.stat(p('offered.bin'))
        const listed = (await listAll(b)).find((e) => e.path === 'offered.bin')
        for (const algo of b.capabilities.hashes) {
          const digest = createHash(algo).update(content).digest('hex')
          const fromHash = supports.hash(b) ? await settled(b.hash(p('offered.bin'), algo)) : undefined
          const offered: [string, string | undefined][] = [
            ['hash()', fromHash && 'value' in fromHash ? fromHash.value : undefined],
            ['stat().hashes', stat?.hashes?.[algo]],
            ['list() entry.hashes', listed?.hashes?.[algo]],
          ]
          const given = offered.filter(([, value]) => value !== undefined)
          const why =
            fromHash === undefined
              ? 'the backend has no hash()'
              : 'error' in fromHash
                ? `hash() threw ${isSyncError(fromHash.error) ? fromHash.error.code : String(fromHash.error)}`
                : 'hash() gave nothing'
          expect(
            given.length,
            `capabilities.hashes lists ${algo}, but no ${algo} is offered (${why}; stat and list carry no ${algo} in Entry.hashes): offer it, or leave it out of capabilities.hashes`,
          ).toBeGreaterThan(0)
          for (const [where, value] of given) expect(value, `${algo} of ${where}`).toBe(digest)
        }
      },
    )

    // QA 30c: a backend that remembered a file's digest (a cache keyed by path) and did not forget it
    // when the file was written again passed the whole suite, each test writing a path once; a
    // checksum run (-c) from it then took changed files for unchanged ones and left them stale.
    s.test('a rewritten file (same size, same mtime) has its new digest in hash(), stat and list', async (b, t) => {
      const before = prngBytes(21, 20_000)
      const after = prngBytes(22, 20_000)
      await writeText(b, 'again.bin', before, 1_600_000_000_000)
      const offered = async (): Promise<[string, string][]> => {
        const out: [string, string][] = []
        if (supports.hash(b)) {
          for (const algo of b.capabilities.hashes) {
            const got = await settled(b.hash(p('again.bin'), algo))
            if ('value' in got) out.push([`hash(${algo})`, got.value])
          }
        }
        const stat = await b.stat(p('again.bin'))
        for (const [algo, v] of Object.entries(stat?.hashes ?? {})) if (v) out.push([`stat().hashes.${algo}`, v])
        const listed = (await listAll(b)).find((e) => e.path === 'again.bin')
        for (const [algo, v] of Object.entries(listed?.hashes ?? {})) if (v) out.push([`list() hashes.${algo}`, v])
        return out
      }
      // Asked once before the rewrite, as the engine asks when it compares: a cache fills here.
      if ((await offered()).length === 0) return t.skip('the backend offers no digest (no hash(), no Entry.hashes)')
      await writeText(b, 'again.bin', after, 1_600_000_000_000)
      for (const [where, digest] of await offered()) {
        const algo = where.replace(/^hash\((.*)\)$/, '$1').replace(/^.*hashes\./, '')
        expect(digest, `${where} after the file was written again`).toBe(createHash(algo).update(after).digest('hex'))
      }
    })

    s.test('hashes carried by listed entries are correct', async (b) => {
      const content = prngBytes(6, 10_000)
      await writeText(b, 'h.bin', content)
      const entry = (await listAll(b)).find((e) => e.path === 'h.bin')!
      for (const [algo, digest] of Object.entries(entry.hashes ?? {})) {
        expect(digest).toBe(createHash(algo).update(content).digest('hex'))
      }
    })

    s.test('hash of a missing path is NOT_FOUND', async (b, t) => {
      if (!supports.hash(b)) return t.skip('backend has no hash()')
      if (b.capabilities.hashes.length === 0) return t.skip('capabilities.hashes is empty')
      await expectCode(b.hash(p('missing'), b.capabilities.hashes[0]!), 'NOT_FOUND')
    })
  })

  s.group('optional: setMtime', () => {
    s.test('setMtime changes the mtime only', async (b, t) => {
      if (!supports.setMtime(b)) return t.skip('backend has no setMtime()')
      await writeText(b, 't.txt', 'same', 1_600_000_000_000)
      const entry = await b.setMtime(p('t.txt'), 1_650_000_000_250)
      within(b, entry.mtimeMs, 1_650_000_000_250)
      within(b, (await b.stat(p('t.txt')))?.mtimeMs, 1_650_000_000_250)
      expect(await readText(b, 't.txt')).toBe('same')
    })

    s.test('setMtime of a missing path is NOT_FOUND', async (b, t) => {
      if (!supports.setMtime(b)) return t.skip('backend has no setMtime()')
      await expectCode(b.setMtime(p('missing'), 1), 'NOT_FOUND')
    })
  })

  s.group('optional: setMode', () => {
    s.test('setMode changes the mode only', async (b, t) => {
      if (!supports.setMode(b)) return t.skip('backend has no setMode()')
      if (!b.capabilities.permissions) return t.skip('capabilities.permissions is false')
      await writeText(b, 'm.txt', 'same', { mtimeMs: 1_600_000_000_000, mode: 0o644 })
      const entry = await b.setMode(p('m.txt'), 0o600)
      expect((entry.mode ?? 0) & 0o7777).toBe(0o600)
      const now = await b.stat(p('m.txt'))
      expect((now?.mode ?? 0) & 0o7777).toBe(0o600)
      within(b, now?.mtimeMs, 1_600_000_000_000)
      expect(await readText(b, 'm.txt')).toBe('same')
    })

    s.test('setMode of a missing path is NOT_FOUND', async (b, t) => {
      if (!supports.setMode(b)) return t.skip('backend has no setMode()')
      await expectCode(b.setMode(p('missing'), 0o600), 'NOT_FOUND')
    })
  })

  s.group(
    'optional: mkdir and directories',
    () => {
      const needDirs = (b: Backend, t: { skip(reason: string): never }): Backend & { mkdir: Mkdir } => {
        if (!supports.mkdir(b)) return t.skip('backend has no mkdir()')
        if (!b.capabilities.emptyDirs) return t.skip('capabilities.emptyDirs is false')
        return b
      }
      type Mkdir = (path: RelPath, meta?: { mtimeMs?: number; mode?: number }) => Promise<void>

      s.test('mkdir creates (nested) empty directories that list as dirs, idempotently', async (b0, t) => {
        const b = needDirs(b0, t)
        await b.mkdir(p('empty'))
        await b.mkdir(p('empty'))
        await b.mkdir(p('nested/deeper/still'))
        expect(await listKeys(b)).toEqual(['empty/', 'nested/', 'nested/deeper/', 'nested/deeper/still/'])
        expect((await b.stat(p('nested/deeper')))?.kind).toBe('dir')
      })

      s.test('mkdir keeps the given mtime (and mode when permissions)', async (b0, t) => {
        const b = needDirs(b0, t)
        const mode = b.capabilities.permissions ? { mode: 0o750 } : {}
        await b.mkdir(p('d'), { mtimeMs: 1_600_000_000_000, ...mode })
        const entry = await b.stat(p('d'))
        within(b, entry?.mtimeMs, 1_600_000_000_000)
        if (b.capabilities.permissions) expect(entry?.mode).toBe(0o750)
      })

      s.test('mkdir where a file is is CONFLICT', async (b0, t) => {
        const b = needDirs(b0, t)
        await writeText(b, 'f', 'x')
        await expectCode(b.mkdir(p('f')), 'CONFLICT')
        expect(await readText(b, 'f')).toBe('x')
      })

      s.test('remove of a non-empty directory is CONFLICT; of an empty one removes it', async (b0, t) => {
        const b = needDirs(b0, t)
        await writeText(b, 'd/f.txt', 'x')
        await expectCode(b.remove(p('d')), 'CONFLICT')
        expect(await readText(b, 'd/f.txt')).toBe('x')
        await b.remove(p('d/f.txt'))
        await b.remove(p('d'))
        expect(await listAll(b)).toEqual([])
      })
    },
    'emptyDirs',
  )

  s.group(
    'optional: symlinks',
    () => {
      type Sym = Backend & { symlink(path: RelPath, target: string, opts?: { expect?: null }): Promise<void> }
      const needLinks = (b: Backend, t: { skip(reason: string): never }): Sym => {
        if (!supports.symlink(b)) return t.skip('backend has no symlink()')
        if (!b.capabilities.symlinks) return t.skip('capabilities.symlinks is false')
        return b as Sym
      }

      s.test('a symlink lists and stats as a symlink with its target, kept verbatim', async (b0, t) => {
        const b = needLinks(b0, t)
        await writeText(b, 'target.txt', 'x')
        await b.symlink(p('link'), 'target.txt')
        await b.symlink(p('dir/up'), '../target.txt')
        await b.symlink(p('dangling'), 'no/such/file')
        const links = (await listAll(b)).filter((e) => e.kind === 'symlink')
        expect(links.map((e) => [e.path, e.linkTarget])).toEqual([
          ['dangling', 'no/such/file'],
          ['dir/up', '../target.txt'],
          ['link', 'target.txt'],
        ])
        expect(await b.stat(p('link'))).toMatchObject({ kind: 'symlink', linkTarget: 'target.txt' })
      })

      s.test('symlink replaces a symlink; with expect null it is CONFLICT', async (b0, t) => {
        const b = needLinks(b0, t)
        await b.symlink(p('link'), 'one')
        await b.symlink(p('link'), 'two')
        expect((await b.stat(p('link')))?.linkTarget).toBe('two')
        await expectCode(b.symlink(p('link'), 'three', { expect: null }), 'CONFLICT')
        expect((await b.stat(p('link')))?.linkTarget).toBe('two')
      })

      s.test('remove of a symlink removes the link, not its target', async (b0, t) => {
        const b = needLinks(b0, t)
        await writeText(b, 'dir/target.txt', 'x')
        await b.symlink(p('link'), 'dir')
        await b.remove(p('link'))
        expect(await b.stat(p('link'))).toBeUndefined()
        expect(await readText(b, 'dir/target.txt')).toBe('x')
      })

      s.test('a write, mkdir or remove through a symlinked directory is refused and changes nothing', async (b0, t) => {
        const b = needLinks(b0, t)
        await writeText(b, 'real/kept.txt', 'kept')
        await b.symlink(p('link'), 'real')
        const refused = ['INVALID_PATH', 'CONFLICT']
        const write = await rejectionOf(writeText(b, 'link/new.txt', 'x'))
        expect(refused).toContain(isSyncError(write) ? write.code : write)
        const removal = await b.remove(p('link/kept.txt')).then(
          () => undefined,
          (err: unknown) => err,
        )
        if (removal !== undefined) expect(refused).toContain(isSyncError(removal) ? removal.code : removal)
        if (supports.mkdir(b)) {
          const mk = await rejectionOf(b.mkdir(p('link/sub')))
          expect(refused).toContain(isSyncError(mk) ? mk.code : mk)
        }
        expect(await listFiles(b)).toEqual(['real/kept.txt'])
        expect(await readText(b, 'real/kept.txt')).toBe('kept')
      })
    },
    'symlinks',
  )
}
