import { createHash, randomBytes } from 'node:crypto'
import {
  applyDelta,
  blockSizeFor,
  computeSignature,
  createWholeFileHasher,
  type DeltaOp,
  type FileSignature,
  generateDelta,
  isWholeBaseCopy,
  loadBlockSums,
  loadBlockWeakChecksum,
  loadStrongHash,
  MAX_LITERAL_BYTES,
  RollingChecksum,
  SyncError,
  strongBytesFor,
  weakChecksum,
} from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/** `data` as a stream of chunks of the given sizes (cycled), like a file read in pieces. */
async function* chunked(data: Uint8Array, sizes: readonly number[] = [65536]): AsyncGenerator<Uint8Array> {
  let i = 0
  for (let off = 0; off < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!)
    yield data.subarray(off, off + n)
    off += n
  }
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const chunk of stream) parts.push(chunk)
  return Buffer.concat(parts)
}

async function toArray<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

const baseReader = (base: Uint8Array, sizes?: number[]) => async (r: { offset: number; length?: number }) =>
  chunked(base.subarray(r.offset, r.length === undefined ? undefined : r.offset + r.length), sizes)

async function signatureOf(base: Uint8Array, blockSize: number, sizes?: number[]): Promise<FileSignature> {
  return computeSignature(chunked(base, sizes), blockSize, strongBytesFor(base.length, blockSize))
}

