import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { type RelPath, SyncError } from '@syncflow/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLocalBackend, type LocalBackend } from '../src/index.js'
import { PARTIAL_MIN_BYTES, partialNameOf } from '../src/temp-file.js'

let root: string
let b: LocalBackend
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-partial-review-'))
  b = createLocalBackend({ root, groupCommit: false })
})
afterEach(async () => {
  await b.close()
  await rm(root, { recursive: true, force: true })
})

function cutBody(first: Buffer, err: Error): Readable {
  return Readable.from(
    (async function* () {
      yield first
      throw err
    })(),
  )
}
const size = 16 * PARTIAL_MIN_BYTES

describe('#keepPartial (review of the changes of 2026-12-07)', () => {
  it('a resume that fetched another version of the file keeps its progress even when both versions share their first 64 KiB', async () => {
    // The partial an earlier, stopped pull kept: 6 MiB of version 1 (an image, an archive: a
    // header of 64 KiB that does not change).
    const header = randomBytes(64 * 1024)
    const v1 = Buffer.concat([header, randomBytes(6 * PARTIAL_MIN_BYTES - header.length)])
    await writeFile(join(root, partialNameOf('img.bin')), v1)
    // The source is version 2 now: the resume from that partial reuses only the header, fetches
    // the rest, and is stopped again after 4 MiB of version 2.
    const v2head = Buffer.concat([header, randomBytes(4 * PARTIAL_MIN_BYTES - header.length)])
    const cut = new SyncError('TRANSIENT', 'connection lost')
    const w = b.write(
      'img.bin' as RelPath,
      cutBody(v2head, cut),
      { mtimeMs: 1, size },
      {
        keepPartial: true,
        partialIsBase: true,
      },
    )
    await expect(w).rejects.toMatchObject({ code: 'TRANSIENT' })
    // What should be kept: version 2's 4 MiB (the only base of the file now, review of the pull
    // resume #1). What is: version 1's 6 MiB, so every later resume starts again from the header.
    const kept = await readFile(join(root, partialNameOf('img.bin')))
    expect(kept.subarray(0, v2head.length).equals(v2head)).toBe(true)
  })

  it('a failed resumed write never hangs on a FIFO put at the partial name (a served root another user writes to)', async () => {
    const partial = join(root, partialNameOf('f.bin'))
    execFileSync('mkfifo', [partial])
    // A patch from the partial whose check failed (nothing interrupted): #keepPartial compares starts.
    const bad = new SyncError('CHECKSUM', 'the patched file does not match')
    const w = b.write(
      'f.bin' as RelPath,
      cutBody(randomBytes(2 * PARTIAL_MIN_BYTES), bad),
      { mtimeMs: 1, size },
      {
        keepPartial: true,
        partialIsBase: true,
      },
    )
    const settled = w.then(
      () => 'settled',
      () => 'settled',
    )
    let timer: NodeJS.Timeout | undefined
    const verdict = await Promise.race([
      settled,
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('hung'), 5000)
      }),
    ])
    clearTimeout(timer)
    if (verdict === 'hung') {
      // Unblock the thread-pool thread stuck in open(2) of the FIFO, then let the write finish.
      const fh = await open(partial, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined)
      await fh?.close()
      await settled
    }
    expect(verdict).toBe('settled')
  }, 20_000)
})
