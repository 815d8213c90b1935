import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  applyDelta,
  type Backend,
  blockSizeFor,
  computeSignature,
  createMemBackend,
  type DeltaOp,
  deltaDirection,
  deltaTransfer,
  type Entry,
  expectMismatch,
  type FileSignature,
  generateDelta,
  type PartialFile,
  RateLimiter,
  type ReadRange,
  type RelPath,
  SyncError,
  strongBytesFor,
  toRelPath,
  type WriteMeta,
  type WriteOptions,
} from '@syncflow/core'
import { describe, expect, it } from 'vitest'

/** A minimal in-memory backend: enough of the contract for `deltaTransfer`. */
class MemBackend implements Backend {
  readonly uri = 'mem://test'
  readonly capabilities = {
    hashes: [],
    mtimePrecisionMs: 1,
    listMtime: true,
    emptyDirs: false,
    symlinks: false,
    permissions: false,
    caseSensitive: true,
    watch: 'none',
  } as const
  readonly files = new Map<string, { data: Buffer; mtimeMs: number }>()
  /** Counts bytes handed out by `read`, to see what crossed. */
  bytesRead = 0
  writes = 0

  async *list(): AsyncIterable<Entry> {
    for (const p of [...this.files.keys()].sort()) yield this.entry(p)!
  }
  entry(path: string): Entry | undefined {
    const f = this.files.get(path)
    return f && { path: toRelPath(path), kind: 'file', size: f.data.length, mtimeMs: f.mtimeMs }
  }
  async stat(path: RelPath) {
    return this.entry(path)
  }
  async read(path: RelPath, range?: ReadRange): Promise<Readable> {
    const f = this.files.get(path)
    if (!f) throw new SyncError('NOT_FOUND', 'missing', { path })
    const start = range?.offset ?? 0
    const data = f.data.subarray(start, range?.length === undefined ? undefined : start + range.length)
    this.bytesRead += data.length
    return Readable.from([data], { objectMode: false })
  }
  async write(path: RelPath, body: Readable, meta: WriteMeta, opts?: WriteOptions): Promise<Entry> {
    const parts: Buffer[] = []
    for await (const c of body) parts.push(c)
    const cur = this.entry(path)
    // Checked once the body is in, as the local backend does (before its rename).
    if (expectMismatch(cur, opts?.expect) !== undefined) throw new SyncError('CONFLICT', 'changed', { path })
    this.writes++
    this.files.set(path, { data: Buffer.concat(parts), mtimeMs: meta.mtimeMs })
    return this.entry(path)!
  }
  async remove(path: RelPath) {
    this.files.delete(path)
  }
  async close() {}
  async rootExists() {
    return true
  }
}

/** A "remote" target: computes signatures and applies patches itself (what the gRPC server does). */
class PatchingBackend extends MemBackend {
  patches = 0
  literalBytes = 0
  corruptNextPatch = false
  afterSignature: (() => void) | undefined
  async signature(path: RelPath, blockSize: number): Promise<FileSignature | undefined> {
    const f = this.files.get(path)
    if (!f) return undefined
    const bs = blockSize || blockSizeFor(f.data.length)
    const sig = await computeSignature(Readable.from([f.data]), bs, strongBytesFor(f.data.length, bs))
    this.afterSignature?.()
    return sig
  }
  async patch(path: RelPath, blockSize: number, ops: AsyncIterable<DeltaOp>, meta: WriteMeta, opts?: WriteOptions) {
    this.patches++
    const self = this
    const corrupt = this.corruptNextPatch
    this.corruptNextPatch = false
    async function* counted() {
      for await (const op of ops) {
        if (op.type === 'literal') self.literalBytes += op.data.length
        if (corrupt && op.type === 'end') yield { ...op, xxh128: '0'.repeat(32) }
        else yield op
      }
    }
    const body = applyDelta((r) => this.read(path, r), blockSize, counted(), { path })
    return this.write(path, body, meta, opts)
  }
}

/** A "remote" source: computes deltas against a signature sent to it. */
class DeltaSourceBackend extends MemBackend {
  async *deltaFrom(path: RelPath, signature: FileSignature): AsyncIterable<DeltaOp> {
    yield* generateDelta(await this.read(path), signature)
  }
}

