import { randomBytes } from 'node:crypto'
import {
  applyDelta,
  type BaseFile,
  computeSignature,
  type DeltaOp,
  FILL,
  type Fillable,
  fillableOf,
  generateDelta,
  strongBytesFor,
  transientChunks,
  withFill,
} from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/** `data` as a Fillable whose fills return at most `cap` bytes each; counts its calls and the buffers it was given. */
function fillableBytes(data: Uint8Array, cap = Number.POSITIVE_INFINITY) {
  let pos = 0
  const buffers = new Set<ArrayBufferLike>()
  const source = withFill(
    {
      [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
        throw new Error('streamed, not filled')
      },
    },
    async (buf, offset, length) => {
      buffers.add(buf.buffer)
      const n = Math.min(length, cap, data.length - pos)
      buf.set(data.subarray(pos, pos + n), offset)
      pos += n
      return n
    },
  )
  return { source: source as AsyncIterable<Uint8Array> & Fillable, buffers }
}

/** A BaseFile over `data`, reading at most `cap` bytes a call. */
const baseFile = (data: Uint8Array, cap = Number.POSITIVE_INFINITY): BaseFile => ({
  readAt: async (buf, offset, length, position) => {
    const n = Math.max(0, Math.min(length, cap, data.length - position))
    buf.set(data.subarray(position, position + n), offset)
    return n
  },
})

async function* replay(ops: DeltaOp[]): AsyncGenerator<DeltaOp> {
  yield* ops
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data
}

async function deltaOf(base: Uint8Array, next: Uint8Array, blockSize: number): Promise<DeltaOp[]> {
  const sig = await computeSignature(once(base), blockSize, strongBytesFor(base.length, blockSize))
  const ops: DeltaOp[] = []
  for await (const op of generateDelta(once(next), sig)) ops.push(op)
  return ops
}

/** Reads a Fillable to its end through one reused buffer of `size` bytes (or two, taken in turn, as a writer does). */
async function drainByFill(f: Fillable, size: number, buffers: 1 | 2 = 1): Promise<Buffer> {
  const bufs = [Buffer.alloc(size), Buffer.alloc(size)] as const
  const parts: Buffer[] = []
  for (let i = 0; ; i = (i + 1) % buffers) {
    const n = await f[FILL](bufs[i] as Buffer, 0, size)
    if (n === 0) break
    parts.push(Buffer.from((bufs[i] as Buffer).subarray(0, n)))
  }
  return Buffer.concat(parts)
}

async function drainByStream(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of stream) parts.push(c)
  return Buffer.concat(parts)
}

