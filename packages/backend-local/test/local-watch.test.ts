import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Change } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { watchLocal } from '../src/local-watch.js'
import { tempDir } from './helpers.js'

/** Collects `type path` strings; resolves once the watcher says it reports every change. */
async function watching(root: string) {
  const seen: string[] = []
  const abort = new AbortController()
  let completed = false
  let ready: () => void = () => {}
  const isReady = new Promise<void>((resolve) => {
    ready = resolve
  })
  const sub = watchLocal(root, {
    signal: abort.signal,
    ignoreName: (n) => n.startsWith('.syncflow-tmp-'),
    onReady: () => ready(),
  }).subscribe({
    next: (c: Change) => seen.push(`${c.type} ${c.path}`),
    complete: () => (completed = true),
  })
  await isReady
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

  it('is what LocalBackend.watch offers (capabilities: native, announces readiness)', async () => {
    const root = await tempDir('watch')
    await writeFile(join(root, 'before'), 'not reported')
    const b = createLocalBackend({ root })
    expect(b.capabilities).toMatchObject({ watch: 'native', watchReady: true })
    const seen: string[] = []
    let ready: () => void = () => {}
    const isReady = new Promise<void>((resolve) => {
      ready = resolve
    })
    const sub = b.watch({ onReady: () => ready() }).subscribe((c) => seen.push(c.path))
    await isReady
    await writeFile(join(root, 'x'), 'right after ready')
    await expect.poll(() => seen).toEqual(['x'])
    sub.unsubscribe()
    await b.close()
  })
})
