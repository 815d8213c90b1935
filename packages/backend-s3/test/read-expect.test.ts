import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { type Entry, type RelPath, type SyncEvent, sync } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createLocalBackend } from '../../backend-local/src/index.js'
import type { S3Backend } from '../src/index.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const p = (s: string) => s as RelPath
const MTIME = 1_700_000_000_000

/**
 * A read for a planned entry (`ReadOptions.expect`) is pinned to its ETag with If-Match: an object
 * replaced since, even by one of the same size, is never read under the old entry's mtime (QA 8 #3,
 * #11: a GET took whatever the key held by then, and the HEAD's mtime was written with it).
 */
describeS3('S3Backend reads pinned to the entry planned', (env) => {
  let dir: string
  const opened: S3Backend[] = []
  const backend = (name: string): S3Backend => {
    const b = testBackend(env, name)
    opened.push(b)
    return b
  }
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-read-expect-'))
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  const put = (b: S3Backend, name: string, text: string, mtimeMs = MTIME): Promise<Entry> =>
    b.write(p(name), Readable.from([Buffer.from(text)]), { size: Buffer.byteLength(text), mtimeMs })
  const text = async (body: Readable): Promise<string> => {
    const chunks: Buffer[] = []
    for await (const c of body) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString()
  }

  it('the version planned is read; one replaced since (same size) fails with CONFLICT', async () => {
    const b = backend('read-expect')
    await put(b, 'a.txt', 'first version')
    const planned = (await b.stat(p('a.txt')))!
    expect(planned.version).toBeDefined()
    expect(await text(await b.read(p('a.txt'), undefined, { expect: planned }))).toBe('first version')
    await put(b, 'a.txt', 'other version')
    const err = await rejectionOf(b.read(p('a.txt'), undefined, { expect: planned }))
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: `CONFLICT: s3.read (a.txt): the source file changed since it was listed (its ETag is no longer "${planned.version}"); nothing was written`,
      // Not the advice for a growing log (--no-check-updated): an object is replaced whole (QA 17 #6).
      hint: 'Run again: the next run copies the object as it is then.',
    })
    // Without an entry to hold it to, the read takes what is there.
    expect(await text(await b.read(p('a.txt')))).toBe('other version')
  })

  it('a server-side copy for a stale entry fails and writes nothing', async () => {
    const source = backend('read-expect-src')
    const target = backend('read-expect-dst')
    await put(source, 'a.txt', 'first version')
    const planned = (await source.stat(p('a.txt')))!
    await put(source, 'a.txt', 'other version')
    const err = await rejectionOf(
      target.copyFrom(
        source,
        p('a.txt'),
        p('a.txt'),
        { size: 13, mtimeMs: MTIME },
        { readOptions: { expect: planned } },
      ),
    )
    expect(err).toMatchObject({ code: 'CONFLICT' })
    expect(await target.stat(p('a.txt'))).toBeUndefined()
  })

  it('S3 → local: an object replaced between its HEAD and its GET fails; the good copy and the extra file stay', async () => {
    const source = backend('read-expect-sync')
    await put(source, 'a.txt', 'first version', MTIME + 5000)
    const dst = join(dir, 'dst')
    const target = createLocalBackend({ root: dst })
    await target.write(p('a.txt'), Readable.from([Buffer.from('good old copy')]), { size: 13, mtimeMs: MTIME })
    await target.write(p('extra'), Readable.from([Buffer.from('not in the source')]), { size: 17, mtimeMs: MTIME })
    // The engine HEADs an S3 source for its stored mtime, then GETs it: replaced in between.
    const read = source.read.bind(source)
    source.read = async (path, range, opts) => {
      if (path === 'a.txt') await put(source, 'a.txt', 'other version', MTIME + 9000)
      return read(path, range, opts)
    }
    const events: SyncEvent[] = await lastValueFrom(sync(source, target, { mode: 'mirror' }).pipe(toArray()))
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed.map((e) => e.type === 'failed' && [e.path, e.error.code])).toEqual([['a.txt', 'CONFLICT']])
    expect(await readFile(join(dst, 'a.txt'), 'utf8')).toBe('good old copy')
    expect(await readFile(join(dst, 'extra'), 'utf8')).toBe('not in the source')
  })

  /** An S3 source whose object `a.txt` is replaced by `text` just before the engine's HEAD of it. */
  const replacedBeforeHead = async (name: string, text: string): Promise<S3Backend> => {
    const source = backend(name)
    await put(source, 'a.txt', 'listed text', MTIME + 5000)
    const stat = source.stat.bind(source)
    let replaced = false
    source.stat = async (path) => {
      if (path === 'a.txt' && !replaced) {
        replaced = true
        await put(source, 'a.txt', text, MTIME + 9000)
      }
      return stat(path)
    }
    return source
  }

  it('S3 → local: an object replaced between the listing and the HEAD for its mtime fails; nothing is written (QA 11 #2)', async () => {
    for (const [i, other] of ['a much longer text than was listed', 'other text!', 'abc'].entries()) {
      const source = await replacedBeforeHead(`read-expect-head-${i}`, other)
      const dst = join(dir, `head-${i}`)
      const target = createLocalBackend({ root: dst })
      await target.write(p('extra'), Readable.from([Buffer.from('not in the source')]), { size: 17, mtimeMs: MTIME })
      const events: SyncEvent[] = await lastValueFrom(sync(source, target, { mode: 'mirror' }).pipe(toArray()))
      const failed = events.filter((e) => e.type === 'failed')
      expect(
        failed.map((e) => e.type === 'failed' && [e.path, e.error.code]),
        other,
      ).toEqual([['a.txt', 'CONFLICT']])
      // Named by its backend's op, as every other S3 failure is (QA 12 #8: it said `stat`).
      expect(failed[0]?.type === 'failed' && failed[0].error.message).toContain(
        's3.stat (a.txt): the source file changed since it was listed',
      )
      expect(failed[0]?.type === 'failed' && failed[0].error.hint).toBe(
        'Run again: the next run copies the object as it is then.',
      )
      expect(await target.stat(p('a.txt'))).toBeUndefined()
      expect(await readFile(join(dst, 'extra'), 'utf8')).toBe('not in the source')
    }
  })

  it('with checkUpdated off, such an object is copied up to its listed size, or fails if shorter (QA 11 #2)', async () => {
    const longer = await replacedBeforeHead('read-expect-head-tolerated', 'LISTED TEXT and more appended')
    const dst = join(dir, 'head-tolerated')
    const target = createLocalBackend({ root: dst })
    const events: SyncEvent[] = await lastValueFrom(
      sync(longer, target, { mode: 'mirror', checkUpdated: false }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(await readFile(join(dst, 'a.txt'), 'utf8')).toBe('LISTED TEXT')
    const shorter = await replacedBeforeHead('read-expect-head-shorter', 'abc')
    const dst2 = join(dir, 'head-shorter')
    const events2: SyncEvent[] = await lastValueFrom(
      sync(shorter, createLocalBackend({ root: dst2 }), { mode: 'mirror', checkUpdated: false }).pipe(toArray()),
    )
    expect(events2.filter((e) => e.type === 'failed').map((e) => e.type === 'failed' && e.error.code)).toEqual([
      'CONFLICT',
    ])
  })
})
