import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import {
  BACKUP_PATH_TOO_LONG_HINT,
  type Backend,
  type CompletedEvent,
  type RelPath,
  type SyncEvent,
  type SyncOptions,
  sync,
} from '@syncflow/core'
import { listAll, readBytes, readText } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import type { S3Backend } from '../src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

// `backupTo` (--backup-dir) with S3 on the real server: every object a run replaces or deletes is
// kept first under the backup prefix, with its bytes and its stored mtime (x-amz-meta-mtime);
// S3 to S3 on one service by a server-side copy, between S3 and a local directory by the bytes.

const p = (s: string) => s as RelPath
const NEW = 1_700_000_000_000
const OLD = 1_600_000_000_000

async function run(source: Backend, target: Backend, options: Partial<SyncOptions>): Promise<CompletedEvent[]> {
  const events: SyncEvent[] = await lastValueFrom(sync(source, target, { mode: 'mirror', ...options }).pipe(toArray()))
  expect(events.filter((e) => e.type === 'failed')).toEqual([])
  return events.filter((e): e is CompletedEvent => e.type === 'completed')
}

const actions = (done: CompletedEvent[]): string[] => done.map((e) => `${e.action.kind} ${e.action.path}`).sort()

async function put(file: string, body: string | Buffer, mode: number, mtimeMs: number): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, body)
  await chmod(file, mode)
  await utimes(file, mtimeMs / 1000, mtimeMs / 1000)
}

