import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { applyDelta, computeSignature, type DeltaFromOptions, type ReadRange, type RelPath } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

/** Runs `body` with a client of a served temporary directory; both closed after it. */
async function withClient(body: (dir: string, b: GrpcBackend) => Promise<void>): Promise<void> {
  const { server, dir, stop } = await startTestServer()
  try {
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` })
    try {
      await body(dir, b)
    } finally {
      await b.close()
    }
  } finally {
    await stop()
  }
}

it('a served file written to while a client reads it ends the read in TRANSIENT, not in a torn copy', async () => {
  await withClient(async (dir, b) => {
    const size = 32 * 1024 * 1024
    await writeFile(join(dir, 'big'), Buffer.alloc(size, 0x41))
    const stream = await b.read('big' as RelPath)
    // Flow control holds the server back until the client reads: the file changes before its end is read.
    await writeFile(join(dir, 'big'), Buffer.alloc(size, 0x42))
    const err = await rejectionOf(
      (async () => {
        for await (const _ of stream) {
          // discard
        }
      })(),
    )
    expect(err).toMatchObject({ code: 'TRANSIENT', message: expect.stringContaining('changed while it was read') })
  })
})

it('a served file written to while a client reads it for the planned entry (expect) ends the read in CONFLICT: a retry would be refused', async () => {
  await withClient(async (dir, b) => {
    const size = 32 * 1024 * 1024
    await writeFile(join(dir, 'big'), Buffer.alloc(size, 0x41))
    const planned = (await b.stat('big' as RelPath))!
    const stream = await b.read('big' as RelPath, undefined, { expect: planned })
    // Flow control holds the server back until the client reads: the file changes before its end is read.
    await writeFile(join(dir, 'big'), Buffer.alloc(size + 1, 0x42))
    const err = await rejectionOf(
      (async () => {
        for await (const _ of stream) {
          // discard
        }
      })(),
    )
    expect(err).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('changed while it was read') })
  })
})

it('a read for an entry the served file no longer is (a same-size edit) fails with CONFLICT (QA 8 #3)', async () => {
  await withClient(async (dir, b) => {
    await writeFile(join(dir, 'a.bin'), Buffer.alloc(100_000, 0x41))
    const planned = (await b.stat('a.bin' as RelPath))!
    const first = await b.read('a.bin' as RelPath, undefined, { expect: planned })
    let n = 0
    for await (const c of first) n += (c as Buffer).length
    expect(n).toBe(100_000)
    await writeFile(join(dir, 'a.bin'), Buffer.alloc(100_000, 0x42))
    const err = await rejectionOf(b.read('a.bin' as RelPath, undefined, { expect: planned }))
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('the source file changed since it was listed'),
    })
  })
})

it('with tolerateChanges, a served file written to while it is read is read as it is (--no-check-updated)', async () => {
  await withClient(async (dir, b) => {
    const size = 32 * 1024 * 1024
    await writeFile(join(dir, 'big'), Buffer.alloc(size, 0x41))
    const stream = await b.read('big' as RelPath, { offset: 0, length: size }, { tolerateChanges: true })
    // Rewritten in place (not truncated, which would end the read short).
    const fh = await open(join(dir, 'big'), 'r+')
    await fh.write(Buffer.alloc(size, 0x42), 0, size, 0)
    await fh.close()
    let n = 0
    for await (const c of stream) n += (c as Buffer).length
    expect(n).toBe(size)
  })
})

describe('deltaFrom (a pull) is pinned to the listed entry as a read is', () => {
  const blockSize = 4096
  /** The file the ops of `deltaFrom` build from `base`. */
  async function pulled(b: GrpcBackend, base: Buffer, opts: DeltaFromOptions): Promise<Buffer> {
    const sig = await computeSignature(Readable.from([base]), blockSize, 8)
    const ops = b.deltaFrom('a.bin' as RelPath, sig, opts)
    const reader = async (r: ReadRange) =>
      Readable.from([base.subarray(r.offset, r.length === undefined ? undefined : r.offset + r.length)])
    const parts: Buffer[] = []
    for await (const c of applyDelta(reader, blockSize, ops)) parts.push(c as Buffer)
    return Buffer.concat(parts)
  }

  it('a same-size edit since the listing fails with CONFLICT, nothing pulled', async () => {
    await withClient(async (dir, b) => {
      const base = Buffer.alloc(100_000, 0x41)
      await writeFile(join(dir, 'a.bin'), base)
      const planned = (await b.stat('a.bin' as RelPath))!
      expect(await pulled(b, base, { expect: planned })).toEqual(base)
      await writeFile(join(dir, 'a.bin'), Buffer.alloc(100_000, 0x42))
      const err = await rejectionOf(pulled(b, base, { expect: planned }))
      expect(err).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining('the source file changed since it was listed'),
      })
    })
  })

  it('with tolerateChanges and a length, a file grown since is pulled as it was listed (--no-check-updated)', async () => {
    await withClient(async (dir, b) => {
      const base = Buffer.alloc(100_000, 0x41)
      const listed = Buffer.concat([base.subarray(0, 50_000), Buffer.alloc(70_000, 0x43)])
      await writeFile(join(dir, 'a.bin'), Buffer.concat([listed, Buffer.alloc(9_000, 0x44)]))
      expect(await pulled(b, base, { tolerateChanges: true, length: listed.length })).toEqual(listed)
    })
  })
})
