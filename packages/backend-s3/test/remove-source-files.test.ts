import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Backend, type RelPath, type SyncEvent, type SyncOptions, sync } from '@syncflow/core'
import { listAll, readText } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import type { S3Backend } from '../src/index.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

// `removeSourceFiles` (syncflow move) to and from S3 on the real server: each source file goes once
// the other side holds it, and one the other side holds with other bytes (same size, same mtime)
// stays, told apart by the MD5 S3 lists and the local file's.

const p = (s: string) => s as RelPath
const T = new Date('2026-01-02T03:04:05Z')

async function run(source: Backend, target: Backend, options: Partial<SyncOptions> = {}): Promise<SyncEvent[]> {
  return lastValueFrom(sync(source, target, { mode: 'copy', removeSourceFiles: true, ...options }).pipe(toArray()))
}
const removed = (events: SyncEvent[]) => events.flatMap((e) => (e.type === 'removed' ? [e.path] : [])).sort()
const failed = (events: SyncEvent[]) => events.flatMap((e) => (e.type === 'failed' ? [[e.path, e.error.code]] : []))

describeS3('move to and from S3', (env) => {
  let dir: string
  const opened: Backend[] = []
  const s3 = (prefix: string): S3Backend => {
    const b = testBackend(env, { prefix })
    opened.push(b)
    return b
  }
  const local = (root: string): Backend => {
    const b = createLocalBackend({ root })
    opened.push(b)
    return b
  }
  const put = async (root: string, files: Record<string, string>) => {
    for (const [path, body] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true })
      await writeFile(join(root, path), body)
      await utimes(join(root, path), T, T)
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-move-'))
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('local to S3: moves the files, comparing by content: an object of other bytes, same size and mtime, is replaced', async () => {
    const base = uniquePrefix(env, 'move-up')
    const src = join(dir, 'up')
    // Objects already there: one the same as the local file, one of other bytes of the same size and mtime.
    await put(src, { 'same.txt': 'same', 'differs.txt': 'three' })
    const target = s3(base)
    expect(failed(await lastValueFrom(sync(local(src), target, { mode: 'copy' }).pipe(toArray())))).toEqual([])
    await put(src, { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'differs.txt': 'THREE' })

    const events = await run(local(src), target)
    expect(failed(events)).toEqual([])
    expect(removed(events)).toEqual(['a.txt', 'differs.txt', 'same.txt', 'sub/b.txt'])
    // (Told apart by the MD5 the listing gives and the local file's: the object is the source's now.)
    expect(await readText(target, p('differs.txt'))).toBe('THREE')
    expect(await readdir(src, { recursive: true })).toEqual(['sub'])
  })

  it('local to S3 with size-only: an object of other bytes of the same size keeps its source file', async () => {
    const base = uniquePrefix(env, 'move-up-size')
    const src = join(dir, 'up-size')
    await put(src, { 'differs.txt': 'three' })
    const target = s3(base)
    await lastValueFrom(sync(local(src), target, { mode: 'copy' }).pipe(toArray()))
    await put(src, { 'differs.txt': 'THREE' })

    const events = await run(local(src), target, { compare: 'size-only' })
    expect(failed(events)).toEqual([['differs.txt', 'CONFLICT']])
    expect(await readText(target, p('differs.txt'))).toBe('three')
    expect(await readFile(join(src, 'differs.txt'), 'utf8')).toBe('THREE')
  })

  it('S3 to local: the objects the directory now holds are deleted from the bucket', async () => {
    const base = uniquePrefix(env, 'move-down')
    const staging = join(dir, 'staging')
    await put(staging, { 'x.txt': 'ex', 'd/y.txt': 'why' })
    await lastValueFrom(sync(local(staging), s3(base), { mode: 'copy' }).pipe(toArray()))
    const dst = join(dir, 'down')

    const events = await run(s3(base), local(dst))
    expect(failed(events)).toEqual([])
    expect(removed(events)).toEqual(['d/y.txt', 'x.txt'])
    expect(await readFile(join(dst, 'd/y.txt'), 'utf8')).toBe('why')
    expect((await listAll(s3(base))).filter((e) => e.kind === 'file')).toEqual([])
  })

  it('S3 to S3: a server-side copy then a delete, said as such (copied, removed), not as a rename', async () => {
    const from = uniquePrefix(env, 'move-from')
    const to = uniquePrefix(env, 'move-to')
    const staging = join(dir, 'staging-s3')
    await put(staging, { 'x.txt': 'ex', 'd/y.txt': 'why' })
    await lastValueFrom(sync(local(staging), s3(from), { mode: 'copy' }).pipe(toArray()))

    const events = await run(s3(from), s3(to))
    expect(failed(events)).toEqual([])
    expect(removed(events)).toEqual(['d/y.txt', 'x.txt'])
    // The copy's ETag equals the source's, yet nothing was renamed: no `moved` in the summary, whose
    // per-file lines said `copied` (review: the summary said "moved 2 files" after two `copied`).
    expect(events.some((e) => e.type === 'removed' && e.renamed)).toBe(false)
    const done = events.find((e) => e.type === 'done')
    expect(done?.type === 'done' && done.summary).toMatchObject({ sourceRemoved: 2, done: { copy: 2 } })
    expect(done?.type === 'done' && done.summary.moved).toBeUndefined()
    expect(await readText(s3(to), p('d/y.txt'))).toBe('why')
    expect((await listAll(s3(from))).filter((e) => e.kind === 'file')).toEqual([])
  })
})
