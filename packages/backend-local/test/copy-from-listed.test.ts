import { readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Entry, type ReadOptions, SHRUNK_HINT, type SyncEvent, sync, VANISHED_HINT } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createLocalBackend, type LocalBackend } from '../src/index.js'
import { p, tempDir } from './helpers.js'

// QA 8 #2: a local → local copy published the file as it was when opened, stamped with the
// mtime its listing gave: a file truncated (or edited) between the listing and the copy came out as
// other content under the old mtime, "copied", exit 0, and the mirror's deletes ran.

async function pair(): Promise<{ src: string; dst: string }> {
  return { src: await tempDir('copy-from-listed-src'), dst: await tempDir('copy-from-listed-dst') }
}

const T = new Date('2024-01-01T00:00:00Z')

/** `a.bin` copied from `source` into `target` for the entry `listed`, read as `readOptions` says. */
const copyListed = (source: LocalBackend, target: LocalBackend, listed: Entry, readOptions: ReadOptions) =>
  target.copyFrom(source, p('a.bin'), p('a.bin'), { size: listed.size, mtimeMs: listed.mtimeMs }, { readOptions })

/** A local backend on `src` whose listing removes `name` from disk just after listing it. */
function removedOnceListed(src: string, name: string) {
  const source = createLocalBackend({ root: src })
  const list = source.list.bind(source)
  source.list = async function* (opts) {
    for await (const e of list(opts)) {
      yield e
      if (e.path === name) await rm(join(src, name))
    }
  }
  return source
}

describe('copyFrom of a file that changed since it was listed', () => {
  it.each([
    ['truncated', async (f: string) => truncate(f, 1000), 'its size went from 200000 to 1000 bytes'],
    [
      'grown',
      async (f: string) => writeFile(f, Buffer.alloc(5), { flag: 'a' }),
      'its size went from 200000 to 200005 bytes',
    ],
  ])('%s: CONFLICT, nothing written', async (_name, change, says) => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x41))
    await utimes(join(src, 'a.bin'), T, T)
    const source = createLocalBackend({ root: src })
    const target = createLocalBackend({ root: dst })
    const listed = await source.stat(p('a.bin'))
    await change(join(src, 'a.bin'))
    const err = await rejectionOf(
      target.copyFrom(source, p('a.bin'), p('a.bin'), { size: listed!.size, mtimeMs: listed!.mtimeMs }),
    )
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: `CONFLICT: local.copyFrom (a.bin): the source file changed since it was listed (${says}); nothing was written`,
    })
    expect(await target.stat(p('a.bin'))).toBeUndefined()
  })

  it('in a mirror: the file fails, the good copy and the extra file stay', async () => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x41))
    await writeFile(join(dst, 'a.bin'), 'good old copy')
    await writeFile(join(dst, 'extra'), 'not in the source')
    const source = createLocalBackend({ root: src })
    // Truncated between the listing and the copy: the listing is wrapped to do it once a.bin is listed.
    const list = source.list.bind(source)
    source.list = async function* (opts) {
      for await (const e of list(opts)) {
        if (e.path === 'a.bin') await truncate(join(src, 'a.bin'), 1000)
        yield e
      }
    }
    const events: SyncEvent[] = await lastValueFrom(
      sync(source, createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
    )
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed.map((e) => e.type === 'failed' && [e.path, e.error.code])).toEqual([['a.bin', 'CONFLICT']])
    expect(await readFile(join(dst, 'a.bin'), 'utf8')).toBe('good old copy')
    expect(await readFile(join(dst, 'extra'), 'utf8')).toBe('not in the source')
  })
})