/** A target that can set mtimes (what a touch found by the delta needs). */
class TouchableBackend extends MemBackend {
  touches = 0
  async setMtime(path: RelPath, mtimeMs: number): Promise<Entry> {
    this.touches++
    const f = this.files.get(path)!
    this.files.set(path, { ...f, mtimeMs })
    return this.entry(path)!
  }
}

const p = toRelPath('dir/big.bin')

function edited(base: Buffer): Buffer {
  const next = Buffer.from(base)
  next.fill(7, 100_000, 100_050)
  return Buffer.concat([next.subarray(0, 700_000), randomBytes(33), next.subarray(700_000)])
}

describe('deltaTransfer', () => {
  it('pushes only changed blocks to a DeltaCapable target', async () => {
    const source = new MemBackend()
    const target = new PatchingBackend()
    const base = randomBytes(1 << 20)
    const next = edited(base)
    target.files.set(p, { data: base, mtimeMs: 1 })
    source.files.set(p, { data: next, mtimeMs: 2 })
    expect(deltaDirection(source, target)).toBe('push')
    const progress: number[] = []
    const entry = await deltaTransfer(
      source,
      target,
      p,
      { mtimeMs: 2, size: next.length },
      {
        expect: target.entry(p)!,
        onProgress: (n) => progress.push(n),
      },
    )
    expect(entry).toMatchObject({ path: p, size: next.length, mtimeMs: 2 })
    expect(target.files.get(p)!.data.equals(next)).toBe(true)
    expect(target.literalBytes).toBeLessThan(4 * blockSizeFor(base.length))
    expect(progress.at(-1)).toBe(next.length)
  })

  it('hashes the source while the target computes its signature, reads it again to match it, and sends it whole when the base changed meanwhile', async () => {
    const source = new MemBackend()
    const target = new PatchingBackend()
    const base = randomBytes(1 << 20)
    const next = edited(base)
    target.files.set(p, { data: base, mtimeMs: 1 })
    source.files.set(p, { data: next, mtimeMs: 2 })
    await deltaTransfer(source, target, p, { mtimeMs: 2 })
    // Once to hash it ahead, once to match it (the second pass no longer hashes what the first did).
    expect(source.bytesRead).toBe(2 * next.length)
    expect(target.files.get(p)!.data.equals(next)).toBe(true)
    // The target's base changes after its signature: the copy ops read other bytes, the patch
    // fails its whole-file check, and the file is sent whole.
    const newer = edited(next)
    source.files.set(p, { data: newer, mtimeMs: 3 })
    target.afterSignature = () => {
      const changed = Buffer.from(next)
      changed[5000]! ^= 1
      target.files.set(p, { data: changed, mtimeMs: 2 })
    }
    const fallbacks: SyncError[] = []
    await deltaTransfer(source, target, p, { mtimeMs: 3 }, { onFallback: (e) => fallbacks.push(e) })
    expect(fallbacks.map((e) => e.code)).toEqual(['CHECKSUM'])
    expect(target.files.get(p)!.data.equals(newer)).toBe(true)
  })

  it('a source changed between its hash-ahead and its matching pass fails the check and goes whole', async () => {
    const source = new MemBackend()
    const target = new PatchingBackend()
    const base = randomBytes(1 << 20)
    const next = edited(base)
    const newer = edited(next)
    target.files.set(p, { data: base, mtimeMs: 1 })
    source.files.set(p, { data: next, mtimeMs: 2 })
    // The hash ran ahead over `next`; by the time the signature is ready, the source is `newer`.
    target.afterSignature = () => source.files.set(p, { data: newer, mtimeMs: 3 })
    const fallbacks: SyncError[] = []
    await deltaTransfer(source, target, p, { mtimeMs: 3 }, { onFallback: (e) => fallbacks.push(e) })
    expect(fallbacks.map((e) => e.code)).toEqual(['CHECKSUM'])
    expect(target.files.get(p)!.data.equals(newer)).toBe(true)
  })

  // QA round 11: --bwlimit held whole files to the rate but not delta updates (72-97 MiB/s at 10M).
  it("draws every op from the run's rate limiter, pushed or pulled: as many bytes as it reports on the wire", async () => {
    for (const direction of ['push', 'pull'] as const) {
      const source = direction === 'push' ? new MemBackend() : new DeltaSourceBackend()
      const target = direction === 'push' ? new PatchingBackend() : new MemBackend()
      const base = randomBytes(1 << 20)
      const next = edited(base)
      target.files.set(p, { data: base, mtimeMs: 1 })
      source.files.set(p, { data: next, mtimeMs: 2 })
      let charged = 0
      const limiter = new RateLimiter(1e12) // so fast that nothing waits: what it is charged is the point
      const reserve = limiter.reserve.bind(limiter)
      limiter.reserve = (bytes: number) => {
        charged += bytes
        return reserve(bytes)
      }
      let wire = 0
      const entry = await deltaTransfer(
        source,
        target,
        p,
        { mtimeMs: 2, size: next.length },
        { limiter, onWireBytes: (n) => (wire += n) },
      )
      expect(entry?.size).toBe(next.length)
      expect(wire).toBeGreaterThan(0)
      expect(wire).toBeLessThan(next.length / 4)
      expect(charged).toBe(wire)
    }
  })

  it('pulls from a DeltaSource: the target computes the signature and patches itself', async () => {
    const source = new DeltaSourceBackend()
    const target = new MemBackend()
    const base = randomBytes(1 << 20)
    const next = edited(base)
    target.files.set(p, { data: base, mtimeMs: 1 })
    source.files.set(p, { data: next, mtimeMs: 2 })
    expect(deltaDirection(source, target)).toBe('pull')
    const entry = await deltaTransfer(source, target, p, { mtimeMs: 2 })
    expect(entry?.size).toBe(next.length)
    expect(target.files.get(p)!.data.equals(next)).toBe(true)
  })

  it('pull: a target edited during the transfer is a CONFLICT at once, not a whole-file send that ends in one', async () => {
    const target = new MemBackend()
    const base = randomBytes(1 << 20)
    const next = edited(base)
    target.files.set(p, { data: base, mtimeMs: 1 })
    const planned = target.entry(p)!
    // The user appends to the target file while the delta arrives (QA: the run then sent the
    // whole file through --bwlimit before failing with CONFLICT).
    const source = new (class extends DeltaSourceBackend {
      override async *deltaFrom(path: RelPath, signature: FileSignature): AsyncIterable<DeltaOp> {
        const edit = Buffer.from(base)
        edit.write('LOCAL-EDIT', 4096)
        target.files.set(p, { data: edit, mtimeMs: 5 })
        yield* super.deltaFrom(path, signature)
      }
    })()
    source.files.set(p, { data: next, mtimeMs: 2 })
    const fallbacks: SyncError[] = []
    await expect(
      deltaTransfer(source, target, p, { mtimeMs: 2 }, { expect: planned, onFallback: (e) => fallbacks.push(e) }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(fallbacks).toEqual([])
    expect(source.bytesRead).toBe(next.length) // read once, for the delta: never again to send it whole
    expect(target.files.get(p)!.data.subarray(4096, 4106).toString()).toBe('LOCAL-EDIT')
  })

  it('pull: a transfer interrupted as the target patches is ABORTED, not a CONFLICT blaming the source (QA 10 #6)', async () => {
    // The target's abort destroys the patched stream under a fill in flight, which then ends empty:
    // the check of the source's size saw "0 bytes", and that was reported instead of the abort.
    const base = randomBytes(1 << 20)
    const next = edited(base)
    const abort = new AbortController()
    let reads = 0
    // Ctrl-C lands as the target opens its old file for the first copy op (its first read made the signature).
    const target = createMemBackend({
      faults: {
        read: () => {
          if (++reads === 2) abort.abort()
          return undefined
        },
      },
    })
    await target.write(p, Readable.from([base]), { mtimeMs: 1 })
    const source = new DeltaSourceBackend()
    source.files.set(p, { data: next, mtimeMs: 2 })
    const err = await deltaTransfer(
      source,
      target,
      p,
      { mtimeMs: 2, size: next.length },
      { expect: (await target.stat(p))!, signal: abort.signal },
    ).catch((e: unknown) => e)
    expect(reads).toBe(2)
    expect(err, String(err)).toMatchObject({ code: 'ABORTED' })
    expect((await target.stat(p))?.mtimeMs).toBe(1)
  })

  it('pull: a file whose content did not change only gets the new mtime (read, not rewritten)', async () => {
    const source = new DeltaSourceBackend()
    const target = new TouchableBackend()
    const data = randomBytes(1 << 20)
    target.files.set(p, { data, mtimeMs: 1 })
    source.files.set(p, { data: Buffer.from(data), mtimeMs: 2 })
    const entry = await deltaTransfer(source, target, p, { mtimeMs: 2 }, { expect: target.entry(p)! })
    expect(entry).toMatchObject({ size: data.length, mtimeMs: 2 })
    expect(target.writes).toBe(0)
    expect(target.touches).toBe(1)
    // Changed content goes through the patch as before.
    const changed = edited(data)
    source.files.set(p, { data: changed, mtimeMs: 3 })
    await deltaTransfer(source, target, p, { mtimeMs: 3 })
    expect(target.writes).toBe(1)
    expect(target.files.get(p)!.data.equals(changed)).toBe(true)
  })

  it('returns undefined (write whole) for small files, missing targets, and backends without delta', async () => {
    const source = new MemBackend()
    const target = new PatchingBackend()
    source.files.set(p, { data: randomBytes(1000), mtimeMs: 1 })
    expect(await deltaTransfer(source, target, p, { mtimeMs: 1, size: 1000 })).toBeUndefined()
    source.files.set(p, { data: randomBytes(100_000), mtimeMs: 1 })
    expect(await deltaTransfer(source, target, p, { mtimeMs: 1, size: 100_000 })).toBeUndefined()
    expect(await deltaTransfer(source, target, p, { mtimeMs: 1 }, { expect: null })).toBeUndefined()
    target.files.set(p, { data: randomBytes(100), mtimeMs: 1 })
    expect(await deltaTransfer(source, target, p, { mtimeMs: 1 })).toBeUndefined()
    expect(await deltaTransfer(source, new MemBackend(), p, { mtimeMs: 1 })).toBeUndefined()
    expect(deltaDirection(source, new MemBackend())).toBeUndefined()
    expect(target.writes).toBe(0)
  })

  it('falls back to a whole-file write when the patched file fails its check', async () => {
    const source = new MemBackend()
    const target = new PatchingBackend()
    const base = randomBytes(300_000)
    const next = edited(base)
    target.files.set(p, { data: base, mtimeMs: 1 })
    source.files.set(p, { data: next, mtimeMs: 2 })
    target.corruptNextPatch = true
    const fallbacks: SyncError[] = []
    const entry = await deltaTransfer(source, target, p, { mtimeMs: 2 }, { onFallback: (e) => fallbacks.push(e) })
    expect(fallbacks.map((e) => e.code)).toEqual(['CHECKSUM'])
    expect(entry?.size).toBe(next.length)
    expect(target.files.get(p)!.data.equals(next)).toBe(true)
    expect(target.writes).toBe(1) // the failed patch never committed
  })

  it('keeps the CONFLICT of a target changed since planning', async () => {
    const source = new MemBackend()
    const target = new PatchingBackend()
    const base = randomBytes(300_000)
    target.files.set(p, { data: base, mtimeMs: 1 })
    source.files.set(p, { data: edited(base), mtimeMs: 2 })
    const planned = { ...target.entry(p)!, size: 299_999 }
    await expect(deltaTransfer(source, target, p, { mtimeMs: 2 }, { expect: planned })).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    expect(target.files.get(p)!.data.equals(base)).toBe(true)
  })
})

/** A target that keeps partials (`PartialKeeping`, as the local backend does): what the writes were told, too. */
class PartialTarget extends MemBackend {
  readonly partials = new Map<string, Buffer>()
  readonly told: WriteOptions[] = []
  /** Called before each read of a partial (a test changes it there). */
  beforePartialRead: (() => void) | undefined
  async partialOf(path: RelPath): Promise<PartialFile | undefined> {
    const found = this.partials.get(path)
    if (found === undefined) return undefined
    return {
      size: found.length,
      read: async (range?: ReadRange) => {
        this.beforePartialRead?.()
        // Held to the partial found, as the local backend's read is (`expect`).
        if (this.partials.get(path) !== found) throw new SyncError('CONFLICT', 'the partial changed', { path })
        const start = range?.offset ?? 0
        return Readable.from([found.subarray(start, range?.length === undefined ? undefined : start + range.length)])
      },
    }
  }
  override async write(path: RelPath, body: Readable, meta: WriteMeta, opts?: WriteOptions): Promise<Entry> {
    this.told.push(opts ?? {})
    return super.write(path, body, meta, opts)
  }
}

describe('deltaTransfer of a new file into a target that keeps partials', () => {
  const whole = randomBytes(3 << 20)
  const pulled = (): { source: DeltaSourceBackend; target: PartialTarget } => {
    const source = new DeltaSourceBackend()
    source.files.set(p, { data: whole, mtimeMs: 2 })
    return { source, target: new PartialTarget() }
  }

  it('makes it from the partial plus what the source sends beyond it, and says so', async () => {
    const { source, target } = pulled()
    target.partials.set(p, whole.subarray(0, 2 << 20))
    let wire = 0
    const resumed: [number, number][] = []
    const entry = await deltaTransfer(
      source,
      target,
      p,
      { mtimeMs: 2, size: whole.length },
      {
        expect: null,
        keepPartial: true,
        onWireBytes: (n) => {
          wire += n
        },
        onResumed: (partial, bytes) => resumed.push([partial, bytes]),
      },
    )
    expect(entry?.size).toBe(whole.length)
    expect(target.files.get(p)!.data.equals(whole)).toBe(true)
    expect(wire).toBeGreaterThan(1 << 20)
    expect(wire).toBeLessThan((1 << 20) + (64 << 10))
    // What the partial gave: all of it but its last, short block (no whole block of the file there).
    expect(resumed).toHaveLength(1)
    const [partialSize, reused] = resumed[0]!
    expect(partialSize).toBe(2 << 20)
    expect(reused).toBeLessThanOrEqual(2 << 20)
    expect(reused).toBeGreaterThan((2 << 20) - (64 << 10))
    expect(reused + wire).toBeGreaterThanOrEqual(whole.length)
    // Written as one made from the partial: a failed check drops it (see WriteOptions.partialIsBase).
    expect(target.told).toEqual([expect.objectContaining({ expect: null, keepPartial: true, partialIsBase: true })])
  })

  it('a partial that changes under the patch fails its check: the file is fetched whole, as any delta', async () => {
    const { source, target } = pulled()
    target.partials.set(p, whole.subarray(0, 2 << 20))
    let reads = 0
    // The signature's read goes through; the patch's first read of it finds another partial.
    target.beforePartialRead = () => {
      if (++reads === 2) target.partials.set(p, randomBytes(2 << 20))
    }
    const fallbacks: string[] = []
    const resumed: number[] = []
    const entry = await deltaTransfer(
      source,
      target,
      p,
      { mtimeMs: 2, size: whole.length },
      { expect: null, keepPartial: true, onFallback: (e) => fallbacks.push(e.code), onResumed: (n) => resumed.push(n) },
    )
    expect(fallbacks).toEqual(['CHECKSUM'])
    expect(resumed).toEqual([])
    expect(entry?.size).toBe(whole.length)
    expect(target.files.get(p)!.data.equals(whole)).toBe(true)
    // The whole file is written as a new one that keeps a partial, not as one made from it.
    expect(target.told.at(-1)).toEqual(expect.objectContaining({ keepPartial: true }))
    expect(target.told.at(-1)).not.toHaveProperty('partialIsBase')
  })

  it('does not apply without a partial, with one under the delta minimum, or without a DeltaSource', async () => {
    const { source, target } = pulled()
    const meta = { mtimeMs: 2, size: whole.length }
    expect(await deltaTransfer(source, target, p, meta, { expect: null })).toBeUndefined()
    target.partials.set(p, whole.subarray(0, 1000))
    expect(await deltaTransfer(source, target, p, meta, { expect: null })).toBeUndefined()
    target.partials.set(p, whole.subarray(0, 2 << 20))
    const plain = new MemBackend()
    plain.files.set(p, { data: whole, mtimeMs: 2 })
    expect(await deltaTransfer(plain, target, p, meta, { expect: null })).toBeUndefined()
    expect(target.told).toEqual([])
  })
})
