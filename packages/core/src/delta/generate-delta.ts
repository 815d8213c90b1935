import type { DeltaOp, FileSignature } from '../backend/backend.js'
import { MAX_LITERAL_BYTES } from './block-size.js'
import type { HashedPrefix } from './hash-ahead.js'
import { SignatureIndex } from './signature-index.js'
import type { SignatureProgress } from './signature-progress.js'
import { loadStrongHash, type StrongHash, strongEquals } from './strong-hash.js'
import { transientChunks } from './transient-chunks.js'
import { packWeak, weakChecksum } from './weak-checksum.js'
import { createWholeFileHasher } from './whole-file-hash.js'

/** Options of `generateDelta`. */
export interface GenerateDeltaOptions {
  /** Called with the number of bytes of the new file read so far. */
  readonly onProgress?: (bytesRead: number) => void
  readonly signal?: AbortSignal
  /** The hash of the source's first bytes, computed ahead (see `hashAhead`): only the rest is hashed here. */
  readonly hashed?: HashedPrefix
  /**
   * The signature is still arriving (see `SignatureProgress`): the scan goes on as long as the
   * blocks known reach `progressLead` bytes past the bytes read, and waits for more otherwise. A
   * block the new file has further back than that (and than the signature is ahead) may then go
   * as literal bytes instead of a copy, up to `unsureBudget` bytes; the end of the file waits for
   * the whole signature.
   */
  readonly progress?: SignatureProgress
  /** With `progress`: how far the known blocks must reach (bytes); `progressLead` of the base's size by default. */
  readonly lead?: number
  /** With `progress`: literal bytes it may send before the signature is complete; `unsureBudget` of the base's size by default. */
  readonly unsureBudget?: number
  /**
   * The base is the start of the new file (what an interrupted upload left, rsync's
   * `--append-verify`): its blocks are looked for only where they were, in order, and from the
   * first that is not there on, the rest goes as literal bytes without a search. [false]
   */
  readonly prefix?: boolean
}

/**
 * How far (bytes of the base) the known blocks of a signature in progress must reach past the
 * bytes of the new file read: a sixteenth of the base, at least 16 MiB.
 */
export function progressLead(baseSize: number): number {
  return Math.max(16 << 20, Math.ceil(baseSize / 16))
}

/**
 * Literal bytes a delta may send before its signature is complete (found against the blocks known
 * then; a block further on might have matched them): a sixty-fourth of the base, at least 1 MiB.
 * Past that, the scan waits for the whole signature and looks at its unsent bytes again, so a file
 * whose bytes moved far back costs at most this much more than with the whole signature.
 */
export function unsureBudget(baseSize: number): number {
  return Math.max(1 << 20, Math.ceil(baseSize / 64))
}

/** Bytes read ahead of the scan window at a time. */
const READ_AHEAD = 1 << 20

/**
 * The delta that turns the file `signature` describes into the bytes of `source`: `copy` ops for
 * runs of base blocks found in it (at any offset, via the rolling checksum), `literal` ops (≤ 64 KiB)
 * for the rest, and last an `end` op with the new length and XXH3-128. Reads `source` once, in
 * order, holding at most ~2 MiB + 64 KiB + 2 blocks of it.
 */
