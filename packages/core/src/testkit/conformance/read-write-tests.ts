import { Readable } from 'node:stream'
import { expect } from 'vitest'
import { isSyncError } from '../../errors/sync-error.js'
import type { RelPath } from '../../model/rel-path.js'
import { collectStream, readBytes, readText, rejectionOf, writeText } from '../backend-io.js'
import { prngBytes } from '../prng-stream.js'
import type { SuiteContext } from '../suite-context.js'
import { listAll, listFiles } from './ordered-listing.js'

/** `stat`, `read`, `write`, `remove`: the basic contract. */
export function readWriteTests(s: SuiteContext): void {
  s.group('stat, read, write, remove', () => {
    s.test('stat of a missing path is undefined (also below a missing directory or a file)', async (b) => {
      await writeText(b, 'file.txt', 'x')
      expect(await b.stat('missing.txt' as RelPath)).toBeUndefined()
      expect(await b.stat('no/such/dir/file.txt' as RelPath)).toBeUndefined()
      expect(await b.stat('file.txt/below' as RelPath)).toBeUndefined()
    })

    s.test(
      'read with expect of a file replaced since it was listed is CONFLICT; with the entry as it is, the bytes',
      async (b) => {
        const listed = await writeText(b, 'f.txt', 'first version', { mtimeMs: 1_500_000_000_000 })
        const now = await writeText(b, 'f.txt', 'the second, longer version', { mtimeMs: 1_600_000_000_000 })
        // The stream may fail instead of the call: either way, no bytes of the new file are taken.
        const readAll = async (entry: typeof listed) =>
          collectStream(await b.read('f.txt' as RelPath, undefined, { expect: entry }))
        const err = await rejectionOf(readAll(listed))
        expect(isSyncError(err) && err.code).toBe('CONFLICT')
        expect((await readAll(now)).toString('utf8')).toBe('the second, longer version')
      },
      { needs: ['readExpect'] },
    )

    s.test('read of a missing path rejects with NOT_FOUND', async (b) => {
      const err = await rejectionOf(b.read('missing.txt' as RelPath))
      expect(isSyncError(err) && err.code).toBe('NOT_FOUND')
    })

    s.test('write returns the entry that stat and list show', async (b) => {
      const written = await writeText(b, 'dir/f.txt', 'hello', { mtimeMs: 1_500_000_000_000 })
      expect(written).toMatchObject({ path: 'dir/f.txt', kind: 'file', size: 5 })
      const stat = await b.stat('dir/f.txt' as RelPath)
      expect(stat).toMatchObject({ path: written.path, kind: 'file', size: 5, mtimeMs: written.mtimeMs })
      if (written.version !== undefined) expect(stat?.version).toBe(written.version)
      const listed = (await listAll(b)).find((e) => e.path === 'dir/f.txt')
      expect(listed).toMatchObject({ kind: 'file', size: 5 })
      if (b.capabilities.listMtime) expect(listed?.mtimeMs).toBe(written.mtimeMs)
      expect(await readText(b, 'dir/f.txt')).toBe('hello')
    })

    s.test('write creates missing parent directories', async (b) => {
      await writeText(b, 'a/b/c/d/e.txt', 'deep')
      expect(await readText(b, 'a/b/c/d/e.txt')).toBe('deep')
      if (b.capabilities.emptyDirs) {
        expect((await b.stat('a/b' as RelPath))?.kind).toBe('dir')
      }
    })

    s.test('write replaces an existing file, shorter or longer', async (b) => {
      await writeText(b, 'f.txt', 'a long first version')
      await writeText(b, 'f.txt', 'short')
      expect(await readText(b, 'f.txt')).toBe('short')
      await writeText(b, 'f.txt', 'a much longer third version of the file')
      expect(await readText(b, 'f.txt')).toBe('a much longer third version of the file')
      expect(await listFiles(b)).toEqual(['f.txt'])
    })

    // QA 30c: a backend that kept each path's entry from its first stat or listing (a metadata cache
    // not told of writes) passed every test: each stat-ed a path once. The engine re-checks a file
    // with stat just before it deletes or replaces it, so a stale entry lets it delete an edit.
    s.test('stat and list show a file written again, and stat a removed one as missing', async (b) => {
      const shown = async () => ({
        stat: await b.stat('again.txt' as RelPath),
        listed: (await listAll(b)).find((e) => e.path === 'again.txt'),
      })
      await writeText(b, 'again.txt', 'first', 1_500_000_000_000)
      await shown() // a cache fills here
      const written = await writeText(b, 'again.txt', 'the second, longer content', 1_600_000_000_000)
      const { stat, listed } = await shown()
      expect(stat, 'stat after the file was written again').toMatchObject({
        size: written.size,
        mtimeMs: written.mtimeMs,
      })
      if (written.version !== undefined) expect(stat?.version).toBe(written.version)
      expect(listed, 'list after the file was written again').toMatchObject({ size: written.size })
      if (b.capabilities.listMtime) expect(listed?.mtimeMs).toBe(written.mtimeMs)
      await b.remove('again.txt' as RelPath)
      expect(await b.stat('again.txt' as RelPath), 'stat after remove').toBeUndefined()
      expect(await listAll(b)).toEqual([])
    })

    s.test('an empty file round-trips', async (b) => {
      const written = await writeText(b, 'empty', '')
      expect(written.size).toBe(0)
      expect((await b.stat('empty' as RelPath))?.size).toBe(0)
      expect((await readBytes(b, 'empty')).length).toBe(0)
      expect((await listAll(b)).find((e) => e.path === 'empty')).toMatchObject({ kind: 'file', size: 0 })
    })

    s.test('write reads a body of many small chunks', async (b) => {
      const parts = Array.from({ length: 1000 }, (_, i) => Buffer.from(`${i},`))
      const entry = await b.write('chunks.txt' as RelPath, Readable.from(parts), { mtimeMs: 1_600_000_000_000 })
      const expected = Buffer.concat(parts)
      expect(entry.size).toBe(expected.length)
      expect((await readBytes(b, 'chunks.txt')).equals(expected)).toBe(true)
    })

    s.test('write reports progress ending at the full size, and a 3 MiB file reads back whole', async (b) => {
      const content = prngBytes(7, 3 * 1024 * 1024 + 5)
      const seen: number[] = []
      await b.write(
        'progress.bin' as RelPath,
        Readable.from([content.subarray(0, 1 << 20), content.subarray(1 << 20)]),
        { mtimeMs: 1_600_000_000_000, size: content.length },
        { onProgress: (n) => seen.push(n) },
      )
      expect(
        seen.length,
        'write() never called opts.onProgress: call it with the bytes written so far as the body flows ' +
          '(at least every 1 MiB or so), ending at the full size; the progress line and --json progress events come from it',
      ).toBeGreaterThan(0)
      expect(seen.at(-1), `the last opts.onProgress call must give the full size (${content.length})`).toBe(
        content.length,
      )
      expect(seen, 'opts.onProgress must count up (bytes written so far, not per chunk)').toEqual(
        [...seen].sort((x, y) => x - y),
      )
      // Read back whole: the one file of some MiB a backend that skips largeFile (memory-bound) is given.
      const back = await readBytes(b, 'progress.bin')
      expect(back.length, 'the bytes read back of a 3 MiB file written').toBe(content.length)
      expect(back.equals(content), 'the 3 MiB file read back differs from what was written').toBe(true)
      expect((await b.stat('progress.bin' as RelPath))?.size).toBe(content.length)
    })

    s.test('read honours byte ranges', async (b) => {
      const content = prngBytes(1, 1000)
      await writeText(b, 'r.bin', content)
      expect((await readBytes(b, 'r.bin', { offset: 0, length: 10 })).equals(content.subarray(0, 10))).toBe(true)
      expect((await readBytes(b, 'r.bin', { offset: 500, length: 100 })).equals(content.subarray(500, 600))).toBe(true)
      expect((await readBytes(b, 'r.bin', { offset: 990 })).equals(content.subarray(990))).toBe(true)
      expect((await readBytes(b, 'r.bin', { offset: 995, length: 100 })).equals(content.subarray(995))).toBe(true)
      expect((await readBytes(b, 'r.bin', { offset: 0 })).equals(content)).toBe(true)
      expect((await readBytes(b, 'r.bin', { offset: 400, length: 0 })).length).toBe(0)
      expect((await readBytes(b, 'r.bin', { offset: 1000 })).length).toBe(0)
    })

    s.test('remove is idempotent', async (b) => {
      await writeText(b, 'gone.txt', 'x')
      await writeText(b, 'kept.txt', 'y')
      await b.remove('gone.txt' as RelPath)
      expect(await b.stat('gone.txt' as RelPath)).toBeUndefined()
      await b.remove('gone.txt' as RelPath)
      await b.remove('never/existed.txt' as RelPath)
      await b.remove('kept.txt/below' as RelPath)
      expect(await listFiles(b)).toEqual(['kept.txt'])
    })

    s.test(
      'a file below a file, or a file over a directory, is CONFLICT and changes nothing',
      async (b) => {
        await writeText(b, 'file', 'f')
        await writeText(b, 'dir/inner', 'i')
        const below = await rejectionOf(writeText(b, 'file/x', 'x'))
        expect(isSyncError(below) && below.code).toBe('CONFLICT')
        const over = await rejectionOf(writeText(b, 'dir', 'x'))
        expect(isSyncError(over) && over.code).toBe('CONFLICT')
        expect(await readText(b, 'file')).toBe('f')
        expect(await listFiles(b)).toEqual(['dir/inner', 'file'])
      },
      { needs: ['typeClash'] },
    )
  })
}