describeS3('sync with backupTo on S3', (env) => {
  let dir: string
  let proxy: CountingProxy
  let raw: S3Client
  const opened: Backend[] = []
  const s3 = (prefix: string, options: Parameters<typeof testBackend>[2] = {}): S3Backend => {
    const b = testBackend(env, { prefix, endpoint: proxy.url, ...options })
    opened.push(b)
    return b
  }
  const local = (root: string): Backend => {
    const b = createLocalBackend({ root })
    opened.push(b)
    return b
  }
  const storedMtime = async (b: S3Backend, path: string): Promise<string | undefined> =>
    (await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}${path}` }))).Metadata?.mtime

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-backup-dir-'))
    proxy = await startCountingProxy(env.endpoint)
    raw = rawClient(env)
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    raw?.destroy()
    await proxy?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('S3 target and S3 backup in one bucket: each replaced or deleted object is copied server-side, old bytes and stored mtime kept', async () => {
    const base = uniquePrefix(env, 'backup-dir')
    const target = s3(`${base}/t`)
    const backup = s3(`${base}/b`)
    // The old objects, as rclone leaves them: mtimes to the nanosecond, which a double of ms cannot hold.
    const seed = async (key: string, body: string, mtime: string, mode = '0100640'): Promise<void> => {
      await raw.send(
        new PutObjectCommand({
          Bucket: env.bucket,
          Key: `${target.prefix}${key}`,
          Body: body,
          Metadata: { mtime, mode },
        }),
      )
    }
    await seed('changed.txt', 'old contents', '1600000000.123456789')
    await seed('gone.txt', 'deleted on the source', '1600000001.000000001', '0100600')
    await seed('d/deep/gone.txt', 'deleted with its directory', '1600000002.5')
    await seed('same.txt', 'same', '1700000000.000000000', '0100644')
    const src = join(dir, 's3-src')
    await put(join(src, 'changed.txt'), 'new contents, longer', 0o644, NEW)
    await put(join(src, 'same.txt'), 'same', 0o644, NEW)
    const before = new Map<string, number | undefined>()
    for (const path of ['changed.txt', 'gone.txt', 'd/deep/gone.txt']) {
      before.set(path, (await target.stat(p(path)))?.mtimeMs)
    }

    proxy.reset()
    const done = await run(local(src), target, { backupTo: backup })
    expect(actions(done)).toEqual(['delete d/deep/gone.txt', 'delete gone.txt', 'update changed.txt'])
    // One CopyObject per object kept, and no GET: no byte of an old object came through this machine.
    expect(proxy.counts.COPY).toBe(3)
    expect(proxy.counts.GET ?? 0).toBe(0)

    expect(await readText(target, 'changed.txt')).toBe('new contents, longer')
    expect((await listAll(target)).filter((e) => e.kind === 'file').map((e) => e.path)).toEqual([
      'changed.txt',
      'same.txt',
    ])
    // The backup holds what was replaced or deleted, and nothing else (not the unchanged object).
    const kept = (await listAll(backup)).filter((e) => e.kind === 'file').map((e) => e.path)
    expect(kept).toEqual(['changed.txt', 'd/deep/gone.txt', 'gone.txt'])
    expect(await readText(backup, 'changed.txt')).toBe('old contents')
    expect(await readText(backup, 'gone.txt')).toBe('deleted on the source')
    expect(await readText(backup, 'd/deep/gone.txt')).toBe('deleted with its directory')
    for (const [path, mtimeMs] of before) {
      const st = await backup.stat(p(path))
      expect(st?.mtimeMs, path).toBe(mtimeMs)
    }
    expect((await backup.stat(p('gone.txt')))?.mode).toBe(0o600)
    // The stored value itself, to the nanosecond.
    expect(await storedMtime(backup, 'changed.txt')).toBe('1600000000.123456789')
    expect(await storedMtime(backup, 'gone.txt')).toBe('1600000001.000000001')
  })

  it('a local target, an S3 backup: the old files are uploaded from the target, with their mtime and mode', async () => {
    const src = join(dir, 'local-src')
    const dst = join(dir, 'local-dst')
    // Above the multipart threshold: kept through the upload that hashes the local file first.
    const big = Buffer.alloc(6 << 20, 7)
    await put(join(src, 'changed.txt'), 'new contents, longer', 0o644, NEW)
    await put(join(dst, 'changed.txt'), 'old contents', 0o640, OLD + 123)
    await put(join(src, 'big.bin'), Buffer.alloc(6 << 20, 8), 0o644, NEW)
    await put(join(dst, 'big.bin'), big, 0o600, OLD + 456)
    await put(join(src, 'same.txt'), 'same', 0o644, NEW)
    await put(join(dst, 'same.txt'), 'same', 0o644, NEW)
    await put(join(dst, 'sub/gone.txt'), 'deleted on the source', 0o604, OLD + 789)
    const before = new Map<string, number>()
    for (const path of ['changed.txt', 'big.bin', 'sub/gone.txt'])
      before.set(path, (await stat(join(dst, path))).mtimeMs)
    const backup = s3(uniquePrefix(env, 'backup-dir-local'), { multipartThreshold: 6 << 20, partSize: 5 << 20 })

    proxy.reset()
    const done = await run(local(src), local(dst), { backupTo: backup })
    expect(actions(done)).toEqual(['delete sub', 'delete sub/gone.txt', 'update big.bin', 'update changed.txt'])
    // The big one in one multipart upload with its MD5 in it from the start: no copy onto itself after.
    expect(proxy.counts.CREATE_MULTIPART).toBe(1)
    expect(proxy.counts.COPY ?? 0).toBe(0)

    expect(await readFile(join(dst, 'changed.txt'), 'utf8')).toBe('new contents, longer')
    const kept = (await listAll(backup)).filter((e) => e.kind === 'file').map((e) => e.path)
    expect(kept).toEqual(['big.bin', 'changed.txt', 'sub/gone.txt'])
    expect(await readText(backup, 'changed.txt')).toBe('old contents')
    expect((await readBytes(backup, 'big.bin')).equals(big)).toBe(true)
    expect(await readText(backup, 'sub/gone.txt')).toBe('deleted on the source')
    for (const [path, mtimeMs] of before) {
      const st = await backup.stat(p(path))
      // x-amz-meta-mtime holds the µs (a local mtime's ns beyond them are not in a double of ms).
      expect(Math.abs((st?.mtimeMs ?? 0) - mtimeMs), path).toBeLessThan(0.001)
    }
    expect((await backup.stat(p('changed.txt')))?.mode).toBe(0o640)
    expect((await backup.stat(p('big.bin')))?.mode).toBe(0o600)
    expect((await backup.stat(p('sub/gone.txt')))?.mode).toBe(0o604)
  })

  // QA 30b: a kept name that S3's 1,024-byte key limit refuses (with its --suffix) was told as
  // "something already in the backup directory is in the way: move it away".
  it('a kept name too long for S3 with its suffix: the file is left as it is, and the hint says the suffix', async () => {
    const src = join(dir, 'long-src')
    const dst = join(dir, 'long-dst')
    const backup = s3(uniquePrefix(env, 'backup-dir-long'))
    // Fits the local target; with the backup's prefix and the suffix, over 1,024 bytes.
    // (Key 1,019 bytes, 1,030 with the suffix; no name over 255 bytes, the local one's limit.)
    let path = 'f.txt'
    while (backup.prefix.length + path.length < 1019 - 250) path = `${'d'.repeat(200)}/${path}`
    path = `${'n'.repeat(1019 - backup.prefix.length - path.length - 1)}/${path}`
    await put(join(src, path), 'new contents, longer', 0o644, NEW)
    await put(join(dst, path), 'old contents', 0o644, OLD)
    const events: SyncEvent[] = await lastValueFrom(
      sync(local(src), local(dst), { mode: 'mirror', backupTo: backup, backupSuffix: '.2026-12-05' }).pipe(toArray()),
    )
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ path, error: { code: 'INVALID_PATH' } })
    const hint = failed[0]?.type === 'failed' ? failed[0].error.hint : undefined
    expect(hint).toContain('use a shorter --suffix')
    expect(hint).not.toContain('in the way')
    expect(await readFile(join(dst, path), 'utf8')).toBe('old contents')
  })

  // Review 30: without a --suffix the hint still told to shorten one; the backup's longer prefix
  // is what made the key too long.
  it('a kept path too long for S3 without a suffix: the hint says the backup location, not a suffix', async () => {
    const src = join(dir, 'long-src2')
    const dst = join(dir, 'long-dst2')
    const backup = s3(`${uniquePrefix(env, 'backup-dir-long2')}${'p'.repeat(40)}/`)
    // Fits the local target; with the backup's longer prefix, over 1,024 bytes.
    let path = 'f.txt'
    while (backup.prefix.length + path.length < 1030 - 250) path = `${'d'.repeat(200)}/${path}`
    path = `${'n'.repeat(1030 - backup.prefix.length - path.length - 1)}/${path}`
    await put(join(src, path), 'new contents, longer', 0o644, NEW)
    await put(join(dst, path), 'old contents', 0o644, OLD)
    const events: SyncEvent[] = await lastValueFrom(
      sync(local(src), local(dst), { mode: 'mirror', backupTo: backup }).pipe(toArray()),
    )
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed).toMatchObject([{ path, error: { code: 'INVALID_PATH', hint: BACKUP_PATH_TOO_LONG_HINT } }])
    expect(BACKUP_PATH_TOO_LONG_HINT).not.toContain('--suffix')
    expect(await readFile(join(dst, path), 'utf8')).toBe('old contents')
  })

  it('an S3 target, a local backup: the old objects are downloaded, with their stored mtime and mode', async () => {
    const target = s3(uniquePrefix(env, 'backup-dir-s3-local'))
    await raw.send(
      new PutObjectCommand({
        Bucket: env.bucket,
        Key: `${target.prefix}changed.txt`,
        Body: 'old contents',
        Metadata: { mtime: '1600000000.123456', mode: '0100640' },
      }),
    )
    await raw.send(
      new PutObjectCommand({
        Bucket: env.bucket,
        Key: `${target.prefix}gone.txt`,
        Body: 'deleted on the source',
        Metadata: { mtime: '1600000001.5', mode: '0100600' },
      }),
    )
    const src = join(dir, 's3-local-src')
    const bak = join(dir, 's3-local-backup')
    await put(join(src, 'changed.txt'), 'new contents, longer', 0o644, NEW)

    const done = await run(local(src), target, { backupTo: local(bak) })
    expect(actions(done)).toEqual(['delete gone.txt', 'update changed.txt'])
    expect(await readFile(join(bak, 'changed.txt'), 'utf8')).toBe('old contents')
    expect(await readFile(join(bak, 'gone.txt'), 'utf8')).toBe('deleted on the source')
    const changed = await stat(join(bak, 'changed.txt'), { bigint: true })
    expect(changed.mtimeNs).toBe(1_600_000_000_123_456_000n)
    expect(Number(changed.mode & 0o7777n)).toBe(0o640)
    const gone = await stat(join(bak, 'gone.txt'))
    expect(gone.mtimeMs).toBe(1_600_000_001_500)
    expect(gone.mode & 0o7777).toBe(0o600)
  })
})
