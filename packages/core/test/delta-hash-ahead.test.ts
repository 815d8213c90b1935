import { randomBytes } from 'node:crypto'
import {
  computeSignature,
  createWholeFileHasher,
  type DeltaOp,
  generateDelta,
  hashAhead,
  strongBytesFor,
  withFill,
} from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size)
}

async function opsOf(it: AsyncIterable<DeltaOp>): Promise<DeltaOp[]> {
  const out: DeltaOp[] = []
  for await (const op of it) out.push(op)
  return out
}

describe('hashAhead', () => {
  it('hashes the whole file when nothing stops it, with the digest of the whole file', async () => {
    const data = randomBytes(300_000)
    const { hasher, bytes } = await hashAhead(chunks(data, 65_536), new Promise(() => {}))
    expect(bytes).toBe(data.length)
    const whole = await createWholeFileHasher()
    whole.update(data)
    expect(hasher.hex()).toBe(whole.hex())
  })

  it('stops after the chunk during which `until` settled (resolved or rejected)', async () => {
    for (const outcome of ['resolve', 'reject'] as const) {
      let settle!: () => void
      const until = new Promise<void>((resolve, reject) => {
        settle = outcome === 'resolve' ? resolve : () => reject(new Error('signature failed'))
      })
      let filled = 0
      // A Fillable file of 64 chunks of 1 KiB; `until` settles while the third is read.
      const source = withFill(chunks(new Uint8Array(0), 1), async (buf, offset, length) => {
        if (filled === 64 * 1024) return 0
        if (filled === 2 * 1024) settle()
        const n = Math.min(length, 1024)
        buf.fill(1, offset, offset + n)
        filled += n
        return n
      })
      const { bytes } = await hashAhead(source, until)
      expect(bytes).toBeGreaterThanOrEqual(2 * 1024)
      expect(bytes).toBeLessThanOrEqual(5 * 1024)
    }
  })
})

describe('generateDelta after hashAhead', () => {
  it('emits the same ops, end digest included, however much was hashed ahead', async () => {
    const base = randomBytes(200_000)
    const next = Buffer.concat([base.subarray(0, 50_000), randomBytes(77), base.subarray(50_000)])
    const sig = await computeSignature(chunks(base, 65_536), 2048, strongBytesFor(base.length, 2048))
    const plain = await opsOf(generateDelta(chunks(next, 65_536), sig))
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: next.length }),
        fc.integer({ min: 1, max: 70_000 }),
        async (cut, size) => {
          // Hashed ahead: the first `cut` bytes, read in pieces of `size`.
          let release!: () => void
          const until = new Promise<void>((resolve) => {
            release = resolve
          })
          const prefix = next.subarray(0, cut)
          const hashed = await hashAhead(
            (async function* () {
              yield* chunks(prefix, size)
              release()
            })(),
            until,
          )
          expect(hashed.bytes).toBe(cut)
          expect(await opsOf(generateDelta(chunks(next, size), sig, { hashed }))).toEqual(plain)
        },
      ),
      { numRuns: 60 },
    )
  })
})