export async function* generateDelta(
  source: AsyncIterable<Uint8Array>,
  signature: FileSignature,
  opts: GenerateDeltaOptions = {},
): AsyncGenerator<DeltaOp, void, undefined> {
  const strongHash = await loadStrongHash()
  const progress = opts.progress
  const m = new Matcher(signature, strongHash, progress?.received())
  const bs = signature.blockSize
  const fullBlocks = m.index.fullBlocks
  const lastLen = signature.size - fullBlocks * bs
  // Hashed as it is read (~0.15 s/GiB): no separate pass over the new file.
  const hasher = opts.hashed?.hasher ?? (await createWholeFileHasher())
  const hashedAhead = opts.hashed?.bytes ?? 0
  // Each chunk is hashed and copied into the scan buffer before the next is asked for: a source that
  // can fill our buffers (a local file) is read into two reused ones, without garbage.
  const it = transientChunks(source, READ_AHEAD)[Symbol.asyncIterator]()
  let rest: Uint8Array | undefined
  let total = 0
  let eof = false
  let pendingIndex = -1
  let pendingCount = 0
  let hint = 0 // after block j matched, block j + 1 is tried first (by strong hash alone)
  let weakValid = false // m.a/m.b hold the sums of the window at m.pos
  const allBlocks = signature.weak.length
  const lead = opts.lead ?? progressLead(signature.size)
  let complete = progress === undefined || progress.received() >= allBlocks
  // The Matcher indexed the blocks received before the awaits above; the rest may have arrived
  // meanwhile, and once complete `known` never runs to add them: a shift past those first blocks
  // was then never found again and the rest of the file went as literal data (a 30 MiB push with
  // 15 MiB changed sent 25 MiB, in one run of two through the CLI, QA 28e).
  if (complete) m.index.add(allBlocks)
  // Literal bytes sent while the signature was incomplete, and how many may be.
  let unsure = 0
  const budget = opts.unsureBudget ?? unsureBudget(signature.size)

  // A signature in progress: waits until its known blocks reach `upTo` (a base offset), or all.
  const known = async (upTo: number): Promise<void> => {
    const need = Math.min(allBlocks, Math.ceil(upTo / bs))
    while (!complete && progress !== undefined) {
      const have = progress.received()
      if (have >= allBlocks) complete = true
      else if (have >= need) {
        m.index.add(have)
        return
      } else await progress.more()
      opts.signal?.throwIfAborted()
    }
    m.index.add(allBlocks)
  }

  // Moves the unsent bytes to the front of the buffer and reads until it is full or at EOF.
  const fill = async (): Promise<void> => {
    opts.signal?.throwIfAborted()
    m.compact()
    while (m.end < m.buf.length && !eof) {
      if (rest === undefined) {
        const r = await it.next()
        if (r.done === true) {
          eof = true
          break
        }
        rest = r.value
        // Bytes hashed ahead are not hashed again (if the file changed since, the check fails).
        if (total + rest.length > hashedAhead)
          hasher.update(total >= hashedAhead ? rest : rest.subarray(hashedAhead - total))
        total += rest.length
        opts.onProgress?.(total)
      }
      const n = Math.min(m.buf.length - m.end, rest.length)
      m.buf.set(n === rest.length ? rest : rest.subarray(0, n), m.end)
      m.end += n
      rest = n === rest.length ? undefined : rest.subarray(n)
    }
  }

  function* flushCopy(): Generator<DeltaOp> {
    if (pendingCount > 0) yield { type: 'copy', index: pendingIndex, count: pendingCount }
    pendingCount = 0
  }

  function* literal(from: number, to: number): Generator<DeltaOp> {
    if (to <= from) return
    yield* flushCopy()
    for (let s = from; s < to; s += MAX_LITERAL_BYTES) {
      // A copy: the buffer is reused once the consumer resumes us.
      yield { type: 'literal', data: Buffer.from(m.buf.subarray(s, Math.min(to, s + MAX_LITERAL_BYTES))) }
    }
  }

  // Block `j` matched the window at `at`: send what came before it, extend or start a copy run.
  function* matched(j: number, at: number, len: number): Generator<DeltaOp> {
    yield* literal(m.litStart, at)
    if (pendingCount > 0 && pendingIndex + pendingCount === j) pendingCount++
    else {
      yield* flushCopy()
      pendingIndex = j
      pendingCount = 1
    }
    m.pos = at + len
    m.litStart = m.pos
    weakValid = false
    hint = j + 1
  }

  // (`prefix`: past the base's blocks, everything is sent as it is.)
  let literalRest = false
  try {
    for (;;) {
      if (literalRest) {
        yield* literal(m.litStart, m.end)
        m.litStart = m.pos = m.end
        if (eof) break
        await fill()
        continue
      }
      // Rolling needs one byte past the window, hence `<=`.
      if (!eof && m.end - m.pos <= bs) {
        await fill()
        if (!complete) await known(total - (rest?.length ?? 0) + lead)
        continue
      }
      if (m.end - m.pos <= bs) break
      if (!weakValid) {
        if (hint < fullBlocks && m.matches(hint, m.pos)) {
          yield* matched(hint, m.pos, bs)
          continue
        }
        if (opts.prefix === true) {
          literalRest = true
          continue
        }
        // The block after the expected one where it was (the expected one overwritten in place):
        // the bytes between go as literal without rolling over them, one block at a time (~0.6 ms
        // per changed 32 KiB block). The same ops as the scan unless a block of the base turns up
        // at an odd offset inside an overwritten one.
        const skip = m.pos + bs - m.litStart
        if (
          hint + 1 < fullBlocks &&
          m.end - m.pos >= 2 * bs &&
          (complete || unsure + skip <= budget) &&
          m.matches(hint + 1, m.pos + bs)
        ) {
          if (!complete) unsure += skip
          yield* matched(hint + 1, m.pos + bs, bs)
          continue
        }
        m.resetWeak()
        weakValid = true
      }
      const limit = Math.min(m.end - bs - 1, m.litStart + MAX_LITERAL_BYTES - 1)
      const j = m.scan(limit)
      // Literal bytes found against part of the signature (the rest might have had them) are
      // sent up to a budget; past it, the whole signature is awaited and they are scanned again.
      const pending = m.pos - m.litStart
      if (!complete && (j >= 0 ? pending > 0 : pending >= MAX_LITERAL_BYTES)) {
        if (unsure + pending > budget) {
          await known(Number.POSITIVE_INFINITY)
          m.pos = m.litStart
          weakValid = false
          continue
        }
        unsure += pending
      }
      if (j >= 0) yield* matched(j, m.pos, bs)
      else if (m.pos - m.litStart >= MAX_LITERAL_BYTES) {
        yield* literal(m.litStart, m.pos)
        m.litStart = m.pos
      }
    }

    // The tail (at most one block): a last whole window, then the base's short last block.
    if (!complete) await known(Number.POSITIVE_INFINITY)
    if (m.end - m.pos === bs && bs > 0) {
      let j = -1
      if (hint < fullBlocks && m.matches(hint, m.pos)) j = hint
      else {
        const w = weakValid ? packWeak(m.a, m.b) : weakChecksum(m.buf, m.pos, m.end)
        j = m.lookup(w, m.pos)
      }
      if (j >= 0) yield* matched(j, m.pos, bs)
    }
    const tail = m.end - m.pos
    if (lastLen > 0 && tail >= lastLen) {
      const at = m.end - lastLen
      const window = m.buf.subarray(at, m.end)
      if (
        weakChecksum(window) === signature.weak[fullBlocks] &&
        strongEquals(strongHash(window), signature.strong, fullBlocks, signature.strongBytes)
      ) {
        yield* matched(fullBlocks, at, lastLen)
      }
    }
    yield* literal(m.litStart, m.end)
    yield* flushCopy()
    yield { type: 'end', size: total, xxh128: hasher.hex() }
  } finally {
    if (!eof) await it.return?.()
  }
}

