import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { type Backend, createPathFilter, type SyncEvent, type SyncOptions, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import { rawClient } from './raw-client.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

async function run(source: Backend, target: Backend, options: SyncOptions): Promise<SyncEvent[]> {
  return lastValueFrom(sync(source, target, options).pipe(toArray()))
}

describeS3('a directory replaced by a file of the same name, S3 target', (env) => {
  const raw = rawClient(env)
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-dir-to-file-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  // The backend's prefix ends with '/'.
  const keys = async (prefix: string) =>
    ((await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: prefix }))).Contents ?? [])
      .map((o) => (o.Key ?? '').slice(prefix.length))
      .sort()

  it('a sync finishes what a run stopped between the file and the deletes left: the keys under the file are deleted', async () => {
    const src = join(dir, 'src')
    await mkdir(join(src, 't'), { recursive: true })
    await writeFile(join(src, 't', 'f1'), '1')
    await writeFile(join(src, 't', 'f2'), '2')
    await writeFile(join(src, 'other'), 'o')
    const target = testBackend(env, 'dir-to-file')
    const source = createLocalBackend({ root: src })
    try {
      expect((await run(source, target, { mode: 'mirror' })).filter((e) => e.type === 'failed')).toEqual([])
      await rm(join(src, 't'), { recursive: true })
      await writeFile(join(src, 't'), 'now a file')
      // What a run killed after uploading `t` and before deleting `t/…` leaves (S3 takes the object
      // beside the keys): `t` is both an object and a prefix.
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}t`, Body: 'now a file' }))
      expect(await keys(target.prefix)).toEqual(['other', 't', 't/f1', 't/f2'])

      const synced = await run(source, target, { mode: 'mirror' })
      expect(synced.filter((e) => e.type === 'failed')).toEqual([])
      expect(await keys(target.prefix)).toEqual(['other', 't'])
      // A listing that only reads (a source, `check`) still says what is wrong with such a bucket.
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}t/late`, Body: 'x' }))
      const errors: string[] = []
      for await (const _ of target.list({ onError: (e) => errors.push(`${e.code} ${e.path}`) })) {
      }
      expect(errors).toEqual(['CONFLICT t'])
    } finally {
      await target.close()
    }
  })

  it('is not written beside a directory with a marker: copy leaves both alone, sync deletes the directory first', async () => {
    const src = join(dir, 'src-marker')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 't'), 'a file')
    const target = testBackend(env, 'dir-marker-to-file')
    const source = createLocalBackend({ root: src })
    try {
      // A directory as another tool (or an empty directory synced earlier) leaves it: a marker.
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}t/`, Body: '' }))
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}t/f1`, Body: '1' }))
      const copied = await run(source, target, { mode: 'copy' })
      expect(copied.flatMap((e) => (e.type === 'failed' ? [[e.path, e.error.code]] : []))).toEqual([['t', 'CONFLICT']])
      expect(await keys(target.prefix)).toEqual(['t/', 't/f1'])
      const synced = await run(source, target, { mode: 'mirror' })
      expect(synced.filter((e) => e.type === 'failed')).toEqual([])
      expect(await keys(target.prefix)).toEqual(['t'])
    } finally {
      await target.close()
    }
  })

  // QA 25b #4: `t.txt` sorts between `t` and `t/…`, so the plan holds the new file `t` until the
  // listing is past the keys under it (holdCopiesBesideDirs); with no marker there is no directory
  // entry at all.
  it.each([
    ['keys between the name and its directory', ['t.txt', 't/f1']],
    ['no marker and no key between', ['t/f1']],
  ])(
    'is not written beside the keys under its name (%s): copy refuses it, sync deletes them first',
    async (_, there) => {
      const src = join(dir, `src-implied-${there.length}`)
      await mkdir(src, { recursive: true })
      await writeFile(join(src, 't'), 'a file')
      const target = testBackend(env, `implied-dir-to-file-${there.length}`)
      const source = createLocalBackend({ root: src })
      try {
        for (const k of there)
          await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}${k}`, Body: k }))
        const copied = await run(source, target, { mode: 'copy' })
        expect(copied.flatMap((e) => (e.type === 'failed' ? [[e.path, e.error.code]] : []))).toEqual([
          ['t', 'CONFLICT'],
        ])
        expect(await keys(target.prefix)).toEqual(there)
        const synced = await run(source, target, { mode: 'mirror' })
        expect(synced.filter((e) => e.type === 'failed')).toEqual([])
        expect(await keys(target.prefix)).toEqual(['t'])
      } finally {
        await target.close()
      }
    },
  )

  // QA 27: keys under `t/` that the filters leave out are kept by a copy and by a mirror: the object
  // `t` was written beside them (every later listing then failed `t`).
  // (`t/`: the directory itself is excluded, its keys never listed, f72d4d8.)
  it.each([
    ['copy', 'f1'],
    ['mirror', 'f1'],
    ['copy', 't/'],
    ['mirror', 't/'],
  ] as const)(
    'is not written beside keys under its name that are excluded (%s, --exclude %s)',
    async (mode, exclude) => {
      const src = join(dir, `src-excluded-${mode}-${exclude.length}`)
      await mkdir(src, { recursive: true })
      await writeFile(join(src, 't'), 'a file')
      const target = testBackend(env, `excluded-below-${mode}-${exclude.length}`)
      const source = createLocalBackend({ root: src })
      try {
        await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${target.prefix}t/f1`, Body: 'kept' }))
        const events = await run(source, target, { mode, filter: createPathFilter({ exclude: [exclude] }) })
        expect(events.flatMap((e) => (e.type === 'failed' ? [[e.path, e.error.code]] : []))).toEqual([
          ['t', 'CONFLICT'],
        ])
        expect(await keys(target.prefix)).toEqual(['t/f1'])
      } finally {
        await target.close()
      }
    },
  )
})
