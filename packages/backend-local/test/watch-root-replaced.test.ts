import { rmSync, writeFileSync } from 'node:fs'
import { mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Change } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { watchLocal } from '../src/local-watch.js'
import { codeOf, tempDir } from './helpers.js'

// QA 23 #1, #2: the inotify watch of the root follows its inode. A root renamed over (`mv src
// src.old; mv src.new src`) or a symlinked root re-pointed kept the old directory watched: what
// was written into the new one was never reported.

/** Watches `root` (its path as given); collects `type path` strings and the `onResync` reasons. */
async function watching(root: string, withResync = true) {
  const seen: string[] = []
  const resyncs: string[] = []
  const abort = new AbortController()
  let failed: unknown
  await new Promise<void>((ready) => {
    watchLocal(root, {
      signal: abort.signal,
      onReady: ready,
      ...(withResync ? { onResync: (reason: string) => resyncs.push(reason) } : {}),
    }).subscribe({
      next: (c: Change) => seen.push(`${c.type} ${c.path}`),
      error: (err: unknown) => (failed = err),
    })
  })
  return { seen, resyncs, abort, failed: () => failed }
}

describe('watchLocal, the root path leading to another directory', () => {
  it('a root swapped by two renames: the new directory is watched, the old one no longer, and onResync says so', async () => {
    const base = await tempDir('root-swap')
    const src = join(base, 'src')
    await mkdir(src)
    await mkdir(join(base, 'src.new'))
    await writeFile(join(base, 'src.new', 'newonly'), 'n')
    const w = await watching(src)
    try {
      await rename(src, join(base, 'src.old'))
      await rename(join(base, 'src.new'), src)
      await expect.poll(() => w.resyncs, { timeout: 10_000 }).toEqual([expect.stringContaining(src)])
      await writeFile(join(base, 'src.old', 'oldside'), 'o')
      await writeFile(join(src, 'another'), 'x')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert another')
      expect(w.seen).not.toContain('upsert oldside')
      expect(w.failed()).toBeUndefined()
    } finally {
      w.abort.abort()
    }
  })

  // QA 28d: `rm -rf src; mkdir src` on ext4 gives the new directory the freed inode, so it passed
  // for the one watched (dev:ino alike), whose watch died with it: nothing made in the new one was
  // reported. The root's own removal, which inotify tells, makes it watched afresh whatever its inode.
  it('a root removed and made again at once (its inode reused, as ext4 does): the new one is watched', async () => {
    const base = await tempDir('root-remade')
    const src = join(base, 'src')
    await mkdir(src)
    await writeFile(join(src, 'old'), 'o')
    const w = await watching(src)
    try {
      const before = (await stat(src)).ino
      await rm(src, { recursive: true })
      await mkdir(src)
      const reused = (await stat(src)).ino === before
      await expect.poll(() => w.resyncs, { timeout: 10_000 }).toEqual([expect.stringContaining(src)])
      if (reused) expect(w.resyncs[0]).toContain('a directory is there again')
      await writeFile(join(src, 'made-after'), 'x')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert made-after')
      expect(w.failed()).toBeUndefined()
    } finally {
      w.abort.abort()
    }
  })

  // Review 28: inotify names a child of the root's own name as it names the root, so a file
  // `src/src` made and removed at once passed for the root's removal: a full resync each time.
  it('a file named as the root, made and removed in it at once: no resync, the root stays watched', async () => {
    const base = await tempDir('root-namesake')
    const src = join(base, 'src')
    await mkdir(src)
    const w = await watching(src)
    try {
      // In one go, as `touch src/src; rm src/src` in a shell: both events are read after it.
      writeFileSync(join(src, 'src'), 'x')
      rmSync(join(src, 'src'))
      // A directory made after: told by the reading of the root that the namesake's events
      // scheduled too (a file would be told at once, by its write's own event), or by a resync.
      await mkdir(join(src, 'after'))
      await expect.poll(() => w.seen.includes('upsert after') || w.resyncs.length > 0, { timeout: 10_000 }).toBe(true)
      expect(w.resyncs).toEqual([])
      expect(w.seen).toContain('upsert after')
      expect(w.failed()).toBeUndefined()
    } finally {
      w.abort.abort()
    }
  })

  it('a symlinked root re-pointed: the directory it leads to now is watched, the old one no longer', async () => {
    const base = await tempDir('root-link')
    await mkdir(join(base, 'v1'))
    await mkdir(join(base, 'v2'))
    const current = join(base, 'current')
    await symlink('v1', current)
    const w = await watching(current)
    try {
      await writeFile(join(base, 'v1', 'before'), 'b')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert before')
      // `ln -s v2 current.new; mv -T current.new current`: an atomic re-point.
      await symlink('v2', join(base, 'current.new'))
      await rename(join(base, 'current.new'), current)
      await expect
        .poll(() => w.resyncs, { timeout: 10_000 })
        .toEqual([`${current} leads to ${join(base, 'v2')} now, no longer to ${join(base, 'v1')}`])
      await writeFile(join(base, 'v1', 'old-side'), 'o')
      await writeFile(join(base, 'v2', 'new-side'), 'n')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert new-side')
      expect(w.seen).not.toContain('upsert old-side')
    } finally {
      w.abort.abort()
    }
  })

  it('a symlinked root left alone is watched as any root, with no resync', async () => {
    const base = await tempDir('root-link')
    await mkdir(join(base, 'v1', 'sub'), { recursive: true })
    await symlink('v1', join(base, 'current'))
    const w = await watching(join(base, 'current'))
    try {
      await writeFile(join(base, 'v1', 'a'), 'a')
      await writeFile(join(base, 'current', 'sub', 'b'), 'b')
      await mkdir(join(base, 'v1', 'made'))
      await writeFile(join(base, 'v1', 'made', 'c'), 'c')
      await expect
        .poll(() => w.seen, { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['upsert a', 'upsert sub/b', 'upsert made', 'upsert made/c']))
      expect(w.resyncs).toEqual([])
      expect(w.failed()).toBeUndefined()
    } finally {
      w.abort.abort()
    }
  })

  it('without onResync, the stream ends with a TRANSIENT error (a lost stream, watched again and rescanned)', async () => {
    const base = await tempDir('root-swap')
    const src = join(base, 'src')
    await mkdir(src)
    await mkdir(join(base, 'src.new'))
    const w = await watching(src, false)
    try {
      await rename(src, join(base, 'src.old'))
      await rename(join(base, 'src.new'), src)
      await expect.poll(() => codeOf(w.failed()), { timeout: 10_000 }).toBe('TRANSIENT')
    } finally {
      w.abort.abort()
    }
  })
})