describe('transientChunks', () => {
  it('passes a source that cannot fill through unchanged', () => {
    const plain = [new Uint8Array(3)]
    expect(transientChunks(plain as unknown as AsyncIterable<Uint8Array>)).toBe(plain)
    expect(fillableOf(plain)).toBeUndefined()
  })

  it('reads a Fillable through two reused buffers, with the same bytes, however short the fills', async () => {
    const data = randomBytes(300_000)
    const { source, buffers } = fillableBytes(data, 7_777)
    const parts: Buffer[] = []
    for await (const chunk of transientChunks(source, 10_000)) parts.push(Buffer.from(chunk))
    expect(Buffer.concat(parts).equals(data)).toBe(true)
    expect(buffers.size).toBe(2)
  })

  it('destroys the stream once done with it, at its end or when stopped early (as a for await would)', async () => {
    for (const stopEarly of [false, true]) {
      let destroyed = 0
      const { source } = fillableBytes(randomBytes(50_000), 1000)
      Object.assign(source, { destroy: () => destroyed++ })
      for await (const _ of transientChunks(source, 4096)) if (stopEarly) break
      expect(destroyed).toBe(1)
    }
  })

  it('a fill that fails while the caller holds a chunk surfaces at the next chunk (not as an unhandled rejection)', async () => {
    let calls = 0
    let failed!: () => void
    const failedNow = new Promise<void>((resolve) => {
      failed = resolve
    })
    const source = withFill(once(new Uint8Array(0)), async (buf, offset) => {
      calls++
      if (calls === 1) {
        buf[offset] = 1
        return 1
      }
      failed()
      throw new Error('EIO')
    })
    const it = transientChunks(source)[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual(Buffer.from([1]))
    await failedNow
    // A macrotask: Node would have reported an unhandled rejection by now.
    await new Promise((resolve) => setImmediate(resolve))
    await expect(it.next()).rejects.toThrow('EIO')
  })

  it('stopping early waits for the fill in flight', async () => {
    let release!: () => void
    let landed = false
    let calls = 0
    const source = withFill(once(new Uint8Array(0)), async () => {
      if (++calls === 1) return 5
      await new Promise<void>((resolve) => {
        release = resolve
      })
      landed = true
      return 5
    })
    const it = transientChunks(source)[Symbol.asyncIterator]()
    await it.next()
    const stopping = it.return?.()
    await expect.poll(() => release).toBeDefined()
    expect(landed).toBe(false)
    release()
    await stopping
    expect(landed).toBe(true)
  })
})

describe('generateDelta from a Fillable source', () => {
  it('emits the same ops as from a stream of the same bytes', async () => {
    const base = randomBytes(3 << 20)
    const next = Buffer.concat([base.subarray(0, 1 << 20), randomBytes(1000), base.subarray((1 << 20) + 10)])
    const sig = await computeSignature(once(base), 4096, strongBytesFor(base.length, 4096))
    const fromStream: DeltaOp[] = []
    for await (const op of generateDelta(once(next), sig)) fromStream.push(op)
    const { source, buffers } = fillableBytes(next, 100_000)
    const fromFill: DeltaOp[] = []
    for await (const op of generateDelta(source, sig)) fromFill.push(op)
    expect(fromFill).toEqual(fromStream)
    expect(buffers.size).toBe(2)
  })
})

describe('applyDelta over a BaseFile, read by filling', () => {
  it('patch(base, delta) == new whether read as a stream or filled, for any block size, fill size and read size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 20_000 }),
        fc.uint8Array({ maxLength: 3_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: 1, max: 70_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        async (base, insert, at, blockSize, fillSize, readCap) => {
          const cut = Math.min(at, base.length)
          const next = Buffer.concat([base.subarray(0, cut), insert, base.subarray(cut)])
          const ops = await deltaOf(base, next, blockSize)
          for (const buffers of [1, 2] as const) {
            const filled = await drainByFill(
              applyDelta(baseFile(base, readCap), blockSize, replay(ops)),
              fillSize,
              buffers,
            )
            expect(filled.equals(next)).toBe(true)
          }
          const streamed = await drainByStream(applyDelta(baseFile(base, readCap), blockSize, replay(ops)))
          expect(streamed.equals(next)).toBe(true)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('fills from range streams that can fill too (a BaseReader over a local backend)', async () => {
    const base = randomBytes(200_000)
    const next = Buffer.concat([randomBytes(10), base])
    const ops = await deltaOf(base, next, 1000)
    let destroyed = 0
    const reader = async (r: { offset: number; length?: number }) => {
      const end = r.length === undefined ? base.length : Math.min(base.length, r.offset + r.length)
      const { source } = fillableBytes(base.subarray(r.offset, end), 999)
      return Object.assign(source, { destroy: () => destroyed++ })
    }
    const out = await drainByFill(applyDelta(reader, 1000, replay(ops)), 64 * 1024)
    expect(out.equals(next)).toBe(true)
    // Every range stream is closed once read.
    expect(destroyed).toBe(ops.filter((o) => o.type === 'copy').length)
  })

  it('fails with CHECKSUM in fill mode too: a changed base, no end op, ops after the end', async () => {
    const base = randomBytes(50_000)
    const next = Buffer.concat([base.subarray(0, 20_000), randomBytes(10), base.subarray(20_000)])
    const ops = await deltaOf(base, next, 1000)
    const changed = Buffer.from(base)
    changed.writeUInt8(changed.readUInt8(30_000) ^ 1, 30_000)
    const fill = (b: Uint8Array, list: DeltaOp[]) => drainByFill(applyDelta(baseFile(b), 1000, replay(list)), 8192, 2)
    await expect(fill(changed, ops)).rejects.toMatchObject({ code: 'CHECKSUM' })
    await expect(fill(base, ops.slice(0, -1))).rejects.toMatchObject({ code: 'CHECKSUM' })
    await expect(fill(base, [...ops, { type: 'copy', index: 0, count: 1 }])).rejects.toMatchObject({
      code: 'CHECKSUM',
    })
    expect((await fill(base, ops)).equals(next)).toBe(true)
  })

  it('refuses to be filled once it is being read as a stream', async () => {
    const base = randomBytes(10_000)
    const stream = applyDelta(baseFile(base), 1000, replay(await deltaOf(base, base, 1000)))
    expect((await stream[Symbol.asyncIterator]().next()).done).toBe(false)
    await expect(stream[FILL](Buffer.alloc(10), 0, 10)).rejects.toMatchObject({ code: 'UNKNOWN' })
    stream.destroy()
  })

  it('destroying it releases the op stream', async () => {
    let returned = false
    async function* ops(): AsyncGenerator<DeltaOp> {
      try {
        yield { type: 'literal', data: new Uint8Array(10) }
        yield { type: 'literal', data: new Uint8Array(10) }
      } finally {
        returned = true
      }
    }
    const stream = applyDelta(baseFile(new Uint8Array(0)), 1000, ops())
    expect(await stream[FILL](Buffer.alloc(10), 0, 10)).toBe(10)
    stream.destroy()
    await expect.poll(() => returned).toBe(true)
  })
  it('a fill after it was destroyed before its end fails, never reads as a checked end', async () => {
    const base = randomBytes(10_000)
    const next = Buffer.concat([base.subarray(0, 5000), randomBytes(5000)])
    const stream = applyDelta(baseFile(base), 1000, replay(await deltaOf(base, next, 1000)), { path: 'f' })
    expect(await stream[FILL](Buffer.alloc(1000), 0, 1000)).toBe(1000)
    let closed = false
    stream.once('close', () => {
      closed = true
    })
    stream.destroy()
    await expect.poll(() => closed).toBe(true)
    // 0 would mean "complete and checked": a writer would commit the first 1,000 bytes.
    await expect(stream[FILL](Buffer.alloc(1000), 0, 1000)).rejects.toMatchObject({ code: 'ABORTED', path: 'f' })
  })
})
