import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import {
  type Backend,
  createMemBackend,
  MemoryStateStore,
  type RelPath,
  type SyncEvent,
  type SyncOptions,
  sync,
} from '@syncflow/core'
import { lastValueFrom, tap, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import { rawClient } from './raw-client.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

/** The actions a run completed, as `kind path`. */
async function run(source: Backend, target: Backend, options: SyncOptions): Promise<string[]> {
  const events: SyncEvent[] = await lastValueFrom(sync(source, target, options).pipe(toArray()))
  expect(events.filter((e) => e.type === 'failed')).toEqual([])
  return events.flatMap((e) => (e.type === 'completed' ? [`${e.action.kind} ${e.action.path}`] : []))
}

/** Every path below `dir` (directories with a trailing `/`), sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .map((e) => {
      const rel = join(e.parentPath, e.name).slice(dir.length + 1)
      return e.isDirectory() ? `${rel}/` : rel
    })
    .sort()
}

// What a run against S3 must keep in step although S3's listing does not show it: directories
// (prefixes), the stored mtime of an object uploaded again with the same bytes, and a mode.
describeS3('the engine with S3: what the listing does not show', (env) => {
  const raw = rawClient(env)
  const opened: Backend[] = []
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-step-'))
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    raw.destroy()
    await rm(dir, { recursive: true, force: true })
  })
  const local = (name: string): Backend => {
    const b = createLocalBackend({ root: join(dir, name) })
    opened.push(b)
    return b
  }
  const s3 = (name: string) => {
    const b = testBackend(env, name)
    opened.push(b)
    return b
  }

  /** Waits until the server's clock (an object's upload time) is past `ms`: a later upload is then later by its clock. */
  const waitForServerClockPast = async (ms: number): Promise<void> => {
    expect(ms).not.toBeNaN()
    const key = `${env.runPrefix}clock-${Math.random().toString(36).slice(2)}`
    for (let serverNow = 0; !(serverNow > ms); ) {
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: '' }))
      const probe = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key }))
      await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: key }))
      serverNow = probe.LastModified?.getTime() ?? Number.NaN
      expect(serverNow).not.toBeNaN()
    }
  }

  describe('S3 → local mirror', () => {
    it('removes the directories the source no longer has anything in (QA 15 #1), keeps the others', async () => {
      const source = s3('emptied')
      const put = (key: string, body = 'x') =>
        raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${source.prefix}${key}`, Body: body }))
      for (const key of ['a.txt', 'sub/b.txt', 'keep/deep/c.txt', 'mk/']) await put(key, key.endsWith('/') ? '' : 'x')
      const target = local('dl')
      await run(source, target, { mode: 'mirror' })
      expect(await tree(join(dir, 'dl'))).toEqual([
        'a.txt',
        'keep/',
        'keep/deep/',
        'keep/deep/c.txt',
        'mk/',
        'sub/',
        'sub/b.txt',
      ])
      await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${source.prefix}sub/b.txt` }))
      await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${source.prefix}mk/` }))
      // A tree only the target has goes too, deepest first.
      await mkdir(join(dir, 'dl', 'xd', 'y'), { recursive: true })
      await writeFile(join(dir, 'dl', 'xd', 'y', 'q'), 'q')
      const done = await run(source, target, { mode: 'mirror' })
      expect(done.sort()).toEqual([
        'delete mk',
        'delete sub',
        'delete sub/b.txt',
        'delete xd',
        'delete xd/y',
        'delete xd/y/q',
      ])
      expect(await tree(join(dir, 'dl'))).toEqual(['a.txt', 'keep/', 'keep/deep/', 'keep/deep/c.txt'])
      expect(await run(source, target, { mode: 'mirror' })).toEqual([])
    })
    // QA 25d: --max-age/--min-age judged an S3 source by its listing's upload time: a file
    // modified ten days ago, uploaded today, was restored under --max-age 1d and left out under
    // --min-age 1d. rclone reads the stored mtime for its age filters.
    it('--max-age and --min-age go by the stored mtime of an S3 source, not its upload time', async () => {
      const src = join(dir, 'aged-src')
      await mkdir(src, { recursive: true })
      await writeFile(join(src, 'old.txt'), 'old')
      await writeFile(join(src, 'new.txt'), 'new')
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000)
      await utimes(join(src, 'old.txt'), tenDaysAgo, tenDaysAgo)
      const bucket = s3('aged')
      await run(local('aged-src'), bucket, { mode: 'mirror' })
      expect((await run(bucket, local('aged-new'), { mode: 'copy', maxAgeMs: 86_400_000 })).sort()).toEqual([
        'copy new.txt',
      ])
      expect(await run(bucket, local('aged-old'), { mode: 'copy', minAgeMs: 86_400_000 })).toEqual(['copy old.txt'])
    })
    // The stat each that the ages need is not made for a pair its state record says is in sync
    // since: a re-run under --max-age stayed one LIST plus a HEAD per object.
    it('a re-run with a state store under --max-age asks no stored mtime of the objects in sync since', async () => {
      const src = join(dir, 'aged-again')
      await mkdir(src, { recursive: true })
      await writeFile(join(src, 'a.txt'), 'a')
      await writeFile(join(src, 'b.txt'), 'b')
      const bucket = s3('aged-again')
      await run(local('aged-again'), bucket, { mode: 'mirror' })
      const options: SyncOptions = { mode: 'copy', maxAgeMs: 365 * 86_400_000, state: new MemoryStateStore() }
      expect((await run(bucket, local('aged-again-dl'), options)).sort()).toEqual(['copy a.txt', 'copy b.txt'])
      let stats = 0
      const stat = bucket.stat.bind(bucket)
      bucket.stat = (path) => {
        stats++
        return stat(path)
      }
      expect(await run(bucket, local('aged-again-dl'), options)).toEqual([])
      expect(stats).toBe(0)
    })
  })

  describe('local → S3', () => {
    it('refuses a target prefix that is an object, writing nothing (QA 15 #3)', async () => {
      const parent = s3('object-root')
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${parent.prefix}app.txt`, Body: 'other' }))
      const target = testBackend(env, { prefix: `${parent.prefix}app.txt` })
      opened.push(target)
      await mkdir(join(dir, 'some'))
      await writeFile(join(dir, 'some', 'a.txt'), 'a')
      const events = await lastValueFrom(sync(local('some'), target, { mode: 'copy' }).pipe(toArray()))
      const done = events.at(-1)
      expect(done?.type === 'done' && done.summary.fatal).toMatchObject({
        code: 'USAGE',
        message: expect.stringMatching(/app\.txt is an object, not a prefix/),
      })
      const keys = await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: parent.prefix }))
      expect(keys.Contents?.map((o) => o.Key)).toEqual([`${parent.prefix}app.txt`])
    })

    it('refuses a target prefix below an object, writing nothing (QA 25b #2)', async () => {
      // s3://b/…/app.txt/x: keys under app.txt/ would make it both a file and a directory.
      const parent = s3('below-object')
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${parent.prefix}app.txt`, Body: 'other' }))
      const target = testBackend(env, { prefix: `${parent.prefix}app.txt/x/y` })
      opened.push(target)
      await mkdir(join(dir, 'below'))
      await writeFile(join(dir, 'below', 'a.txt'), 'a')
      const events = await lastValueFrom(sync(local('below'), target, { mode: 'copy' }).pipe(toArray()))
      const done = events.at(-1)
      expect(done?.type === 'done' && done.summary.fatal).toMatchObject({
        code: 'USAGE',
        message: expect.stringMatching(/x\/y lies below s3:\/\/[^ ]+\/app\.txt, an object/),
      })
      const keys = await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: parent.prefix }))
      expect(keys.Contents?.map((o) => o.Key)).toEqual([`${parent.prefix}app.txt`])
    })

    it('a copy writes nothing below an object the target has where the source has a directory (QA 25b #3)', async () => {
      // Keys under f/ beside the object f: the bucket would hold f as a file and a directory at
      // once, which every later listing (a restore) skips as a CONFLICT; a copy never deletes f.
      const target = s3('copy-below-object')
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}f`, Body: 'file' }))
      await mkdir(join(dir, 'cbo', 'f', 'h'), { recursive: true })
      await writeFile(join(dir, 'cbo', 'f', 'g'), 'g')
      await writeFile(join(dir, 'cbo', 'f', 'h', 'k'), 'k')
      await writeFile(join(dir, 'cbo', 'f-a'), 'a')
      await writeFile(join(dir, 'cbo', 'z'), 'z')
      const keys = async (): Promise<string[]> =>
        ((await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: target.prefix }))).Contents ?? []).map(
          (o) => (o.Key ?? '').slice(target.prefix.length),
        )
      const events = await lastValueFrom(sync(local('cbo'), target, { mode: 'copy' }).pipe(toArray()))
      const failed = events.flatMap((e) => (e.type === 'failed' ? [[e.path, e.error.code]] : []))
      expect(failed.sort()).toEqual([
        ['f', 'CONFLICT'],
        ['f/g', 'CONFLICT'],
        ['f/h', 'CONFLICT'],
        ['f/h/k', 'CONFLICT'],
      ])
      expect(await keys()).toEqual(['f', 'f-a', 'z'])
      // --ignore-existing keeps what is in the way, said as skipped, not failed.
      const again = await lastValueFrom(
        sync(local('cbo'), target, { mode: 'copy', ignoreExisting: true }).pipe(toArray()),
      )
      expect(again.filter((e) => e.type === 'failed')).toEqual([])
      expect(again.filter((e) => e.type === 'skipped').map((e) => e.type === 'skipped' && e.path)).toEqual([
        'f',
        'f/g',
        'f/h',
        'f/h/k',
      ])
      expect(await keys()).toEqual(['f', 'f-a', 'z'])
    })

    it('a copy writes no object beside keys the target has below its name, where the source has a file (QA 26h #1)', async () => {
      // The object d beside keys under d/ would make d a file and a directory at once, which every
      // later listing skips as a CONFLICT (and a copy never deletes d/…): as into a local target,
      // the file is a CONFLICT, or skipped under --ignore-existing.
      const target = s3('copy-beside-prefix')
      for (const key of ['d/in.txt', 'd/sub/deep.txt', 'e/marker/', 'f/']) {
        const body = key.endsWith('/') ? '' : 'x'
        await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}${key}`, Body: body }))
      }
      await mkdir(join(dir, 'cbp'), { recursive: true })
      for (const name of ['d', 'd-a', 'e', 'f', 'z']) await writeFile(join(dir, 'cbp', name), name)
      const keys = async (): Promise<string[]> =>
        ((await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: target.prefix }))).Contents ?? [])
          .map((o) => (o.Key ?? '').slice(target.prefix.length))
          .sort()
      const before = ['d/in.txt', 'd/sub/deep.txt', 'e/marker/', 'f/']
      const events = await lastValueFrom(sync(local('cbp'), target, { mode: 'copy' }).pipe(toArray()))
      const failed = events.flatMap((e) => (e.type === 'failed' ? [[e.path, e.error.code]] : []))
      expect(failed.sort()).toEqual([
        ['d', 'CONFLICT'],
        ['e', 'CONFLICT'],
        ['f', 'CONFLICT'],
      ])
      expect(await keys()).toEqual(['d-a', ...before, 'z'].sort())
      const again = await lastValueFrom(
        sync(local('cbp'), target, { mode: 'copy', ignoreExisting: true }).pipe(toArray()),
      )
      expect(again.filter((e) => e.type === 'failed')).toEqual([])
      expect(again.filter((e) => e.type === 'skipped').map((e) => e.type === 'skipped' && e.path)).toEqual([
        'd',
        'e',
        'f',
      ])
      expect(await keys()).toEqual(['d-a', ...before, 'z'].sort())
    })

    it('a mirror never deletes a directory marker that holds content: the delete is refused, the bytes stay', async () => {
      const target = s3('content-marker')
      const key = `${target.prefix}notes/`
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: '14 bytes here!' }))
      await mkdir(join(dir, 'cm'))
      await writeFile(join(dir, 'cm', 'a.txt'), 'a')
      const events = await lastValueFrom(
        sync(local('cm'), target, { mode: 'mirror', maxDelete: { count: 0 } }).pipe(toArray()),
      )
      expect(events.filter((e) => e.type === 'completed').map((e) => e.type === 'completed' && e.action.path)).toEqual([
        'a.txt',
      ])
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key }))
      expect(head.ContentLength).toBe(14)
      // Without --max-delete too: refused, said, and kept.
      const again = await lastValueFrom(sync(local('cm'), target, { mode: 'mirror' }).pipe(toArray()))
      expect(again.filter((e) => e.type === 'failed')).toEqual([
        expect.objectContaining({
          path: 'notes',
          error: expect.objectContaining({
            code: 'UNSUPPORTED',
            message: expect.stringContaining('holds 14 bytes: not deleted'),
          }),
        }),
      ])
      expect((await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key }))).ContentLength).toBe(14)
    })

    it('stores the mtime to the nanosecond, on upload and on touch, as rclone compares it', async () => {
      const src = join(dir, 'ns')
      await mkdir(src)
      await writeFile(join(src, 'a.txt'), 'a')
      await writeFile(join(src, 'b.txt'), 'b')
      // (Node's utimes takes a double of seconds: coreutils sets the nanoseconds exactly.)
      execFileSync('touch', ['-m', '-d', '@1600000000.123456789', join(src, 'a.txt')])
      execFileSync('touch', ['-m', '-d', '@1500000000.000000001', join(src, 'b.txt')])
      const target = s3('ns')
      const stored = async (key: string) =>
        (await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}${key}` }))).Metadata?.mtime
      expect((await run(local('ns'), target, { mode: 'mirror' })).sort()).toEqual(['copy a.txt', 'copy b.txt'])
      expect(await stored('a.txt')).toBe('1600000000.123456789')
      expect(await stored('b.txt')).toBe('1500000000.000000001')
      // Only the mtime changes: the object is re-stamped, to the nanosecond too.
      execFileSync('touch', ['-m', '-d', '@1600000000.987654321', join(src, 'a.txt')])
      expect(await run(local('ns'), target, { mode: 'mirror', compare: 'checksum' })).toEqual(['touch a.txt'])
      expect(await stored('a.txt')).toBe('1600000000.987654321')
    })
  })

  describe('S3 → S3', () => {
    it('an interrupted run counts every server-side copy that landed as done, and records it (QA 17 #3)', async () => {
      const source = s3('intr-src')
      const keys = Array.from({ length: 120 }, (_, i) => `k${String(i).padStart(3, '0')}`)
      await Promise.all(
        keys.map((k) => raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${source.prefix}${k}`, Body: k }))),
      )
      const target = s3('intr-dst')
      const state = new MemoryStateStore()
      const abort = new AbortController()
      let done = 0
      const events = await lastValueFrom(
        sync(source, target, { mode: 'mirror', state, signal: abort.signal, concurrency: 16 }).pipe(
          tap((e) => {
            // Stopped while copies are in flight: the 17th lane's worth are under way.
            if (e.type === 'completed' && ++done === 20) abort.abort()
          }),
          toArray(),
        ),
      )
      const completed = events.flatMap((e) => (e.type === 'completed' ? [e.action.path as string] : []))
      const listed = await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: target.prefix }))
      const landed = (listed.Contents ?? []).map((o) => o.Key!.slice(target.prefix.length))
      expect(completed.length).toBeLessThan(keys.length)
      expect(landed.sort()).toEqual(completed.sort())
      const records = await state.getMany(landed as RelPath[])
      expect(records.every((r) => r !== undefined)).toBe(true)
    })

    it("keeps another tool's mtime to the nanosecond when it only re-stamps an object (touch)", async () => {
      const source = s3('ns-touch-src')
      const target = s3('ns-touch-dst')
      const put = (b: typeof source, mtime: string) =>
        raw.send(
          new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}t.txt`, Body: 'same', Metadata: { mtime } }),
        )
      await put(source, '1600000000.123456789')
      await put(target, '1500000000.000000000')
      expect(await run(source, target, { mode: 'mirror' })).toEqual(['touch t.txt'])
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}t.txt` }))
      expect(head.Metadata?.mtime).toBe('1600000000.123456789')
    })

    it("keeps another tool's mtime to the nanosecond on the server-side copy", async () => {
      const source = s3('ns-src')
      await raw.send(
        new PutObjectCommand({
          Bucket: env.bucket,
          Key: `${source.prefix}r.txt`,
          Body: 'r',
          Metadata: { mtime: '1600000000.123456789' },
        }),
      )
      const target = s3('ns-dst')
      const events = await lastValueFrom(sync(source, target, { mode: 'mirror' }).pipe(toArray()))
      // A server-side copy: nothing crossed the wire, and it says so.
      expect(events.filter((e) => e.type === 'completed')).toEqual([
        expect.objectContaining({ action: expect.objectContaining({ kind: 'copy', path: 'r.txt' }), bytes: 0 }),
      ])
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}r.txt` }))
      expect(head.Metadata?.mtime).toBe('1600000000.123456789')
    })
  })

  describe('local → S3 with the state store', () => {
    it('an object uploaded again with the same bytes (its mtime lost) gets the mtime back (QA 15 #2)', async () => {
      await mkdir(join(dir, 'st'))
      await writeFile(join(dir, 'st', 'f'), 'data\n')
      const when = new Date('2001-02-03T04:05:06Z')
      await utimes(join(dir, 'st', 'f'), when, when)
      const target = s3('same-etag')
      const state = new MemoryStateStore()
      expect(await run(local('st'), target, { mode: 'mirror', state })).toEqual(['copy f'])
      // Another tool uploads the same bytes later: same ETag, no x-amz-meta-mtime. "Later" by the
      // server's clock, and at once (a script's next command): it used to be trusted within a
      // second of the record.
      const key = `${target.prefix}f`
      const [recorded] = await state.getMany(['f' as RelPath])
      await waitForServerClockPast(recorded?.syncedAt ?? Number.NaN)
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: 'data\n' }))
      expect(await run(local('st'), target, { mode: 'mirror', state })).toEqual(['touch f'])
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key }))
      expect(Number(head.Metadata?.mtime) * 1000).toBe(when.getTime())
      expect(await run(local('st'), target, { mode: 'mirror', state })).toEqual([])
      // Uploaded again with the same bytes and the same mtime (rclone copyto --ignore-times): it
      // is compared once, then the record is stamped again (QA 16 F1: a HEAD on every run after).
      const syncedBefore = (await state.getMany(['f' as RelPath]))[0]?.syncedAt ?? Number.NaN
      await waitForServerClockPast(syncedBefore)
      await raw.send(
        new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: 'data\n', Metadata: head.Metadata ?? {} }),
      )
      expect(await run(local('st'), target, { mode: 'mirror', state })).toEqual([])
      expect((await state.getMany(['f' as RelPath]))[0]?.syncedAt).toBeGreaterThan(syncedBefore)
    })

    // The target's mtime comes from the record where S3 is still what a run left (no HEAD): a run
    // that compared less (--size-only) or more loosely (a wider window) must not record the pair
    // as in sync, or the next default run trusts a stale object, as rclone without them would not.
    it('a --size-only run, or one under a wider modify window, leaves what it skipped to the next run', async () => {
      await mkdir(join(dir, 'so'))
      const file = join(dir, 'so', 'f')
      const at = (ms: number) => utimes(file, new Date(ms), new Date(ms))
      const T = Date.parse('2024-01-01T10:00:00Z')
      await writeFile(file, 'aaaa\n')
      await at(T)
      const target = s3('size-only')
      const state = new MemoryStateStore()
      const storedMtime = async () =>
        Number(
          (await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}f` }))).Metadata?.mtime,
        ) * 1000
      expect(await run(local('so'), target, { mode: 'mirror', state })).toEqual(['copy f'])
      await writeFile(file, 'bbbb\n')
      await at(T + 60_000)
      expect(await run(local('so'), target, { mode: 'mirror', state, compare: 'size-only' })).toEqual([])
      expect(await run(local('so'), target, { mode: 'mirror', state })).toEqual(['update f'])
      expect(await storedMtime()).toBe(T + 60_000)
      expect(await run(local('so'), target, { mode: 'mirror', state })).toEqual([])
      await at(T + 61_500)
      expect(await run(local('so'), target, { mode: 'mirror', state, modifyWindowMs: 2000 })).toEqual([])
      expect(await run(local('so'), target, { mode: 'mirror', state })).toEqual(['touch f'])
      expect(await storedMtime()).toBe(T + 61_500)
      expect(await run(local('so'), target, { mode: 'mirror', state })).toEqual([])
    })

    it('a chmod with a new mtime (same bytes) is carried in one run, with and without the state store (QA 25b #8)', async () => {
      await mkdir(join(dir, 'mm'))
      const file = join(dir, 'mm', 'secret')
      await writeFile(file, 's\n')
      const target = s3('mode-mtime')
      const mode = async (): Promise<string | undefined> =>
        (await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}secret` }))).Metadata?.mode
      const state = new MemoryStateStore()
      expect(await run(local('mm'), target, { mode: 'mirror', state })).toEqual(['copy secret'])
      // The touch set the mtime alone, from the listing's entry (no mode): the chmod came a run later.
      for (const [bits, when, withState] of [
        [0o600, 1_300_000_000, false],
        [0o640, 1_400_000_000, true],
      ] as const) {
        await chmod(file, bits)
        await utimes(file, when, when)
        const opts: SyncOptions = withState ? { mode: 'mirror', state } : { mode: 'mirror' }
        expect(await run(local('mm'), target, opts)).toEqual(['touch secret'])
        expect(await mode()).toBe(`0100${bits.toString(8)}`)
        expect(await run(local('mm'), target, opts)).toEqual([])
      }
    })

    it('an object another tool wrote (no stored mode) gets the source mode, and a restore keeps it (QA 25b #7)', async () => {
      await mkdir(join(dir, 'adopt'))
      const file = join(dir, 'adopt', 'key')
      await writeFile(file, 'secret\n')
      await chmod(file, 0o600)
      const target = s3('adopt')
      // As `aws s3 sync` leaves it: the same bytes, no x-amz-meta-mode or mtime.
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}key`, Body: 'secret\n' }))
      const state = new MemoryStateStore()
      expect(await run(local('adopt'), target, { mode: 'mirror', state })).toEqual(['touch key'])
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}key` }))
      expect(head.Metadata?.mode).toBe('0100600')
      expect(head.Metadata?.mtime).toBeDefined()
      expect(await run(local('adopt'), target, { mode: 'mirror', state })).toEqual([])
      expect(await run(local('adopt'), target, { mode: 'mirror' })).toEqual([])
      expect(await run(target, local('adopt-restored'), { mode: 'mirror' })).toEqual(['copy key'])
      expect((await stat(join(dir, 'adopt-restored', 'key'))).mode & 0o777).toBe(0o600)
    })

    it('an object another tool wrote whose mtime differs too is a chmod+touch (mode and mtime), not a chmod (QA 26h)', async () => {
      await mkdir(join(dir, 'adopt-old'))
      const file = join(dir, 'adopt-old', 'key')
      await writeFile(file, 'secret\n')
      await chmod(file, 0o600)
      await utimes(file, 1_300_000_000, 1_300_000_000)
      const target = s3('adopt-old')
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}key`, Body: 'secret\n' }))
      const events: SyncEvent[] = await lastValueFrom(
        sync(local('adopt-old'), target, { mode: 'mirror' }).pipe(toArray()),
      )
      const completed = events.flatMap((e) => (e.type === 'completed' ? [[e.action.kind, e.action.reason]] : []))
      expect(completed).toEqual([['touch', 'mode and mtime differ']])
      const done = events.at(-1)
      expect(done?.type === 'done' && done.summary.fileModesAndMtimesSet).toEqual({ planned: 1, done: 1 })
      expect(done?.type === 'done' && done.summary.fileModesSet).toBeUndefined()
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}key` }))
      expect(head.Metadata?.mode).toBe('0100600')
      expect(await run(local('adopt-old'), target, { mode: 'mirror' })).toEqual([])
    })

    it('a setuid or setgid file is in sync once uploaded: no chmod on every run without the state store (QA 29d)', async () => {
      // The object keeps 0104755 in its metadata, but S3 reports modes without set-id bits (anyone
      // who may write to the bucket could plant them): compared with the local 04755, every run
      // without a record copied the object onto itself again, and check always found a difference.
      await mkdir(join(dir, 'suid'))
      for (const [name, bits] of [
        ['su', 0o4755],
        ['sg', 0o2750],
      ] as const) {
        await writeFile(join(dir, 'suid', name), name)
        await chmod(join(dir, 'suid', name), bits)
      }
      const target = s3('suid')
      expect((await run(local('suid'), target, { mode: 'mirror' })).sort()).toEqual(['copy sg', 'copy su'])
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}su` }))
      expect(head.Metadata?.mode).toBe('0104755')
      expect(await run(local('suid'), target, { mode: 'mirror' })).toEqual([])
      expect(await run(local('suid'), target, { mode: 'mirror', dryRun: true })).toEqual([])
      // Any other change of the mode is still carried over (uploaded again, as to a local target as
      // root: a chmod in place would store it without the setuid bit, see inPlace).
      await chmod(join(dir, 'suid', 'su'), 0o4700)
      expect(await run(local('suid'), target, { mode: 'mirror' })).toEqual(['update su'])
      const again = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}su` }))
      expect(again.Metadata?.mode).toBe('0104700')
      expect(await run(local('suid'), target, { mode: 'mirror' })).toEqual([])
      expect(await run(target, local('suid-restored'), { mode: 'mirror' })).toHaveLength(2)
      expect((await stat(join(dir, 'suid-restored', 'su'))).mode & 0o7777).toBe(0o700)
    })

    it('a restore onto the tree it was made from keeps its setuid, setgid and sticky bits, which S3 cannot show (QA 31c)', async () => {
      // S3 reads modes back as `& 0o777` (metadata is anyone's with write access to the bucket): a
      // restore of an unchanged backup chmodded every set-id file of the tree to 0755, and an upload
      // of a sticky file stored it again on every run.
      await mkdir(join(dir, 'bits'))
      const bits = { su: 0o4755, sg: 0o2750, st: 0o1755, all: 0o7777, plain: 0o640 } as const
      for (const [name, mode] of Object.entries(bits)) {
        await writeFile(join(dir, 'bits', name), name)
        await chmod(join(dir, 'bits', name), mode)
      }
      const target = s3('bits')
      expect((await run(local('bits'), target, { mode: 'mirror' })).length).toBe(5)
      expect(await run(local('bits'), target, { mode: 'mirror' })).toEqual([])
      expect(await run(target, local('bits'), { mode: 'mirror', dryRun: true })).toEqual([])
      expect(await run(target, local('bits'), { mode: 'mirror' })).toEqual([])
      for (const [name, mode] of Object.entries(bits)) {
        expect([name, (await stat(join(dir, 'bits', name))).mode & 0o7777]).toEqual([name, mode])
      }
      // A change S3 does show is still carried over, both ways.
      await chmod(join(dir, 'bits', 'plain'), 0o600)
      expect(await run(local('bits'), target, { mode: 'mirror' })).toEqual(['touch plain'])
      await chmod(join(dir, 'bits', 'plain'), 0o640)
      expect(await run(target, local('bits'), { mode: 'mirror' })).toEqual(['touch plain'])
      expect((await stat(join(dir, 'bits', 'plain'))).mode & 0o7777).toBe(0o600)
    })

    it('a file dated beyond year 9999 is in sync once uploaded, and restored with its mtime (QA 31c)', async () => {
      // tmpfs and btrfs hold such mtimes (`touch -d @400000000000`); S3 read any beyond year 9999
      // back as the upload time, so every run without a record touched the object again.
      const far = 400_000_000_000_000
      const mem = createMemBackend()
      await mem.write('far' as RelPath, Readable.from([Buffer.from('far')]), { mtimeMs: far })
      const target = s3('far')
      expect(await run(mem, target, { mode: 'mirror' })).toEqual(['copy far'])
      expect(await run(mem, target, { mode: 'mirror' })).toEqual([])
      const back = createMemBackend()
      expect(await run(target, back, { mode: 'mirror' })).toEqual(['copy far'])
      expect((await back.stat('far' as RelPath))?.mtimeMs).toBe(far)
    })

    it('a chmod alone is carried, with and without the state store, and restored (QA 15 #7)', async () => {
      await mkdir(join(dir, 'md'))
      const file = join(dir, 'md', 'secret')
      await writeFile(file, 's\n')
      await chmod(file, 0o600)
      const target = s3('mode')
      const state = new MemoryStateStore()
      expect(await run(local('md'), target, { mode: 'mirror', state })).toEqual(['copy secret'])
      // A chmod alone is a touch said chmod there too: the object copied onto itself with its new mode
      // (server-side), not uploaded again.
      await chmod(file, 0o640)
      expect(await run(local('md'), target, { mode: 'mirror', state })).toEqual(['touch secret'])
      expect(await run(local('md'), target, { mode: 'mirror', state })).toEqual([])
      await chmod(file, 0o604)
      expect(await run(local('md'), target, { mode: 'mirror' })).toEqual(['touch secret'])
      expect(await run(target, local('md-restored'), { mode: 'mirror' })).toEqual(['copy secret'])
      expect((await stat(join(dir, 'md-restored', 'secret'))).mode & 0o777).toBe(0o604)
      // ...and on to a restore that has the file already, with and without state (QA 16 F2).
      const restoreState = new MemoryStateStore()
      expect(await run(target, local('md-restored'), { mode: 'mirror', state: restoreState })).toEqual([])
      // (The object rewritten later than the restore's record by the server's clock, see recordMatches.)
      await waitForServerClockPast((await restoreState.getMany(['secret' as RelPath]))[0]?.syncedAt ?? Number.NaN)
      await chmod(file, 0o640)
      expect(await run(local('md'), target, { mode: 'mirror', state })).toEqual(['touch secret'])
      // Restored to a local target, a chmod alone is set in place (a touch said chmod), not a rewrite.
      expect(await run(target, local('md-restored'), { mode: 'mirror', state: restoreState })).toEqual(['touch secret'])
      expect((await stat(join(dir, 'md-restored', 'secret'))).mode & 0o777).toBe(0o640)
      await chmod(file, 0o600)
      expect(await run(local('md'), target, { mode: 'mirror', state })).toEqual(['touch secret'])
      const inode = (await stat(join(dir, 'md-restored', 'secret'))).ino
      expect(await run(target, local('md-restored'), { mode: 'mirror' })).toEqual(['touch secret'])
      expect((await stat(join(dir, 'md-restored', 'secret'))).mode & 0o777).toBe(0o600)
      expect((await stat(join(dir, 'md-restored', 'secret'))).ino).toBe(inode)
      // --size-only too, from the record (QA 16 F8).
      await chmod(file, 0o644)
      expect(await run(local('md'), target, { mode: 'mirror', state, compare: 'size-only' })).toEqual(['touch secret'])
    })
  })
})
