import { realpathSync } from 'node:fs'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readText, rejectionOf, writeText } from '@syncflow/core/testkit'
import { describe, expect, it, vi } from 'vitest'
import { GroupCommit, type SyncFs } from '../src/group-commit.js'
import { createLocalBackend } from '../src/index.js'
import { codeOf, p, tempDir, withoutRootPrivileges } from './helpers.js'

/** A syncfs that records its calls and returns only when the test releases it. */
function heldSyncFs(): { syncfs: SyncFs; calls: string[]; release: () => void; fail: (err: Error) => void } {
  const calls: string[] = []
  let waiting: { resolve: () => void; reject: (e: Error) => void }[] = []
  return {
    calls,
    syncfs: (dir) =>
      new Promise<void>((resolve, reject) => {
        calls.push(dir)
        waiting.push({ resolve, reject })
      }),
    release: () => {
      for (const w of waiting.splice(0)) w.resolve()
    },
    fail: (err) => {
      const ws = waiting
      waiting = []
      for (const w of ws) w.reject(err)
    },
  }
}

describe('group commit (local backend)', () => {
  it('renames small files into place only once the flush that covers them has returned', async () => {
    const root = await tempDir('group')
    const src = await tempDir('group-src')
    const held = heldSyncFs()
    // A group of exactly these two writes: committed when both have joined, never by a timer.
    const groupCommit = { syncfs: held.syncfs, maxFiles: 2, quietMs: 60_000, maxWaitMs: 60_000, minFilesForSyncfs: 1 }
    const target = createLocalBackend({ root, groupCommit })
    const source = createLocalBackend({ root: src })
    await writeFile(join(src, 'copied.txt'), 'by copyFrom')
    const writes = [
      writeText(target, 'a/one.txt', 'streamed'),
      target.copyFrom(source, p('copied.txt'), p('a/two.txt'), { mtimeMs: 1_600_000_000_000 }),
    ]
    await vi.waitFor(() => expect(held.calls).toHaveLength(1))
    // Both written, closed and waiting: under temp names only, nothing under a final name yet.
    const waiting = await readdir(join(root, 'a'))
    expect(waiting).toHaveLength(2)
    expect(waiting.every((n) => n.startsWith('.syncflow-tmp-'))).toBe(true)
    held.release()
    await Promise.all(writes)
    expect((await readdir(join(root, 'a'))).sort()).toEqual(['one.txt', 'two.txt'])
    expect(await readText(target, 'a/two.txt')).toBe('by copyFrom')
  })

  it('commits a full group at once and the rest after a quiet moment, one flush at a time', async () => {
    const root = await tempDir('group-size')
    const held = heldSyncFs()
    const b = createLocalBackend({
      root,
      groupCommit: { syncfs: held.syncfs, maxFiles: 3, quietMs: 5, minFilesForSyncfs: 1 },
    })
    const writes = Array.from({ length: 7 }, (_, i) => writeText(b, `f${i}`, String(i)))
    await vi.waitFor(() => expect(held.calls).toHaveLength(1))
    // The first group (3 files) is flushing; the other 4 wait for it, whatever the timers say.
    expect((await readdir(root)).filter((n) => !n.startsWith('.syncflow-tmp-'))).toEqual([])
    held.release()
    await vi.waitFor(() => expect(held.calls).toHaveLength(2))
    held.release()
    await vi.waitFor(() => expect(held.calls).toHaveLength(3))
    held.release()
    await Promise.all(writes)
    expect((await readdir(root)).sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6'])
  })

  it('commits at once, without waiting for a quiet moment, when every writer is waiting in the group', async () => {
    const root = await tempDir('group-all-waiting')
    const calls: string[] = []
    const syncfs: SyncFs = async (dir) => {
      calls.push(dir)
    }
    // Timers that would never fire within the test: only "nobody else can join" commits these
    // (without it, the writes would wait a minute and the test time out).
    const groupCommit = { syncfs, maxFiles: 100, quietMs: 60_000, maxWaitMs: 60_000, minFilesForSyncfs: 1 }
    const b = createLocalBackend({ root, groupCommit })
    await Promise.all([writeText(b, 'a', '1'), writeText(b, 'b', '2'), writeText(b, 'c', '3')])
    expect((await readdir(root)).sort()).toEqual(['a', 'b', 'c'])
    expect(calls.length).toBeGreaterThan(0)
    expect(new Set(calls)).toEqual(new Set([root]))
  })

  it('a writer that finishes without joining (a big file) no longer holds the group back', async () => {
    const held = heldSyncFs()
    const commit = new GroupCommit({
      syncfs: held.syncfs,
      maxFiles: 100,
      quietMs: 60_000,
      maxWaitMs: 60_000,
      minFilesForSyncfs: 1,
    })
    const small = commit.writer()
    const big = commit.writer()
    const durable = small.durable('/d/small', 1)
    // The big file is still being written: it might join, so the group waits for it.
    await new Promise((r) => setImmediate(r))
    expect(held.calls).toEqual([])
    big.done()
    await vi.waitFor(() => expect(held.calls).toEqual(['/d']))
    held.release()
    await durable
    small.done()
  })

  it.skipIf(process.platform !== 'linux')(
    'flushes through the root by its real path, never by the name of a directory below it that a user may swap for a symlink',
    async () => {
      // `sync -f DIR` opens DIR by name as root: d/ swapped for a symlink to a FIFO or a device had
      // root open that, and a syncfs of another filesystem renamed the group undurable (security review 22).
      const root = await tempDir('group-dir')
      // Only where each flush goes matters here: a flush that returns at once, recorded.
      const calls: string[] = []
      const syncfs: SyncFs = async (dir) => void calls.push(dir)
      const b = createLocalBackend({ root, groupCommit: { syncfs, quietMs: 0, minFilesForSyncfs: 1 } })
      await mkdir(join(root, 'd', 'e'), { recursive: true })
      await Promise.all([writeText(b, 'd/e/one', '1'), writeText(b, 'd/two', '2')])
      expect(calls.length).toBeGreaterThan(0)
      expect(new Set(calls)).toEqual(new Set([realpathSync(root)]))
      expect(await readFile(join(root, 'd', 'e', 'one'), 'utf8')).toBe('1')
    },
  )

  it('falls back to an fsync per file, for good, when the filesystem flush fails', async () => {
    const root = await tempDir('group-fallback')
    const held = heldSyncFs()
    const b = createLocalBackend({ root, groupCommit: { syncfs: held.syncfs, quietMs: 0, minFilesForSyncfs: 1 } })
    const first = writeText(b, 'first', '1')
    await vi.waitFor(() => expect(held.calls).toHaveLength(1))
    held.fail(new Error('sync: invalid option -- f'))
    await first
    await writeText(b, 'second', '2')
    expect(held.calls).toHaveLength(1)
    expect(await readFile(join(root, 'first'), 'utf8')).toBe('1')
    expect(await readFile(join(root, 'second'), 'utf8')).toBe('2')
  })

  it('an abort while a write waits for its group leaves the destination alone and removes the temp file', async () => {
    const root = await tempDir('group-abort')
    const held = heldSyncFs()
    const b = createLocalBackend({ root, groupCommit: { syncfs: held.syncfs, quietMs: 0, minFilesForSyncfs: 1 } })
    const old = writeText(b, 'f', 'old')
    await vi.waitFor(() => expect(held.calls).toHaveLength(1))
    held.release()
    await old
    const abort = new AbortController()
    const writing = writeText(b, 'f', 'new', {}, { signal: abort.signal })
    await vi.waitFor(() => expect(held.calls).toHaveLength(2))
    abort.abort()
    held.release()
    expect(codeOf(await rejectionOf(writing))).toBe('ABORTED')
    expect(await readdir(root)).toEqual(['f'])
  })

  it('flushes each filesystem through a directory on it', async () => {
    const held = heldSyncFs()
    const commit = new GroupCommit({ syncfs: held.syncfs, quietMs: 0, minFilesForSyncfs: 1 })
    const done = [commit.durable('/a/x/1', 1), commit.durable('/b/y/2', 2), commit.durable('/a/z/3', 1)]
    await vi.waitFor(() => expect(held.calls.sort()).toEqual(['/a/x', '/b/y']))
    held.release()
    await Promise.all(done)
    expect(commit.groups).toBe(1)
  })

  it("flushes a device through the directory it used before, or the group's own when that one is gone", async () => {
    const calls: string[] = []
    const gone = new Set<string>()
    const syncfs: SyncFs = async (dir) => {
      calls.push(dir)
      if (gone.has(dir)) throw new Error(`sync -f ${dir} failed`)
    }
    const commit = new GroupCommit({ syncfs, quietMs: 0, minFilesForSyncfs: 1 })
    await commit.durable('/d1/f', 1)
    await commit.durable('/d2/f', 1)
    gone.add('/d1')
    await commit.durable('/d3/f', 1)
    expect(calls).toEqual(['/d1', '/d1', '/d1', '/d3'])
    expect(commit.flushesFilesystem).toBe(true)
  })

  it('fsyncs a group of fewer than minFilesForSyncfs files one by one, without a filesystem flush', async () => {
    const root = await tempDir('group-small')
    const held = heldSyncFs()
    const b = createLocalBackend({ root, groupCommit: { syncfs: held.syncfs, quietMs: 0, minFilesForSyncfs: 4 } })
    await Promise.all([writeText(b, 'a', '1'), writeText(b, 'b', '2')])
    expect(held.calls).toEqual([])
    expect((await readdir(root)).sort()).toEqual(['a', 'b'])
  })

  it('without a group commit every write is fsynced on its own, and the capability is not announced', async () => {
    const root = await tempDir('group-off')
    const b = createLocalBackend({ root, groupCommit: false })
    expect(b.capabilities.groupCommit).toBeUndefined()
    await writeText(b, 'f', 'x')
    expect(await readText(b, 'f')).toBe('x')
    expect(createLocalBackend({ root }).capabilities.groupCommit).toBe(256)
  })

  it.skipIf(process.platform !== 'linux')('flushes through coreutils `sync -f` (syncfs) on Linux', async () => {
    const root = await tempDir('group-real')
    await writeFile(join(root, 'f'), 'x')
    const commit = new GroupCommit({ quietMs: 0, minFilesForSyncfs: 1 })
    expect(commit.flushesFilesystem).toBe(true)
    await commit.durable(join(root, 'f'), 0)
    // Still true: `sync -f` ran and succeeded (a failure would have switched to fsync per file).
    expect(commit.flushesFilesystem).toBe(true)
    const b = createLocalBackend({ root })
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeText(b, `d/f${i}`, String(i))))
    expect((await readdir(join(root, 'd'))).length).toBe(20)
  })
})