/**
 * The scan state: a buffer of the new file holding `[litStart, end)` (unsent literal bytes, then
 * the window at `pos`, then read-ahead) and the rolling sums of the window at `pos`.
 */
class Matcher {
  readonly index: SignatureIndex
  readonly buf: Buffer
  pos = 0
  end = 0
  litStart = 0
  a = 0
  b = 0
  private readonly bs: number
  private readonly weak: Uint32Array
  private digestAt = -1
  private digest: Uint8Array = new Uint8Array(0)

  constructor(
    private readonly sig: FileSignature,
    private readonly strongHash: StrongHash,
    blocks?: number,
  ) {
    this.index = new SignatureIndex(sig, blocks)
    this.bs = sig.blockSize
    this.weak = sig.weak
    this.buf = Buffer.allocUnsafe(MAX_LITERAL_BYTES + 2 * this.bs + READ_AHEAD)
  }

  compact(): void {
    if (this.litStart === 0) return
    this.buf.copyWithin(0, this.litStart, this.end)
    this.pos -= this.litStart
    this.end -= this.litStart
    this.litStart = 0
    this.digestAt = -1
  }

  resetWeak(): void {
    let a = 0
    let b = 0
    const buf = this.buf
    for (let i = this.pos, e = this.pos + this.bs; i < e; i++) {
      a = (a + buf[i]!) | 0
      b = (b + a) | 0
    }
    this.a = a
    this.b = b
  }

  /** True when the strong hash of the window at `p` equals block `j`'s (computed once per position). */
  matches(j: number, p: number): boolean {
    if (this.digestAt !== p) {
      this.digest = this.strongHash(this.buf.subarray(p, p + this.bs))
      this.digestAt = p
    }
    return strongEquals(this.digest, this.sig.strong, j, this.sig.strongBytes)
  }

  /** The first block with weak sum `w` whose strong hash matches the window at `p`, or -1. */
  lookup(w: number, p: number): number {
    const next = this.index.next
    for (let j = this.index.first(w); j !== -1; j = next[j]!) {
      if (this.weak[j] === w && this.matches(j, p)) return j
    }
    return -1
  }

  /**
   * Tests the windows at `pos`, `pos + 1`, …, `limit` (`limit + bs < end`). Returns the matched
   * block with `pos` at its window, or -1 with `pos = limit + 1` and the sums rolled there.
   * This is the per-byte loop: locals only, typed arrays, no allocation, no calls but on a weak hit.
   */
  scan(limit: number): number {
    const buf = this.buf
    const bs = this.bs
    const weak = this.weak
    const { filter, head, next, keyShift, headShift } = this.index
    let p = this.pos
    let a = this.a
    let b = this.b
    for (;;) {
      const w = ((a & 0xffff) | (b << 16)) >>> 0
      const key = Math.imul(w, 0x9e3779b1) >>> keyShift // SignatureIndex.first, inlined
      if ((filter[key >>> 5]! & (1 << (key & 31))) !== 0) {
        for (let j = head[key >>> headShift]!; j !== -1; j = next[j]!) {
          if (weak[j] === w && this.matches(j, p)) {
            this.pos = p
            this.a = a
            this.b = b
            return j
          }
        }
      }
      // RollingChecksum.roll, inlined.
      const out = buf[p]!
      a = (a - out + buf[p + bs]!) | 0
      b = (b - bs * out + a) | 0
      if (++p > limit) break
    }
    this.pos = p
    this.a = a
    this.b = b
    return -1
  }
}