/** Runs the codec end to end: signature of base, delta to next, patch. */
async function roundTrip(base: Uint8Array, next: Uint8Array, blockSize: number, sizes?: number[]) {
  const sig = await signatureOf(base, blockSize, sizes)
  const ops = await toArray(generateDelta(chunked(next, sizes), sig))
  async function* replay() {
    yield* ops
  }
  const out = await collect(applyDelta(baseReader(base, sizes), blockSize, replay()))
  const literal = ops.reduce((n, op) => n + (op.type === 'literal' ? op.data.length : 0), 0)
  return { out, ops, literal }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function xxh128(...parts: Uint8Array[]): Promise<string> {
  const h = await createWholeFileHasher()
  for (const p of parts) h.update(p)
  return h.hex()
}

describe('whole-file hash', () => {
  it('is XXH3-128 in canonical hex (the vectors of `xxhsum -H2`), however the bytes are split', async () => {
    expect(await xxh128()).toBe('99aa06d3014798d86001c324468d497f')
    expect(await xxh128(Buffer.from('ab'), Buffer.from('c'))).toBe('06b05ab6733a618578af5f94892f3950')
    const a = Buffer.alloc(100_000, 'a')
    expect(await xxh128(a)).toBe('819d5302938c790308f809ef04c54838')
    expect(await xxh128(a.subarray(0, 1), a.subarray(1, 65_537), a.subarray(65_537))).toBe(
      '819d5302938c790308f809ef04c54838',
    )
  })

  it('gives each caller its own state (concurrent deltas)', async () => {
    const [h1, h2] = await Promise.all([createWholeFileHasher(), createWholeFileHasher()])
    h1.update(Buffer.from('ab'))
    h2.update(Buffer.from('zz'))
    h1.update(Buffer.from('c'))
    expect(h1.hex()).toBe('06b05ab6733a618578af5f94892f3950')
  })
})

describe('weak checksum', () => {
  it('rolling by one byte equals recomputing, for any data and window', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 600 }), fc.integer({ min: 1, max: 300 }), (data, len) => {
        fc.pre(len < data.length)
        const r = new RollingChecksum(len, data, 0)
        for (let p = 0; p + len < data.length; p++) {
          expect(r.value).toBe(weakChecksum(data, p, p + len))
          r.roll(data[p]!, data[p + len]!)
        }
        expect(r.value).toBe(weakChecksum(data, data.length - len, data.length))
      }),
    )
  })

  it('word-at-a-time and byte-at-a-time give the same sums, at any alignment and length', () => {
    const bytewise = (d: Uint8Array, s: number, e: number) => {
      let a = 0
      let b = 0
      for (let i = s; i < e; i++) {
        a = (a + d[i]!) | 0
        b = (b + a) | 0
      }
      return ((a & 0xffff) | (b << 16)) >>> 0
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.nat(), fc.nat(), (data, x, y) => {
        const s = data.length === 0 ? 0 : x % data.length
        const e = s + (data.length - s === 0 ? 0 : y % (data.length - s + 1))
        expect(weakChecksum(data, s, e)).toBe(bytewise(data, s, e))
      }),
      { numRuns: 2000 },
    )
    const big = new Uint8Array(200_000).map((_, i) => (i * 131 + 7) & 255)
    expect(weakChecksum(big)).toBe(bytewise(big, 0, big.length))
  })

  it('the WebAssembly block sums equal the JavaScript ones, for any data, offset and length', async () => {
    const simd = await loadBlockWeakChecksum()
    expect(simd).not.toBe(weakChecksum) // Node 20 has WebAssembly SIMD: the fast path is what runs
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat(), (data, x, y) => {
        const start = data.length === 0 ? 0 : x % data.length
        const end = start + (data.length === start ? 0 : y % (data.length - start + 1))
        expect(simd(data, start, end)).toBe(weakChecksum(data, start, end))
      }),
      { numRuns: 500 },
    )
    // Blocks larger than the module's first page of memory (it grows), and all-0xff bytes (the
    // largest lane sums).
    const big = Buffer.alloc(1 << 20, 0xff)
    expect(simd(big, 3, big.length)).toBe(weakChecksum(big, 3, big.length))
    const random = randomBytes(300_000)
    expect(simd(random, 1, 262_145)).toBe(weakChecksum(random, 1, 262_145))
    // Every split between the 64-byte loop, the 16-byte loop and the byte tail, on 0xff bytes.
    for (let len = 0; len <= 200; len++) expect(simd(big, 5, 5 + len)).toBe(weakChecksum(big, 5, 5 + len))
  })

  it('the fused block sums equal the weak sum and the strong hash apart, for any data, offset and length', async () => {
    const sums = await loadBlockSums()
    const strongHash = await loadStrongHash()
    expect(sums).toBeDefined() // Node 20 has WebAssembly SIMD
    const check = (data: Uint8Array, start: number, end: number, n: number) => {
      const out = new Uint8Array(n + 3).fill(0xaa)
      expect(sums?.(data, start, end, out, 2, n)).toBe(weakChecksum(data, start, end))
      expect([...out.subarray(2, 2 + n)]).toEqual([...strongHash(data.subarray(start, end)).subarray(0, n)])
      expect(out[1]).toBe(0xaa) // nothing written outside its bytes
      expect(out[2 + n]).toBe(0xaa)
    }
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 8 }),
        (data, x, y, n) => {
          const start = data.length === 0 ? 0 : x % data.length
          const end = start + (data.length === start ? 0 : y % (data.length - start + 1))
          check(data, start, end, n)
        },
      ),
      { numRuns: 500 },
    )
    // Every length up to a few stripes (XXH64's 32-, 8-, 4- and 1-byte steps), then big blocks.
    const random = randomBytes(300_000)
    for (let len = 0; len <= 130; len++) check(random, 7, 7 + len, 8)
    check(random, 1, 1 + 32_768, 8)
    check(random, 0, 262_145, 6)
    check(Buffer.alloc(1 << 20, 0xff), 3, 1 << 20, 8)
  })

  it('matches rsync sums on a known input', () => {
    // a = 1+2+3 = 6, b = 3·1 + 2·2 + 1·3 = 10
    expect(weakChecksum(Uint8Array.of(1, 2, 3))).toBe(6 | (10 << 16))
    // 128 KiB of 0xff overflows both 16-bit sums: only the low bits are kept
    const big = new Uint8Array(131072).fill(255)
    const a = (131072 * 255) & 0xffff
    const b = Number((BigInt(255) * BigInt(131072) * BigInt(131073)) / 2n) & 0xffff
    expect(weakChecksum(big)).toBe((a | (b << 16)) >>> 0)
  })
})

describe('block size', () => {
  it('is about sqrt(len), clamped to 700 B–128 KiB', () => {
    expect(blockSizeFor(0)).toBe(700)
    expect(blockSizeFor(10_000)).toBe(700)
    expect(blockSizeFor(1 << 30)).toBe(32768)
    expect(blockSizeFor(2 ** 40)).toBe(131072)
  })
  it('strong bytes grow with the file and stay within 6–16', () => {
    expect(strongBytesFor(0, 700)).toBe(6)
    expect(strongBytesFor(1 << 30, 32768)).toBe(8)
    expect(strongBytesFor(2 ** 50, 131072)).toBeLessThanOrEqual(16)
  })
})

