import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import {
  type Backend,
  type BisyncOptions,
  bisync,
  type DoneEvent,
  MemoryStateStore,
  type RelPath,
  type SyncEvent,
} from '@syncflow/core'
import { continuousBisync } from '@syncflow/core/continuous'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import { rawClient } from './raw-client.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

// Two-way sync between a local directory and a bucket prefix, against the real server: S3's listing
// gives upload times, not the mtimes it stores, so the run must not take that difference for an edit.
describeS3('bisync between a local directory and S3', (env) => {
  const raw = rawClient(env)
  const opened: Backend[] = []
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-bisync-'))
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    raw.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  /** A side of the local directory `dir/NAME` (the test makes it first), one of a fresh prefix, and an empty record store. */
  function sides(name: string) {
    const a = createLocalBackend({ root: join(dir, name) })
    const b = testBackend(env, `bisync-${name}`)
    opened.push(a, b)
    return { a, b, state: new MemoryStateStore() }
  }

  /** The `to path` of each action a run planned, sorted; fails on any failure. */
  async function run(
    a: Backend,
    b: Backend,
    state: MemoryStateStore,
    opts: Partial<BisyncOptions> = {},
  ): Promise<string[]> {
    const events: SyncEvent[] = await lastValueFrom(bisync(a, b, { state, ...opts }).pipe(toArray()))
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    return events
      .flatMap((e) => (e.type === 'planned' ? [`${e.action.to} ${e.action.kind} ${e.action.path}`] : []))
      .sort()
  }

  it('takes the same files on both sides as in sync on a first run, then carries an edit made in the bucket', async () => {
    const local = join(dir, 'same')
    await mkdir(local)
    const { a, b, state } = sides('same')
    await writeFile(join(local, 'one.txt'), 'one')
    await utimes(join(local, 'one.txt'), 1_700_000_000, 1_700_000_000)
    expect(await run(a, b, state)).toEqual(['b copy one.txt'])
    // A second side with the same file, uploaded by this run: a fresh job (no records) compares the
    // stored mtime, not the upload time, and finds them the same.
    expect(await run(a, b, new MemoryStateStore())).toEqual([])
    expect(await run(a, b, state)).toEqual([])
    // An edit made in the bucket by another tool (no stored mtime: its upload time is its mtime).
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}one.txt`, Body: 'edited in s3' }))
    expect(await run(a, b, state)).toEqual(['a update one.txt'])
    expect(await readFile(join(local, 'one.txt'), 'utf8')).toBe('edited in s3')
    expect(await run(a, b, state)).toEqual([])
    // And an edit made locally goes up.
    await writeFile(join(local, 'one.txt'), 'edited locally')
    expect(await run(a, b, state)).toEqual(['b update one.txt'])
    const got = await raw.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}one.txt` }))
    expect(await got.Body?.transformToString()).toBe('edited locally')
  })

  it('carries deletes inside directories both ways (directories S3 implies by its keys are recorded too: their records vouch for what they hold)', async () => {
    const local = join(dir, 'deletes')
    for (const f of ['d/e/one.txt', 'd/two.txt', 'd/e/three.txt']) {
      await mkdir(join(local, f, '..'), { recursive: true })
      await writeFile(join(local, f), f)
    }
    const { a, b, state } = sides('deletes')
    expect(await run(a, b, state)).toEqual(['b copy d/e/one.txt', 'b copy d/e/three.txt', 'b copy d/two.txt'])
    expect(await run(a, b, state)).toEqual([])
    await rm(join(local, 'd/e/one.txt'))
    await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}d/two.txt` }))
    expect(await run(a, b, state)).toEqual(['a delete d/two.txt', 'b delete d/e/one.txt'])
    await expect(stat(join(local, 'd/two.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await run(a, b, state)).toEqual([])
  })

  it('watch --bisync: the bucket, which has no change events, is compared by a pass every poll interval', async () => {
    const local = join(dir, 'watched')
    await mkdir(local)
    const { a, b } = sides('watched')
    await writeFile(join(local, 'start.txt'), 'start')
    const controller = new AbortController()
    const events: SyncEvent[] = []
    const ended = new Promise<void>((resolve, reject) => {
      continuousBisync(a, b, {
        state: new MemoryStateStore(),
        debounceMs: 20,
        pollMs: 200,
        rescanMs: 0,
        signal: controller.signal,
      }).subscribe({ next: (e) => events.push(e), error: reject, complete: resolve })
    })
    try {
      const key = (path: string) => ({ Bucket: env.bucket, Key: `${b.prefix}${path}` })
      const body = async (path: string) =>
        (await raw.send(new GetObjectCommand(key(path))).catch(() => undefined))?.Body?.transformToString()
      await expect.poll(() => body('start.txt')).toBe('start')
      // Said once: the bucket is polled by passes.
      expect(events.filter((e) => e.type === 'notice' && e.code === 'POLLING')).toHaveLength(1)
      // Put by another tool: found by a later pass and brought down.
      await raw.send(new PutObjectCommand({ ...key('from-s3.txt'), Body: 'uploaded elsewhere' }))
      await expect
        .poll(() => readFile(join(local, 'from-s3.txt'), 'utf8').catch(() => undefined))
        .toBe('uploaded elsewhere')
      // A local edit goes up (the local side's watcher starts that pass).
      await writeFile(join(local, 'start.txt'), 'edited locally')
      await expect.poll(() => body('start.txt')).toBe('edited locally')
      expect(events.filter((e) => e.type === 'failed')).toEqual([])
    } finally {
      controller.abort()
      await ended
    }
    const last = events.at(-1) as DoneEvent
    expect(last.summary).toMatchObject({ mode: 'watch', interrupted: true, failed: 0 })
    // Passes that found nothing (most of the polls) are not reported: each cycle reported did something
    // (but the one the stop cut short, which says so).
    const cycles = events.filter(
      (e): e is DoneEvent => e.type === 'done' && e.cycle !== undefined && !e.summary.interrupted,
    )
    expect(cycles.length).toBeGreaterThanOrEqual(3)
    for (const d of cycles)
      expect(
        Object.values(d.summary.done).reduce((n, c) => n + c, 0),
        JSON.stringify(d),
      ).toBeGreaterThan(0)
  })

  it('--checksum: a local file touched (same bytes) gets its mtime carried to the object, no upload; same bytes uploaded again are no copy', async () => {
    const local = join(dir, 'checksum')
    await mkdir(local)
    const { a, b, state } = sides('checksum')
    await writeFile(join(local, 'one.txt'), 'one')
    await utimes(join(local, 'one.txt'), 1_700_000_000, 1_700_000_000)
    expect(await run(a, b, state)).toEqual(['b copy one.txt'])
    await utimes(join(local, 'one.txt'), 1_700_000_500, 1_700_000_500)
    expect(await run(a, b, state, { compare: 'checksum' })).toEqual(['b touch one.txt'])
    expect((await b.stat('one.txt' as RelPath))?.mtimeMs).toBe(1_700_000_500_000)
    // Carried, not only recorded: without -c, and with no records, the two are the same.
    expect(await run(a, b, state)).toEqual([])
    expect(await run(a, b, new MemoryStateStore())).toEqual([])
    // The same bytes uploaded again by another tool (its upload time as mtime), a while after the
    // last run (a listing's upload time is to the second: one within the record's second is not
    // seen, with or without -c): only that time comes down.
    const [rec] = await state.getMany(['one.txt' as RelPath])
    await state.setMany([['one.txt' as RelPath, { ...rec!, syncedAt: rec!.syncedAt - 10_000 }]])
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}one.txt`, Body: 'one' }))
    expect(await run(a, b, state, { compare: 'checksum' })).toEqual(['a touch one.txt'])
    expect(await readFile(join(local, 'one.txt'), 'utf8')).toBe('one')
    expect((await stat(join(local, 'one.txt'))).mtimeMs).toBe((await b.stat('one.txt' as RelPath))?.mtimeMs)
    expect(await run(a, b, state)).toEqual([])
  })

  it('keeps an empty local directory, which the bucket cannot hold: no mkdir said, and no delete of it on the next runs', async () => {
    // Review of S3: bisync said "created emptyd (A → B)" (S3 holds no empty directory), recorded
    // it on both sides, and the next run, not finding it in the listing, deleted it locally.
    const local = join(dir, 'empty-dir')
    await mkdir(join(local, 'emptyd'), { recursive: true })
    await writeFile(join(local, 'f.txt'), 'f')
    const { a, b, state } = sides('empty-dir')
    expect(await run(a, b, state)).toEqual(['b copy f.txt'])
    for (let i = 0; i < 2; i++) {
      expect(await run(a, b, state)).toEqual([])
      expect((await stat(join(local, 'emptyd'))).isDirectory()).toBe(true)
    }
  })

  it('--conflict newer: of two versions of different sizes, the newer by mtime wins, not the one uploaded last', async () => {
    // The listing gives an object's upload time; its mtime is in its metadata. Only files of one size
    // were stat'ed for it: of two of different sizes the one uploaded last (another host's `syncflow
    // copy` of an older edit) won `--conflict newer`, and the newer local edit was overwritten.
    const local = join(dir, 'newer')
    await mkdir(local)
    const { a, b, state } = sides('newer')
    const now = Math.floor(Date.now() / 1000)
    await writeFile(join(local, 'f.txt'), 'v1')
    await utimes(join(local, 'f.txt'), now - 3 * 3600, now - 3 * 3600)
    expect(await run(a, b, state)).toEqual(['b copy f.txt'])
    // The local edit, ten minutes ago; then another host's edit of an hour ago uploaded now.
    await writeFile(join(local, 'f.txt'), 'the local edit, the newest')
    await utimes(join(local, 'f.txt'), now - 600, now - 600)
    await raw.send(
      new PutObjectCommand({
        Bucket: env.bucket,
        Key: `${b.prefix}f.txt`,
        Body: 'an older edit',
        Metadata: { mtime: `${now - 3600}`, mode: '0100644' },
      }),
    )
    expect(await run(a, b, state, { conflict: 'newer' })).toEqual(['b update f.txt'])
    expect(await readFile(join(local, 'f.txt'), 'utf8')).toBe('the local edit, the newest')
    const got = await raw.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}f.txt` }))
    expect(await got.Body?.transformToString()).toBe('the local edit, the newest')
  })

  it('a directory replaced by a file in the bucket replaces the local directory (its files deleted there too), not failing every run', async () => {
    // The bucket holds no directories: the local directory `f`, emptied by the deletes, was left
    // (neither made nor deleted on a side that cannot hold it), and the copy of the file `f` failed
    // "a directory is in the way … fix what held the deletes back" on every run, for ever.
    const local = join(dir, 'dir-to-file')
    await mkdir(join(local, 'f'), { recursive: true })
    await writeFile(join(local, 'f', 'in.txt'), 'in')
    await writeFile(join(local, 'keep.txt'), 'keep')
    const { a, b, state } = sides('dir-to-file')
    expect(await run(a, b, state)).toEqual(['b copy f/in.txt', 'b copy keep.txt'])
    await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}f/in.txt` }))
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}f`, Body: 'a file now' }))
    expect(await run(a, b, state)).toEqual(['a copy f', 'a delete f', 'a delete f/in.txt'])
    expect(await readFile(join(local, 'f'), 'utf8')).toBe('a file now')
    expect(await run(a, b, state)).toEqual([])
  })

  it('a directory with a subdirectory, replaced by a file in the bucket, replaces the local tree (its subdirectories too)', async () => {
    // Only the directory of the file's name was deleted: its subdirectory `f/sub` (which the bucket
    // holds no directory for either) stayed, so `f` was "not empty", the copy of the object `f`
    // failed "a directory is in the way" (exit 1), and the next run kept the bucket's file aside
    // as a conflict copy of a directory that holds nothing.
    const local = join(dir, 'dir-tree-to-file')
    await mkdir(join(local, 'f', 'sub'), { recursive: true })
    await writeFile(join(local, 'f', 'in.txt'), 'in')
    await writeFile(join(local, 'f', 'sub', 'deep.txt'), 'deep')
    await writeFile(join(local, 'keep1.txt'), 'keep')
    await writeFile(join(local, 'keep2.txt'), 'keep')
    await writeFile(join(local, 'keep3.txt'), 'keep')
    const { a, b, state } = sides('dir-tree-to-file')
    await run(a, b, state)
    await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}f/in.txt` }))
    await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}f/sub/deep.txt` }))
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}f`, Body: 'a file now' }))
    expect(await run(a, b, state)).toEqual([
      'a copy f',
      'a delete f',
      'a delete f/in.txt',
      'a delete f/sub',
      'a delete f/sub/deep.txt',
    ])
    expect(await readFile(join(local, 'f'), 'utf8')).toBe('a file now')
    expect(await run(a, b, state)).toEqual([])
  })

  it('an empty local directory never synced keeps its name against an object of that name: the file is kept beside it', async () => {
    // Left as it is (a user's directory), the copy of the object failed "a directory is in the way …
    // fix what held the deletes back" on every run, though no delete was held back.
    const local = join(dir, 'empty-dir-vs-object')
    await mkdir(join(local, 'f'), { recursive: true })
    const { a, b, state } = sides('empty-dir-vs-object')
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}f`, Body: 'an object' }))
    const planned = await run(a, b, state, { now: () => new Date(Date.UTC(2026, 11, 6, 23, 30, 0)) })
    expect(planned).toContain('a copy f.sync-conflict-20261206-233000-B')
    expect((await stat(join(local, 'f'))).isDirectory()).toBe(true)
    expect(await readFile(join(local, 'f.sync-conflict-20261206-233000-B'), 'utf8')).toBe('an object')
    expect(await run(a, b, state)).toEqual([])
  })

  it('an object that is also the prefix of other keys (x and x/y): the directory keeps the name on the first run, the object is kept beside it', async () => {
    // Both went to the local side: x/y made the directory x, and the copy of the object x then failed
    // "a directory is in the way … fix what held the deletes back" (no delete was held back); only
    // the next run found the clash.
    const local = join(dir, 'object-and-prefix')
    await mkdir(local)
    const { a, b, state } = sides('object-and-prefix')
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}x`, Body: 'the object' }))
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}x/y`, Body: 'below it' }))
    const planned = await run(a, b, state, { now: () => new Date(Date.UTC(2026, 11, 7, 21, 0, 0)) })
    expect(planned).toContain('a copy x.sync-conflict-20261207-210000-B')
    expect(planned).toContain('a copy x/y')
    expect(await readFile(join(local, 'x', 'y'), 'utf8')).toBe('below it')
    expect(await readFile(join(local, 'x.sync-conflict-20261207-210000-B'), 'utf8')).toBe('the object')
    // (Moved aside in the bucket too: the two sides agree, and the next run has nothing to do.)
    expect(await run(a, b, state)).toEqual([])
  })
})
