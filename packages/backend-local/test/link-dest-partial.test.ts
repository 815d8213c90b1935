import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLocalBackend, type LocalBackend } from '../src/index.js'
import { PARTIAL_MIN_BYTES, partialNameOf } from '../src/temp-file.js'

let base: string
let last: LocalBackend
let snap: LocalBackend
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'syncflow-link-partial-'))
  last = createLocalBackend({ root: join(base, 'last'), groupCommit: false })
  snap = createLocalBackend({ root: join(base, 'snap'), groupCommit: false })
  await last.mkdir('' as RelPath).catch(() => {})
})
afterEach(async () => {
  await last.close()
  await snap.close()
  await rm(base, { recursive: true, force: true })
})

describe('a file made whole by a --link-dest link', () => {
  it('takes the partial an interrupted pull of it left away, as a copy or a write does', async () => {
    const data = randomBytes(4 * PARTIAL_MIN_BYTES)
    const entry = await last.write('big.bin' as RelPath, Readable.from([data]), {
      mtimeMs: 1_000_000,
      size: data.length,
    })
    // The snapshot's first run was stopped while it pulled big.bin: 2 MiB kept for resume.
    await snap.write('keep.txt' as RelPath, Readable.from([Buffer.from('x')]), { mtimeMs: 1 })
    await writeFile(join(base, 'snap', partialNameOf('big.bin')), data.subarray(0, 2 * PARTIAL_MIN_BYTES))
    // Run again with --link-dest ../last: big.bin is unchanged there, so it is linked, not pulled.
    const linked = await snap.linkFrom(last, 'big.bin' as RelPath, 'big.bin' as RelPath, {
      expect: entry,
      targetExpect: null,
    })
    expect(linked?.size).toBe(data.length)
    // The snapshot is never written again: a partial left now stays hidden in it for good.
    expect((await readdir(join(base, 'snap'))).sort()).toEqual(['big.bin', 'keep.txt'])
  })
})
