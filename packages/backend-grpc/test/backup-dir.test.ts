import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { type CompletedEvent, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend, grpcBackend } from '../src/index.js'
import { pseudoRandom, serverBehindProxy } from './helpers.js'

// `backupTo` (--backup-dir) with a grpc:// target and a grpc:// backup on the same real server:
// every file the run replaces (a delta patch among them) or deletes is kept first, with its
// bytes, mtime and mode; a replaced symlink is kept as a symlink.

const env = serverBehindProxy('grpc-backup-dir-')
const OLD = 1_600_000_000_000
const NEW = 1_700_000_000_000

async function put(file: string, body: string | Buffer, mode: number, mtimeMs: number): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, body)
  await chmod(file, mode)
  await utimes(file, mtimeMs / 1000, mtimeMs / 1000)
}

/** A 2 MiB file edited in one place: an update that goes through the delta (signature, patch). */
function edited(base: Buffer): Buffer {
  const b = Buffer.from(base)
  b.fill(0x55, 1_000_000, 1_000_100)
  return b
}

describe('sync with backupTo, a grpc:// target and a grpc:// backup on the same server', () => {
  it('keeps the old bytes, mtime and mode of an updated (delta) and a deleted file, and a replaced symlink', async () => {
    const src = join(env.local, 'src')
    const t = join(env.srv.dir, 't')
    const b = join(env.srv.dir, 'b')
    const base = pseudoRandom(2 << 20, 11)
    await put(join(src, 'big.bin'), edited(base), 0o644, NEW)
    await put(join(t, 'big.bin'), base, 0o640, OLD + 123)
    await put(join(src, 'small.txt'), 'new contents', 0o644, NEW)
    await put(join(t, 'small.txt'), 'old', 0o600, OLD + 456)
    await put(join(src, 'same.txt'), 'same', 0o644, NEW)
    await put(join(t, 'same.txt'), 'same', 0o644, NEW)
    await put(join(t, 'gone.txt'), 'deleted on the source', 0o604, OLD + 789)
    await put(join(t, 'dir/deep/gone.txt'), 'deleted with its directory', 0o640, OLD + 1000)
    await symlink('new-target', join(src, 'ln'))
    await symlink('old-target', join(t, 'ln'))
    await put(join(src, 'sub/ln2'), 'a file now', 0o644, NEW)
    await put(join(t, 'was-file'), 'a file before', 0o640, OLD + 2000)
    await symlink('small.txt', join(src, 'was-file'))
    await mkdir(join(t, 'sub'))
    await symlink('../old-target2', join(t, 'sub/ln2'))

    // The old files' mtimes as the server's filesystem holds them (utimes takes float seconds).
    const old = new Map<string, number>()
    for (const rel of ['big.bin', 'small.txt', 'gone.txt', 'dir/deep/gone.txt', 'was-file'])
      old.set(rel, (await stat(join(t, rel))).mtimeMs)

    const source = createLocalBackend({ root: src })
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/t` })
    const backup = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/b` })
    expect(target.capabilities.symlinks).toBe(true)
    env.proxy.reset()
    let events: SyncEvent[]
    try {
      events = await lastValueFrom(sync(source, target, { mode: 'mirror', backupTo: backup }).pipe(toArray()))
    } finally {
      await Promise.all([source.close(), target.close(), backup.close()])
    }
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    const done = events.filter((e): e is CompletedEvent => e.type === 'completed')
    // The 2 MiB file was patched (a delta), not sent whole, and kept by a copy the server made from
    // its own bytes (its content index): neither moved 2 MiB through this client.
    const big = done.find((e) => e.action.path === 'big.bin')
    expect(big?.action.kind).toBe('update')
    expect(env.proxy.up() + env.proxy.down()).toBeLessThan(base.length / 4)

    // The target is the source now.
    expect((await readFile(join(t, 'big.bin'))).equals(edited(base))).toBe(true)
    expect(await readFile(join(t, 'small.txt'), 'utf8')).toBe('new contents')
    expect(await readlink(join(t, 'ln'))).toBe('new-target')
    expect((await lstat(join(t, 'sub/ln2'))).isFile()).toBe(true)
    expect(await readlink(join(t, 'was-file'))).toBe('small.txt')

    // The backup has each replaced or deleted file as it was, and nothing else.
    const kept = async (rel: string, body: string | Buffer, mode: number): Promise<void> => {
      const file = join(b, rel)
      const bytes = await readFile(file)
      expect(bytes.equals(Buffer.from(body)), rel).toBe(true)
      const st = await stat(file)
      expect(st.mode & 0o7777, rel).toBe(mode)
      expect(st.mtimeMs, rel).toBe(old.get(rel))
    }
    await kept('big.bin', base, 0o640)
    await kept('small.txt', 'old', 0o600)
    await kept('gone.txt', 'deleted on the source', 0o604)
    await kept('dir/deep/gone.txt', 'deleted with its directory', 0o640)
    await kept('was-file', 'a file before', 0o640)
    expect((await lstat(join(b, 'ln'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(b, 'ln'))).toBe('old-target')
    expect((await lstat(join(b, 'sub/ln2'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(b, 'sub/ln2'))).toBe('../old-target2')
    const all = await readdir(b, { recursive: true, withFileTypes: true })
    expect(
      all
        .filter((d) => !d.isDirectory())
        .map((d) => join(d.parentPath, d.name).slice(b.length + 1))
        .sort(),
    ).toEqual(['big.bin', 'dir/deep/gone.txt', 'gone.txt', 'ln', 'small.txt', 'sub/ln2', 'was-file'])
  })
})

describe('a grpc:// backup opened as the CLI opens a --backup-dir (privateDirs)', () => {
  // QA 30b: the directories the server made for the kept files had its umask's 0755, so a file the
  // target kept private by its directory (0700 over 0644) was readable by others in the backup, and
  // a restore from it gave the directory 0755; a local backup directory's are never so.
  it('makes the directories it writes into 0700, and leaves one that exists as it is', async () => {
    const src = join(env.local, 'priv-src')
    const t = join(env.local, 'priv-dst')
    const b = join(env.srv.dir, 'priv-bak')
    await put(join(src, 'secret/deep/key.txt'), 'new key, longer', 0o644, NEW)
    await put(join(t, 'secret/deep/key.txt'), 'old key', 0o644, OLD)
    await chmod(join(t, 'secret/deep'), 0o700)
    await chmod(join(t, 'secret'), 0o700)
    await put(join(src, 'shared/notes.txt'), 'new notes, longer', 0o644, NEW)
    await put(join(t, 'shared/notes.txt'), 'old notes', 0o644, OLD)
    await mkdir(join(b, 'shared'), { recursive: true })
    await chmod(join(b, 'shared'), 0o755)
    const source = createLocalBackend({ root: src })
    const target = createLocalBackend({ root: t })
    const backup = await grpcBackend.open(`grpc://127.0.0.1:${env.srv.server.port}/priv-bak`, { privateDirs: true })
    let events: SyncEvent[]
    try {
      events = await lastValueFrom(sync(source, target, { mode: 'mirror', backupTo: backup }).pipe(toArray()))
    } finally {
      await Promise.all([source.close(), target.close(), backup.close()])
    }
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(await readFile(join(b, 'secret/deep/key.txt'), 'utf8')).toBe('old key')
    expect((await stat(join(b, 'secret'))).mode & 0o777).toBe(0o700)
    expect((await stat(join(b, 'secret/deep'))).mode & 0o777).toBe(0o700)
    expect(await readFile(join(b, 'shared/notes.txt'), 'utf8')).toBe('old notes')
    expect((await stat(join(b, 'shared'))).mode & 0o777).toBe(0o755)
  })
})
