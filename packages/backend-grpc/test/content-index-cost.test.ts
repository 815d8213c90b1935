import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Entry, RelPath } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ContentIndex } from '../src/server/content-index.js'
import { LocalTree } from '../src/server/local-tree.js'

// Building the index recorded each listed file through forget(), and forget() of a path not yet
// indexed scanned every key indexed so far for one below it: a tree of n large files cost n²/2
// string compares on the server's only thread. A server holding 100,000 photos (over 1 MiB each)
// stopped answering for over 5 minutes after the first upload of a file over 1 MiB (QA 29m: even
// a new client's hello timed out). Every upload and server-side copy paid one such scan too.

const FILES = 3000

let dir: string
let tree: LocalTree
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grpc-content-index-cost-'))
  for (let d = 0; d < FILES / 500; d++) {
    await mkdir(join(dir, `d${d}`))
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => writeFile(join(dir, `d${d}`, `f${i}`), Buffer.alloc(8 + (i % 7)))),
    )
  }
  tree = await LocalTree.open(dir)
})
afterAll(async () => {
  await tree?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the content index of a served tree', () => {
  it('is built in time linear in the number of files, and a write costs no scan of it', async () => {
    const index = new ContentIndex(tree, { minSize: 1 })
    const keys = vi.spyOn(Map.prototype, 'keys')
    try {
      expect(await index.hasSize(8)).toBe(true)
      // One scan per file (quadratic) was FILES calls; the listing itself needs none.
      expect(keys.mock.calls.length).toBeLessThan(FILES / 10)
      keys.mockClear()
      for (let i = 0; i < 100; i++) {
        const path = `new/g${i}` as RelPath
        index.record(path, { path, kind: 'file', size: 1000, mtimeMs: 1 } as Entry)
      }
      expect(keys.mock.calls.length).toBeLessThan(10)
    } finally {
      keys.mockRestore()
    }
    // It still finds what it was told of, and forgets a removed directory's files.
    expect(await index.hasSize(1000)).toBe(true)
    index.forget('new')
    expect(await index.hasSize(1000)).toBe(false)
  })

  it('forgets a removed path that holds no indexed file without a scan of the index', async () => {
    // No relisting on a miss, which would find the files on disk again.
    const index = new ContentIndex(tree, { minSize: 1, refreshAfterMs: 3_600_000 })
    expect(await index.hasSize(9)).toBe(true)
    const keys = vi.spyOn(Map.prototype, 'keys')
    try {
      // A mirror deleting small files (under minSize, never indexed) or empty directories.
      for (let i = 0; i < 100; i++) index.forget(`junk/x${i}`)
      index.forget('d0/f1/none')
      expect(keys.mock.calls.length).toBe(0)
    } finally {
      keys.mockRestore()
    }
    // A directory that holds indexed files is still forgotten whole, and its parent's count with it.
    index.forget('d1')
    expect(await index.hasSize(9)).toBe(true)
    for (let d = 0; d < FILES / 500; d++) index.forget(`d${d}`)
    expect(await index.hasSize(9)).toBe(false)
  })
})
