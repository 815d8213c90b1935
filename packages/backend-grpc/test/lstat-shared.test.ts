import { mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RelPath } from '@syncflow/core'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { LocalTree } from '../src/server/local-tree.js'

// The real node:fs/promises, its lstat counted: which paths the served tree stats.
const stats = vi.hoisted(() => ({ paths: [] as string[] }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  return {
    ...fs,
    lstat: ((path: string, ...rest: unknown[]) => {
      stats.paths.push(String(path))
      return (fs.lstat as (...a: unknown[]) => unknown)(path, ...rest)
    }) as typeof fs.lstat,
  }
})

// A burst of small writes (64 at once from a client) spent a tenth of the server's CPU checking
// the served directory with an lstat per request (2,000 files of 1-4 KiB: 0.40 s of 3.9 s), and
// stat'ed the same parent directory for each file, twice: 0.25-0.39 s of the server's ~3.7 s.

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-root-check-'))
})
afterEach(async () => {
  await rm(`${dir}.moved`, { recursive: true, force: true })
  await rm(dir, { recursive: true, force: true })
})

it('requests that arrive while the root is checked share that check; a later one checks anew and sees the root gone', async () => {
  const tree = await LocalTree.open(dir)
  stats.paths.length = 0
  await Promise.all(Array.from({ length: 64 }, () => tree.backend('')))
  const rootStats = () => stats.paths.filter((p) => p === tree.realRoot).length
  expect(rootStats()).toBe(1)

  await tree.backend('')
  expect(rootStats()).toBe(2)

  await rename(dir, `${dir}.moved`)
  const burst = await Promise.allSettled(Array.from({ length: 8 }, () => tree.backend('')))
  expect(burst.map((r) => r.status)).toEqual(Array(8).fill('rejected'))
  expect((burst[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'NOT_FOUND' })
})

it('checks of files in one directory that arrive while its lstat runs share it; a later one stats anew', async () => {
  await mkdir(join(dir, 'd'))
  const tree = await LocalTree.open(dir)
  const parentStats = () => stats.paths.filter((p) => p === join(tree.realRoot, 'd')).length
  stats.paths.length = 0
  await Promise.all(Array.from({ length: 64 }, (_, i) => tree.checkParents(`d/f${i}` as RelPath)))
  expect(parentStats()).toBe(1)

  await tree.checkParents('d/later' as RelPath)
  expect(parentStats()).toBe(2)
})

it('checks that share the lstat of a symlinked directory each fail naming their own path', async () => {
  await mkdir(join(dir, 'elsewhere'))
  await symlink(join(dir, 'elsewhere'), join(dir, 'd'))
  const tree = await LocalTree.open(dir)
  stats.paths.length = 0
  const checks = await Promise.allSettled(['d/a', 'd/b', 'd/c'].map((p) => tree.checkParents(p as RelPath)))
  // One lstat shared by the three, then each check's own walk from the root to name the symlink.
  expect(stats.paths.filter((p) => p === join(tree.realRoot, 'd')).length).toBe(1 + 3)
  expect(checks.map((c) => (c.status === 'rejected' ? [c.reason.code, c.reason.path] : c.status))).toEqual([
    ['INVALID_PATH', 'd/a'],
    ['INVALID_PATH', 'd/b'],
    ['INVALID_PATH', 'd/c'],
  ])
})