describe('computeSignature', () => {
  it('is the same whatever the chunking, with a short last block', async () => {
    const data = randomBytes(10_000)
    const a = await signatureOf(data, 700, [1 << 16])
    const b = await signatureOf(data, 700, [1, 7, 699, 700, 701, 1400, 3])
    expect(b).toEqual(a)
    expect(a.weak.length).toBe(15)
    expect(a.size).toBe(10_000)
    expect(a.weak[14]).toBe(weakChecksum(data, 9800, 10_000))
  })
  it('of an empty file has no blocks', async () => {
    const sig = await signatureOf(new Uint8Array(0), 700)
    expect(sig.weak.length).toBe(0)
    expect(sig.size).toBe(0)
  })
})

// Random edits: overwrite, insert, delete, applied to a base.
const edit = fc.oneof(
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: fc.nat(),
    data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 300 }) }),
)
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never

function applyEdits(base: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let cur = Buffer.from(base)
  for (const e of edits) {
    const at = cur.length === 0 ? 0 : e.at % (cur.length + 1)
    if (e.kind === 'overwrite') {
      cur = Buffer.concat([cur.subarray(0, at), e.data, cur.subarray(Math.min(cur.length, at + e.data.length))])
    } else if (e.kind === 'insert') cur = Buffer.concat([cur.subarray(0, at), e.data, cur.subarray(at)])
    else cur = Buffer.concat([cur.subarray(0, at), cur.subarray(at + e.len)])
  }
  return cur
}

// A base with repeats (so blocks repeat and weak sums collide) or plain random bytes.
const baseData = fc.oneof(
  fc.uint8Array({ maxLength: 5000 }),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200 }))
    .map(([unit, n]) => Buffer.concat(Array.from({ length: n }, () => unit))),
  fc.integer({ min: 0, max: 5000 }).map((n) => new Uint8Array(n)),
)