// QA 8 #3: a same-size edit between the listing and the copy went out with the listed (old) mtime,
// on every path. The engine now reads for the entry planned (`ReadOptions.expect`), which the local
// backend holds the file it opens to: size, mtime and version (inode, ctime).
describe('a same-size edit since the listing', () => {
  async function editedSameSize(src: string): Promise<void> {
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x42))
  }

  it('copyFrom for the listed entry: CONFLICT naming the mtime, nothing written', async () => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x41))
    await utimes(join(src, 'a.bin'), T, T)
    const source = createLocalBackend({ root: src })
    const target = createLocalBackend({ root: dst })
    const listed = (await source.stat(p('a.bin')))!
    await editedSameSize(src)
    const err = await rejectionOf(copyListed(source, target, listed, { expect: listed }))
    expect(err).toMatchObject({ code: 'CONFLICT' })
    expect((err as Error).message).toMatch(
      /^CONFLICT: local\.copyFrom \(a\.bin\): the source file changed since it was listed \(its mtime went from 2024-01-01T00:00:00\.000Z to 20\d\d-.*\); nothing was written$/,
    )
    expect(await target.stat(p('a.bin'))).toBeUndefined()
  })

  it('read for the listed entry: CONFLICT; the same edit with the mtime put back is caught by the version', async () => {
    const { src } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x41))
    await utimes(join(src, 'a.bin'), T, T)
    const source = createLocalBackend({ root: src })
    const listed = (await source.stat(p('a.bin')))!
    expect(await readAll(await source.read(p('a.bin'), undefined, { expect: listed }))).toHaveLength(200_000)
    await editedSameSize(src)
    await utimes(join(src, 'a.bin'), T, T)
    const err = await rejectionOf(source.read(p('a.bin'), undefined, { expect: listed }))
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message:
        'CONFLICT: local.read (a.bin): the source file changed since it was listed (it was rewritten or replaced); nothing was written',
    })
  })

  it.each([
    ['copied directly (copyFrom)', {}],
    ['streamed (--bwlimit)', { bwlimit: 1 << 30 }],
  ])('in a mirror, %s: the file fails, the good copy and the extra file stay', async (_how, extra) => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x41))
    await utimes(join(src, 'a.bin'), T, T)
    await writeFile(join(dst, 'a.bin'), 'good old copy')
    await writeFile(join(dst, 'extra'), 'not in the source')
    const source = createLocalBackend({ root: src })
    const list = source.list.bind(source)
    source.list = async function* (opts) {
      for await (const e of list(opts)) {
        yield e
        if (e.path === 'a.bin') await editedSameSize(src)
      }
    }
    const events: SyncEvent[] = await lastValueFrom(
      sync(source, createLocalBackend({ root: dst }), { mode: 'mirror', ...extra }).pipe(toArray()),
    )
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed.map((e) => e.type === 'failed' && [e.path, e.error.code])).toEqual([['a.bin', 'CONFLICT']])
    expect(await readFile(join(dst, 'a.bin'), 'utf8')).toBe('good old copy')
    expect(await readFile(join(dst, 'extra'), 'utf8')).toBe('not in the source')
  })
})

// QA 29a #9: a source file deleted after its listing failed with the bare "ENOENT: no such file or
// directory, open '/abs/…'", which did not say that it was there when listed (rsync: "file has vanished").
describe('a source file deleted since its listing', () => {
  it.each([
    ['small, copied directly', 5_000, {}],
    ['big, streamed by the engine', 3_000_000, {}],
    ['small, streamed (--bwlimit)', 5_000, { bwlimit: 1 << 30 }],
  ])('%s: fails NOT_FOUND saying it is gone since it was listed', async (_how, size, extra) => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'gone.bin'), Buffer.alloc(size, 0x41))
    await writeFile(join(src, 'kept.txt'), 'kept')
    const source = removedOnceListed(src, 'gone.bin')
    const events: SyncEvent[] = await lastValueFrom(
      sync(source, createLocalBackend({ root: dst }), { mode: 'mirror', ...extra }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toMatchObject([
      { path: 'gone.bin', error: { code: 'NOT_FOUND', hint: VANISHED_HINT } },
    ])
    const failed = events.find((e) => e.type === 'failed')
    expect(failed?.type === 'failed' && failed.error.message).toContain('gone since it was listed')
    expect(await readFile(join(dst, 'kept.txt'), 'utf8')).toBe('kept')
  })

  // QA 31j #2: deleted while planning hashed it (--checksum, or an mtime alone differing), it failed
  // "NOT_FOUND: local.hash (gone.bin): no such file", with nothing saying it was listed and is gone.
  it.each([
    ['--checksum', 'checksum' as const],
    ['only its mtime differing', 'size-mtime' as const],
  ])(
    'deleted before planning hashed it (%s): fails NOT_FOUND saying it is gone since it was listed',
    async (_how, compare) => {
      const { src, dst } = await pair()
      await writeFile(join(src, 'gone.bin'), 'same size')
      await writeFile(join(dst, 'gone.bin'), 'SAME SIZE')
      await utimes(join(dst, 'gone.bin'), T, T)
      await writeFile(join(src, 'kept.txt'), 'kept')
      const source = removedOnceListed(src, 'gone.bin')
      const events: SyncEvent[] = await lastValueFrom(
        sync(source, createLocalBackend({ root: dst }), { mode: 'mirror', compare }).pipe(toArray()),
      )
      expect(events.filter((e) => e.type === 'failed')).toMatchObject([
        { path: 'gone.bin', stage: 'plan', error: { code: 'NOT_FOUND', hint: VANISHED_HINT } },
      ])
      const failed = events.find((e) => e.type === 'failed')
      expect(failed?.type === 'failed' && failed.error.message).toBe(
        'NOT_FOUND: local.hash (gone.bin): the source file is gone since it was listed; nothing was compared',
      )
      expect(await readFile(join(dst, 'gone.bin'), 'utf8')).toBe('SAME SIZE')
    },
  )
})

