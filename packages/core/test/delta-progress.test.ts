import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyDelta,
  computeSignature,
  type DeltaOp,
  type FileSignature,
  generateDelta,
  SignatureIndex,
  type SignatureProgress,
  strongBytesFor,
} from '../src/index.js'

async function* chunked(data: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size)
}

async function toArray<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

async function patch(base: Uint8Array, blockSize: number, ops: DeltaOp[]): Promise<Buffer> {
  const parts: Uint8Array[] = []
  const reader = async (r: { offset: number; length?: number }) =>
    chunked(base.subarray(r.offset, r.length === undefined ? undefined : r.offset + r.length))
  for await (const c of applyDelta(
    reader,
    blockSize,
    (async function* () {
      yield* ops
    })(),
  ))
    parts.push(c)
  return Buffer.concat(parts)
}

/**
 * `sig` as it would arrive from a server, `batches` blocks at a time (cycled): arrays that start
 * zeroed and fill in, one batch more each time the consumer waits for more.
 */
function arriving(sig: FileSignature, batches: readonly number[], fail?: Error) {
  const weak = new Uint32Array(sig.weak.length)
  const strong = new Uint8Array(sig.strong.length)
  let received = 0
  let turn = 0
  let waits = 0
  const progress: SignatureProgress = {
    received: () => received,
    more: async () => {
      waits++
      await new Promise((resolve) => setImmediate(resolve))
      if (fail !== undefined && received >= sig.weak.length / 2) throw fail
      const to = Math.min(sig.weak.length, received + Math.max(1, batches[turn++ % batches.length]!))
      weak.set(sig.weak.subarray(received, to), received)
      strong.set(sig.strong.subarray(received * sig.strongBytes, to * sig.strongBytes), received * sig.strongBytes)
      received = to
    },
  }
  return { signature: { ...sig, weak, strong }, progress, waits: () => waits }
}

const withEdits = (base: Uint8Array, edits: readonly { at: number; data: Uint8Array; insert: boolean }[]) => {
  let cur = Buffer.from(base)
  for (const e of edits) {
    const at = cur.length === 0 ? 0 : e.at % (cur.length + 1)
    const tail = e.insert ? cur.subarray(at) : cur.subarray(Math.min(cur.length, at + e.data.length))
    cur = Buffer.concat([cur.subarray(0, at), e.data, tail])
  }
  return cur
}
const edits = fc.array(
  fc.record({ at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 200 }), insert: fc.boolean() }),
  { maxLength: 5 },
)