describe('generateDelta + applyDelta', () => {
  it('patch(base, delta(base, new)) == new for random bases, edits, block sizes and chunkings', async () => {
    await fc.assert(
      fc.asyncProperty(
        baseData,
        fc.array(edit, { maxLength: 6 }),
        fc.integer({ min: 1, max: 900 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 4 }),
        async (base, edits, blockSize, sizes) => {
          const next = applyEdits(base, edits)
          const { out, ops } = await roundTrip(base, next, blockSize, sizes)
          expect(out.equals(Buffer.from(next))).toBe(true)
          const end = ops.at(-1)
          expect(end).toEqual({ type: 'end', size: next.length, xxh128: await xxh128(next) })
          for (const op of ops) if (op.type === 'literal') expect(op.data.length).toBeLessThanOrEqual(MAX_LITERAL_BYTES)
        },
      ),
      { numRuns: 400 },
    )
  })

  it('handles an entirely new file against an unrelated base, and a new file against an empty base', async () => {
    for (const [base, next] of [
      [randomBytes(3000), randomBytes(200_000)],
      [new Uint8Array(0), randomBytes(100_000)],
      [randomBytes(100_000), new Uint8Array(0)],
      [new Uint8Array(0), new Uint8Array(0)],
    ] as const) {
      const { out, ops } = await roundTrip(base, next, 700)
      expect(out.equals(Buffer.from(next))).toBe(true)
      expect(ops.filter((o) => o.type === 'copy')).toEqual([])
    }
  })

  it('a delta is a whole-base copy exactly when the new file equals the base (any size, block size, chunking)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.array(edit, { maxLength: 3 }),
        fc.integer({ min: 1, max: 900 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 3 }),
        async (base, edits, blockSize, sizes) => {
          const next = applyEdits(base, edits)
          const same = await roundTrip(base, base, blockSize, sizes)
          expect(isWholeBaseCopy(same.ops, base.length, blockSize)).toBe(true)
          expect(same.ops.at(-1)).toMatchObject({ xxh128: await xxh128(base) })
          const other = await roundTrip(base, next, blockSize, sizes)
          expect(isWholeBaseCopy(other.ops, base.length, blockSize)).toBe(Buffer.from(next).equals(Buffer.from(base)))
        },
      ),
      { numRuns: 300 },
    )
    expect(isWholeBaseCopy([{ type: 'end', size: 0, xxh128: '' }], 0, 700)).toBe(false)
  })

  it('sends a file shorter than one block, equal to the base, as one copy', async () => {
    const base = randomBytes(500)
    const { ops, literal } = await roundTrip(base, base, 700)
    expect(literal).toBe(0)
    expect(ops.map((o) => o.type)).toEqual(['copy', 'end'])
  })

  it('merges runs of matching blocks into one copy op each', async () => {
    const base = randomBytes(1 << 20)
    const bs = blockSizeFor(base.length)
    const next = Buffer.from(base)
    next.fill(0, 500_000, 500_010) // one changed spot
    const { out, ops, literal } = await roundTrip(base, next, bs)
    expect(out.equals(next)).toBe(true)
    expect(ops.map((o) => o.type)).toEqual(['copy', 'literal', 'copy', 'end'])
    expect(literal).toBe(bs)
  })

  it('keeps an insertion (a shift) small', async () => {
    const base = randomBytes(4 << 20)
    const bs = blockSizeFor(base.length)
    const parts = [
      base.subarray(0, 1_000_000),
      randomBytes(777),
      base.subarray(1_000_000, 3_000_000),
      base.subarray(3_000_100),
    ]
    const next = Buffer.concat(parts)
    const { out, literal, ops } = await roundTrip(base, next, bs, [65536, 1000, 333_333])
    expect(out.equals(next)).toBe(true)
    // Each edit costs at most about two blocks of literals.
    expect(literal).toBeLessThanOrEqual(777 + 4 * bs)
    expect(ops.filter((o) => o.type === 'copy').length).toBeLessThanOrEqual(4)
  })

  it('handles a base of identical blocks (long weak-sum chains) quickly', async () => {
    const base = new Uint8Array(2 << 20) // zeros
    const next = Buffer.concat([randomBytes(300_000), base, randomBytes(5)])
    const started = performance.now()
    const { out, literal } = await roundTrip(base, next, 1024)
    expect(out.equals(next)).toBe(true)
    expect(literal).toBeLessThan(300_000 + 2048)
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('fails with CHECKSUM when the base changed, the end op is missing, or ops are bad', async () => {
    const base = randomBytes(50_000)
    const next = Buffer.concat([base.subarray(0, 20_000), randomBytes(10), base.subarray(20_000)])
    const sig = await signatureOf(base, 1000)
    const ops = await toArray(generateDelta(chunked(next), sig))
    const changed = Buffer.from(base)
    changed[30_000]! ^= 1
    const run = (b: Uint8Array, list: DeltaOp[], sha?: string) =>
      collect(
        applyDelta(
          baseReader(b),
          1000,
          (async function* () {
            yield* list
          })(),
          sha ? { sha256: sha } : {},
        ),
      )
    await expect(run(changed, ops)).rejects.toMatchObject({ code: 'CHECKSUM' })
    await expect(run(base, ops.slice(0, -1))).rejects.toBeInstanceOf(SyncError)
    await expect(run(base, [...ops, { type: 'literal', data: new Uint8Array(1) }])).rejects.toMatchObject({
      code: 'CHECKSUM',
    })
    await expect(run(base, [{ type: 'copy', index: -1, count: 1 }, ...ops])).rejects.toMatchObject({
      code: 'CHECKSUM',
    })
    await expect(run(base, ops, sha256(base))).rejects.toMatchObject({ code: 'CHECKSUM' })
    expect((await run(base, ops, sha256(next))).equals(next)).toBe(true)
  })

  it('stops reading the source when the consumer stops early', async () => {
    let read = 0
    let closed = false
    async function* source() {
      try {
        for (let i = 0; i < 1000; i++) {
          read++
          yield randomBytes(65536)
        }
      } finally {
        closed = true
      }
    }
    const sig = await signatureOf(randomBytes(10_000), 1000)
    for await (const op of generateDelta(source(), sig)) {
      if (op.type === 'literal') break
    }
    expect(closed).toBe(true)
    expect(read).toBeLessThan(100)
  })

  it('honours an abort signal', async () => {
    const ac = new AbortController()
    ac.abort()
    const sig = await signatureOf(randomBytes(10_000), 1000)
    await expect(toArray(generateDelta(chunked(randomBytes(10_000)), sig, { signal: ac.signal }))).rejects.toThrow()
  })
})