// QA 29d: a file whose mode lets its owner not read it (0000, 0200: restored from S3, or sent to a
// `syncflow serve` run by a user) was made durable by opening it again by name once its mode was
// set, which only root may do: as any other user every such write failed (EACCES), where rsync
// writes it. It is fsynced through the handle it was written with instead.
it('writes a file its owner may not read (mode 0000, 0200) as a user other than root, alone or in a group', async (t) => {
  const root = await tempDir('group-unreadable')
  const ran = await withoutRootPrivileges(async () => {
    const target = createLocalBackend({ root })
    const modes: Record<string, number> = {}
    try {
      for (const [name, mode] of [
        ['zero', 0o000],
        ['write-only', 0o200],
        ['exec-only', 0o100],
      ] as const) {
        await writeText(target, name, name, { mode, mtimeMs: 1_600_000_000_000 })
        modes[name] = (await stat(join(root, name))).mode & 0o7777
      }
      // A group of several at once (flushed by syncfs, or each fsynced when that fails).
      await Promise.all(
        ['g1', 'g2', 'g3', 'g4'].map((name) =>
          writeText(target, name, name, { mode: 0o000, mtimeMs: 1_600_000_000_000 }),
        ),
      )
      for (const name of ['g1', 'g2', 'g3', 'g4']) modes[name] = (await stat(join(root, name))).mode & 0o7777
    } finally {
      await target.close()
    }
    return modes
  }, root)
  if (ran === undefined) return t.skip('running as root without seteuid(): cannot act as a user other than root')
  expect(ran.value).toEqual({ zero: 0, 'write-only': 0o200, 'exec-only': 0o100, g1: 0, g2: 0, g3: 0, g4: 0 })
})
