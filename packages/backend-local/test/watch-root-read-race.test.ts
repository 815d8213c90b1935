import { mkdirSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Change } from '@syncflow/core'
import { describe, expect, it, vi } from 'vitest'
import { watchLocal } from '../src/local-watch.js'
import { tempDir } from './helpers.js'

// CI of stop 32: `rm -rf src; mkdir src` under a watch of `src` ended the watch ("src is gone",
// 1 run in 40 here) when the root's reading, set off by the removal of a file in it, ran between
// the two: the failed read was taken for the root gone for good, though it was back 1 ms later.
// The race is made here at its exact moment: the root's `readdir` finds it removed (a hook around
// the call removes it, then makes it again once the read has failed), so the test is deterministic.

const hook = vi.hoisted(() => ({ root: undefined as string | undefined }))

vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>()
  const readdir = (async (path: string, ...rest: unknown[]) => {
    const root = hook.root
    if (root === undefined || path !== root) return (fsp.readdir as (...a: unknown[]) => unknown)(path, ...rest)
    hook.root = undefined
    rmSync(root, { recursive: true })
    try {
      return await (fsp.readdir as (...a: unknown[]) => Promise<unknown>)(path, ...rest)
    } finally {
      mkdirSync(root)
    }
  }) as typeof fsp.readdir
  return { ...fsp, readdir }
})

describe('watchLocal, the root removed and made again while it is read', () => {
  it('the watch goes on: the new directory is watched (onResync), and what is made in it is told', async () => {
    const base = await tempDir('root-read-race')
    const src = join(base, 'src')
    await mkdir(src)
    const seen: string[] = []
    const resyncs: string[] = []
    const abort = new AbortController()
    let failed: unknown
    await new Promise<void>((ready) => {
      watchLocal(src, { signal: abort.signal, onReady: ready, onResync: (r) => resyncs.push(r) }).subscribe({
        next: (c: Change) => seen.push(`${c.type} ${c.path}`),
        error: (err: unknown) => (failed = err),
      })
    })
    try {
      hook.root = src
      // The root's next reading (this file's event sets it off) meets the removal.
      await writeFile(join(src, 'poke'), 'p')
      await expect.poll(() => resyncs.length > 0 || failed !== undefined, { timeout: 10_000 }).toBe(true)
      expect(failed).toBeUndefined()
      expect(hook.root).toBeUndefined()
      expect(resyncs).toEqual([expect.stringContaining(src)])
      await writeFile(join(src, 'made-after'), 'x')
      await expect.poll(() => seen, { timeout: 10_000 }).toContain('upsert made-after')
      expect(failed).toBeUndefined()
    } finally {
      abort.abort()
    }
  })
})
