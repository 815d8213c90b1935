import { randomBytes } from 'node:crypto'
import { applyDelta, computeSignature, type DeltaOp, generateDelta, strongBytesFor } from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

// generateDelta's `prefix` mode (a resumed upload: the base is what an interrupted one left, the
// start of the new file): the base's blocks are looked for only where they were, and the rest goes
// as literal bytes without the rolling search.

async function* chunked(data: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size)
}

async function deltaOf(base: Uint8Array, next: Uint8Array, bs: number, prefix: boolean) {
  const sig = await computeSignature(chunked(base), bs, strongBytesFor(base.length, bs))
  const ops: DeltaOp[] = []
  for await (const op of generateDelta(chunked(next), sig, { prefix })) ops.push(op)
  async function* replay() {
    yield* ops
  }
  const parts: Uint8Array[] = []
  const read = async (r: { offset: number; length?: number }) =>
    chunked(base.subarray(r.offset, r.length === undefined ? undefined : r.offset + r.length))
  for await (const c of applyDelta(read, bs, replay())) parts.push(c)
  const copied = ops.reduce((n, op) => n + (op.type === 'copy' ? op.count * bs : 0), 0)
  return { out: Buffer.concat(parts), copied, ops }
}

describe('generateDelta({ prefix: true })', () => {
  it('copies the base where it is the start of the new file, and sends the rest as it is', async () => {
    const bs = 4096
    const next = randomBytes(64 * bs + 123)
    const { out, copied, ops } = await deltaOf(next.subarray(0, 40 * bs + 77), next, bs, true)
    expect(out.equals(next)).toBe(true)
    expect(copied).toBe(40 * bs)
    expect(ops.filter((o) => o.type === 'copy')).toEqual([{ type: 'copy', index: 0, count: 40 }])
  })

  it('searches no further once a block is not where it was: a later block of the base is sent again', async () => {
    const bs = 4096
    const base = randomBytes(20 * bs)
    // The base's first 5 blocks, one new block, then the base's blocks 6..19 (an insertion).
    const next = Buffer.concat([base.subarray(0, 5 * bs), randomBytes(bs), base.subarray(5 * bs)])
    const prefix = await deltaOf(base, next, bs, true)
    expect(prefix.out.equals(next)).toBe(true)
    expect(prefix.copied).toBe(5 * bs)
    // Without it the rolling search finds the shifted blocks.
    const full = await deltaOf(base, next, bs, false)
    expect(full.out.equals(next)).toBe(true)
    expect(full.copied).toBe(20 * bs)
  })

  it('always rebuilds the new file, whatever the base (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 20_000 }),
        fc.uint8Array({ maxLength: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.constantFrom(64, 700, 4096),
        fc.option(fc.uint8Array({ maxLength: 20_000 })),
        async (tail, other, cut, bs, unrelated) => {
          const next = Buffer.concat([other, tail])
          // The start of the new file, or (a partial of another version) any bytes.
          const base = Buffer.from(unrelated ?? next.subarray(0, Math.min(cut, next.length)))
          const { out } = await deltaOf(base, next, bs, true)
          expect(out.equals(next)).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
  })
})