// QA 8 #4: a file always being written (a log) failed every run. With `checkUpdated: false`
// (--no-check-updated, rclone's --local-no-check-updated) it is copied as it was when listed: the
// listed size's bytes, under the listed mtime.
describe('checkUpdated: false', () => {
  it.each([
    ['small, copied directly', 5_000, {}],
    ['big, streamed by the engine', 3_000_000, {}],
    ['small, streamed (--bwlimit)', 5_000, { bwlimit: 1 << 30 }],
  ])('%s: a file appended to since its listing is copied as listed', async (_how, size, extra) => {
    const { src, dst } = await pair()
    const log = join(src, 'app.log')
    await writeFile(log, Buffer.alloc(size, 0x41))
    await utimes(log, T, T)
    const source = createLocalBackend({ root: src })
    const list = source.list.bind(source)
    source.list = async function* (opts) {
      for await (const e of list(opts)) {
        yield e
        if (e.path === 'app.log') await writeFile(log, 'more lines\n', { flag: 'a' })
      }
    }
    const events: SyncEvent[] = await lastValueFrom(
      sync(source, createLocalBackend({ root: dst }), { mode: 'mirror', checkUpdated: false, ...extra }).pipe(
        toArray(),
      ),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    const copied = await readFile(join(dst, 'app.log'))
    expect(copied.equals(Buffer.alloc(size, 0x41))).toBe(true)
    const done = events.at(-1)
    expect(done?.type === 'done' && done.summary.done.copy).toBe(1)
    const entry = await createLocalBackend({ root: dst }).stat(p('app.log'))
    expect(entry?.mtimeMs).toBe(T.getTime())
  })

  // QA 29a #8: its hint told the user to give --no-check-updated, the flag the run had.
  it.each([
    ['small, copied directly', 5_000, {}],
    ['big, streamed by the engine', 3_000_000, {}],
    ['small, streamed (--bwlimit)', 5_000, { bwlimit: 1 << 30 }],
  ])(
    '%s: a file truncated since its listing fails with a hint that does not offer the flag given',
    async (_how, size, extra) => {
      const { src, dst } = await pair()
      const log = join(src, 'app.log')
      await writeFile(log, Buffer.alloc(size, 0x41))
      const source = createLocalBackend({ root: src })
      const list = source.list.bind(source)
      source.list = async function* (opts) {
        for await (const e of list(opts)) {
          yield e
          if (e.path === 'app.log') await truncate(log, 100)
        }
      }
      const events: SyncEvent[] = await lastValueFrom(
        sync(source, createLocalBackend({ root: dst }), { mode: 'mirror', checkUpdated: false, ...extra }).pipe(
          toArray(),
        ),
      )
      const failed = events.filter((e) => e.type === 'failed')
      expect(failed).toMatchObject([{ path: 'app.log', error: { code: 'CONFLICT', hint: SHRUNK_HINT } }])
      expect(SHRUNK_HINT).not.toContain('give --no-check-updated')
      expect(await createLocalBackend({ root: dst }).stat(p('app.log'))).toBeUndefined()
    },
  )

  it('a file truncated since its listing still fails: the listed size cannot be read', async () => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(5_000, 0x41))
    const source = createLocalBackend({ root: src })
    const target = createLocalBackend({ root: dst })
    const listed = (await source.stat(p('a.bin')))!
    await truncate(join(src, 'a.bin'), 100)
    const err = await rejectionOf(copyListed(source, target, listed, { tolerateChanges: true }))
    expect(err).toMatchObject({ code: 'CONFLICT' })
    expect(await target.stat(p('a.bin'))).toBeUndefined()
  })
})

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of body) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}
