import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Change } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { watchLocal } from '../src/local-watch.js'
import { tempDir } from './helpers.js'

/** Collects `type path` strings; resolves once the watcher reports (writes a probe until it does). */
async function watching(root: string) {
  const seen: string[] = []
  const abort = new AbortController()
  let completed = false
  const sub = watchLocal(root, {
    signal: abort.signal,
    ignoreName: (n) => n.startsWith('.syncflow-tmp-'),
  }).subscribe({
    next: (c: Change) => seen.push(`${c.type} ${c.path}`),
    complete: () => (completed = true),
  })
  // The watcher starts asynchronously: write a probe until its event shows it is live.
  let n = 0
  await expect
    .poll(async () => {
      await writeFile(join(root, 'probe'), String(n++))
      return seen.some((s) => s.endsWith(' probe'))
    })
    .toBe(true)
  seen.length = 0
  return { seen, abort, sub, completed: () => completed }
}

describe('watchLocal', () => {
  it('reports writes, new directories, renames and deletes as upserts and removes', async () => {
    const root = await tempDir('watch')
    const w = await watching(root)
    await mkdir(join(root, 'dir'))
    await writeFile(join(root, 'dir', 'a.txt'), 'a')
    await expect.poll(() => w.seen).toEqual(expect.arrayContaining(['upsert dir', 'upsert dir/a.txt']))
    await rename(join(root, 'dir', 'a.txt'), join(root, 'b.txt'))
    await expect.poll(() => w.seen).toEqual(expect.arrayContaining(['remove dir/a.txt', 'upsert b.txt']))
    await rm(join(root, 'b.txt'))
    await expect.poll(() => w.seen).toContain('remove b.txt')
    w.abort.abort()
    expect(w.completed()).toBe(true)
  })

  it('never reports its own temp files', async () => {
    const root = await tempDir('watch')
    const w = await watching(root)
    await writeFile(join(root, '.syncflow-tmp-1-abcdef012345'), 'x')
    await writeFile(join(root, 'after'), 'y')
    await expect.poll(() => w.seen).toContain('upsert after')
    expect(w.seen.some((s) => s.includes('syncflow-tmp'))).toBe(false)
    w.sub.unsubscribe()
  })

  it('is what LocalBackend.watch offers (capabilities.watch = native)', async () => {
    const root = await tempDir('watch')
    const b = createLocalBackend({ root })
    expect(b.capabilities.watch).toBe('native')
    const seen: string[] = []
    const sub = b.watch().subscribe((c) => seen.push(c.path))
    let n = 0
    await expect
      .poll(async () => {
        await writeFile(join(root, 'x'), String(n++))
        return seen
      })
      .toContain('x')
    sub.unsubscribe()
    await b.close()
  })
})