describe('generateDelta with a signature still arriving', () => {
  it('patches to the new file whatever the batches and the lead, and equals the whole-signature delta once the lead covers the base', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20_000 }),
        edits,
        fc.integer({ min: 16, max: 700 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 25_000 }),
        async (size, es, blockSize, batches, lead) => {
          const base = randomBytes(size)
          const next = withEdits(base, es)
          const sig = await computeSignature(chunked(base), blockSize, strongBytesFor(size, blockSize))
          const a = arriving(sig, batches)
          const ops = await toArray(generateDelta(chunked(next, 1000), a.signature, { progress: a.progress, lead }))
          expect((await patch(base, blockSize, ops)).equals(next)).toBe(true)
          if (lead >= size) {
            // Nothing is scanned before every block is known: the same ops as with the whole signature.
            expect(ops).toEqual(await toArray(generateDelta(chunked(next, 1000), sig)))
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('finds the blocks of an overwritten file as they arrive (nothing more sent than with the whole signature)', async () => {
    const base = randomBytes(400_000)
    const next = Buffer.from(base)
    for (let at = 5_000; at < next.length; at += 50_000) next.fill(7, at, at + 64)
    const sig = await computeSignature(chunked(base), 1000, strongBytesFor(base.length, 1000))
    const a = arriving(sig, [30])
    const ops = await toArray(generateDelta(chunked(next, 8192), a.signature, { progress: a.progress, lead: 8192 }))
    expect(a.waits()).toBeGreaterThan(3) // it did start before the signature was complete
    const literal = (o: DeltaOp[]) => o.reduce((n, op) => n + (op.type === 'literal' ? op.data.length : 0), 0)
    expect(literal(ops)).toBe(literal(await toArray(generateDelta(chunked(next, 8192), sig))))
    expect((await patch(base, 1000, ops)).equals(next)).toBe(true)
  })

  it('sends no more literal bytes than the whole signature would, plus its budget, even when bytes moved far back', async () => {
    const literal = (o: DeltaOp[]) => o.reduce((n, op) => n + (op.type === 'literal' ? op.data.length : 0), 0)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2_000, max: 30_000 }),
        fc.nat(),
        fc.nat(),
        edits,
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.constantFrom(0, 500, 4_000),
        async (size, cut, len, es, batches, lead, budget) => {
          const base = randomBytes(size)
          // A chunk of the end moved to the front (a file rotated), then small edits.
          const at = cut % size
          const n = len % (size - at) || 1
          const moved = Buffer.concat([base.subarray(at, at + n), base.subarray(0, at), base.subarray(at + n)])
          const next = withEdits(moved, es)
          const blockSize = 100
          const sig = await computeSignature(chunked(base), blockSize, strongBytesFor(size, blockSize))
          const a = arriving(sig, batches)
          const ops = await toArray(
            generateDelta(chunked(next, 1000), a.signature, { progress: a.progress, lead, unsureBudget: budget }),
          )
          expect((await patch(base, blockSize, ops)).equals(next)).toBe(true)
          const whole = literal(await toArray(generateDelta(chunked(next, 1000), sig)))
          expect(literal(ops)).toBeLessThanOrEqual(whole + budget)
          if (budget === 0) expect(literal(ops)).toBe(whole)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('finds the blocks that arrived while it started (the signature complete before it first waited)', async () => {
    const base = randomBytes(400_000)
    // An insertion: past it, the blocks are found only through the index (the rolling scan).
    const next = Buffer.concat([base.subarray(0, 200_000), Buffer.from('inserted'), base.subarray(200_000)])
    const sig = await computeSignature(chunked(base), 1000, strongBytesFor(base.length, 1000))
    // The first batch (10 blocks) is all there is when generateDelta first looks; the rest has
    // arrived by its next look (while it loads its hashers), as a fast server's does.
    let looks = 0
    const progress: SignatureProgress = {
      received: () => (looks++ === 0 ? 10 : sig.weak.length),
      more: async () => {},
    }
    const ops = await toArray(generateDelta(chunked(next, 8192), sig, { progress }))
    const literal = ops.reduce((n, op) => n + (op.type === 'literal' ? op.data.length : 0), 0)
    expect(literal).toBe(8)
    expect((await patch(base, 1000, ops)).equals(next)).toBe(true)
  })

  it('fails with the error of a signature that fails to arrive', async () => {
    const base = randomBytes(100_000)
    const sig = await computeSignature(chunked(base), 1000, strongBytesFor(base.length, 1000))
    const a = arriving(sig, [10], new Error('signature stream broke'))
    await expect(toArray(generateDelta(chunked(base), a.signature, { progress: a.progress, lead: 0 }))).rejects.toThrow(
      'signature stream broke',
    )
  })
})

describe('generateDelta on blocks overwritten in place', () => {
  it('sends each overwritten block as one literal between two copies, with or without a signature in progress', async () => {
    const bs = 1000
    const base = randomBytes(100 * bs)
    const next = Buffer.from(base)
    next.fill(1, 10 * bs + 5, 10 * bs + 70) // inside block 10
    next.fill(2, 50 * bs, 50 * bs + 1) // first byte of block 50
    const sig = await computeSignature(chunked(base), bs, strongBytesFor(base.length, bs))
    const expected = [
      { type: 'copy', index: 0, count: 10 },
      { type: 'literal', data: next.subarray(10 * bs, 11 * bs) },
      { type: 'copy', index: 11, count: 39 },
      { type: 'literal', data: next.subarray(50 * bs, 51 * bs) },
      { type: 'copy', index: 51, count: 49 },
    ]
    const ops = await toArray(generateDelta(chunked(next, 4096), sig))
    expect(ops.slice(0, -1)).toEqual(expected)
    const a = arriving(sig, [7])
    const progressive = await toArray(
      generateDelta(chunked(next, 4096), a.signature, { progress: a.progress, lead: 0 }),
    )
    expect(progressive).toEqual(ops)
  })
})

describe('SignatureIndex built in steps', () => {
  it('equals the index of the whole signature, whatever the steps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 6000 }),
          fc.integer({ min: 0, max: 6000 }).map((n) => new Uint8Array(n)), // identical blocks
        ),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.nat({ max: 40 }), { maxLength: 10 }),
        async (data, blockSize, steps) => {
          const sig = await computeSignature(chunked(data), blockSize, strongBytesFor(data.length, blockSize))
          const whole = new SignatureIndex(sig)
          const stepped = new SignatureIndex(sig, steps[0] ?? 0)
          let at = steps[0] ?? 0
          for (const s of steps.slice(1)) {
            at += s
            stepped.add(at)
          }
          stepped.add(sig.weak.length)
          expect(stepped.added).toBe(whole.fullBlocks)
          expect([stepped.filter, stepped.head, stepped.next]).toEqual([whole.filter, whole.head, whole.next])
        },
      ),
      { numRuns: 200 },
    )
  })
})
