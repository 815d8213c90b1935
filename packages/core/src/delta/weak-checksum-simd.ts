import { packWeak, weakChecksum } from './weak-checksum.js'

/** `weakChecksum(data, start, end)`, possibly in WebAssembly. */
export type BlockWeakChecksum = (data: Uint8Array, start: number, end: number) => number

// ---- a tiny WebAssembly module, assembled here (no binary blob to trust) ------------------------
//
// (func $sums (param $ptr i32) (param $len i32)        ;; len a multiple of 16
//   A, B: i32x4 accumulators; for each 64 bytes at ptr (then each 16 bytes of the rest):
//     B += A << 6 (<< 4)                                ;; the bytes before shift every earlier byte's weight by 64 (16)
//     B += dot(u16(v), weights 64…1 (16…1))             ;; weights len - i within the 64 (16)
//     A += pairwise sums of the bytes                   ;; plain byte sum
//   mem[0] = sum of A's lanes; mem[4] = sum of B's lanes)
// With n bytes, a = Σ x_i and b = Σ (n - i)·x_i: rsync's two sums; wrapping i32 arithmetic keeps
// the low 16 bits that count exact (a weight ≤ 64 times a byte fits the i16 lanes of the dot
// product). About four times faster than the word-at-a-time JavaScript loop; 64 bytes a turn
// instead of 16 took another ~10% off (copy into the module's memory included, ~0.1 s per GiB of
// the ~0.27 s).

const uleb = (n: number): number[] => {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}
/** Signed LEB128 (i32.const immediates). */
const sleb = (n: number): number[] => {
  const out: number[] = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte]
    out.push(byte | 0x80)
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()]
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body]
const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]))
const I32 = 0x7f
const V128 = 0x7b
const simd = (op: number): number[] => [0xfd, ...uleb(op)]
const V128_LOAD = simd(0)
const I32X4_EXTRACT_LANE = simd(27)
const I16X8_EXTADD_PAIRWISE_I8X16_U = simd(125)
const I32X4_EXTADD_PAIRWISE_I16X8_U = simd(127)
const I16X8_EXTEND_LOW_I8X16_U = simd(137)
const I16X8_EXTEND_HIGH_I8X16_U = simd(138)
const I16X8_ADD = simd(142)
const I32X4_SHL = simd(171)
const I32X4_ADD = simd(174)
const I32X4_DOT_I16X8_S = simd(186)
const i16x8 = (lanes: number[]): number[] => {
  const bytes = new Uint8Array(16)
  const view = new DataView(bytes.buffer)
  for (const [i, x] of lanes.entries()) view.setInt16(2 * i, x, true)
  return [...simd(12), ...bytes] // v128.const
}
const get = (local: number): number[] => [0x20, local]
const set = (local: number): number[] => [0x21, local]
const PTR = 0
const LEN = 1
const END = 2
const END64 = 3
const A = 4
const B = 5
const V = 6
const sumLanes = (local: number): number[] => [
  ...get(local),
  ...I32X4_EXTRACT_LANE,
  0,
  ...[1, 2, 3].flatMap((lane) => [...get(local), ...I32X4_EXTRACT_LANE, lane, 0x6a]), // i32.add
]
// One step of 16 bytes at `ptr + at`, weights `top`…`top - 15`: adds the bytes' weighted sum to B
// and their pairwise sums (i16x8) to the stack value below it.
const step16 = (at: number, top: number): number[] => [
  ...[...get(PTR), ...V128_LOAD, 0, ...uleb(at), ...set(V)],
  ...[...get(B), ...get(V), ...I16X8_EXTEND_LOW_I8X16_U, ...i16x8([0, 1, 2, 3, 4, 5, 6, 7].map((i) => top - i))],
  ...[...I32X4_DOT_I16X8_S, ...I32X4_ADD],
  ...[...get(V), ...I16X8_EXTEND_HIGH_I8X16_U, ...i16x8([8, 9, 10, 11, 12, 13, 14, 15].map((i) => top - i))],
  ...[...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(B)],
  ...[...get(V), ...I16X8_EXTADD_PAIRWISE_I8X16_U],
]
// A loop over `stride` bytes a turn (16 or 64): B += A << log2(stride), then each 16 bytes' weighted
// sums, then A += their plain sum. `end` is where it stops (a multiple of `stride` after `ptr`).
const loop = (stride: 16 | 64, end: number[]): number[] => [
  ...[0x02, 0x40, 0x03, 0x40], // block, loop
  ...[...get(PTR), ...end, 0x4f, 0x0d, 1], // br_if 1 (ptr >= end, unsigned)
  ...[...get(B), ...get(A), 0x41, stride === 64 ? 6 : 4, ...I32X4_SHL, ...I32X4_ADD, ...set(B)],
  ...get(A),
  ...step16(0, stride),
  ...(stride === 64
    ? [...step16(16, 48), ...I16X8_ADD, ...step16(32, 32), ...I16X8_ADD, ...step16(48, 16), ...I16X8_ADD]
    : []),
  ...[...I32X4_EXTADD_PAIRWISE_I16X8_U, ...I32X4_ADD, ...set(A)],
  ...[...get(PTR), 0x41, ...sleb(stride), 0x6a, ...set(PTR)],
  ...[0x0c, 0, 0x0b, 0x0b], // br 0 (loop); end loop; end block
]
/** The weak sums' function body (built on first use, as are the others: see `moduleBytes`). */
const sumsBody = (): number[] => [
  ...vec([
    [2, I32],
    [3, V128],
  ]),
  ...[...get(PTR), ...get(LEN), 0x6a, ...set(END)],
  // 64 bytes a turn up to the last multiple of 64, then 16 a turn.
  ...[...get(PTR), ...get(LEN), 0x41, ...sleb(-64), 0x71, 0x6a, ...set(END64)], // ptr + (len & ~63)
  ...loop(64, get(END64)),
  ...loop(16, get(END)),
  ...[0x41, 0, ...sumLanes(A), 0x36, 2, 0], // i32.store mem[0]
  ...[0x41, 4, ...sumLanes(B), 0x36, 2, 0], // i32.store mem[4]
  0x0b,
]
// XXH64 (seed 0) of mem[ptr, ptr + len), stored little-endian at mem[8]: the strong hash of
// strong-hash.ts (xxhash-wasm's h64), on the bytes already copied here for the weak sums, so a
// signature copies each block once instead of twice.
const slebBig = (x: bigint): number[] => {
  let n = BigInt.asIntN(64, x)
  const out: number[] = []
  for (;;) {
    const byte = Number(n & 0x7fn)
    n >>= 7n
    if ((n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0)) return [...out, byte]
    out.push(byte | 0x80)
  }
}
const i64 = (x: bigint): number[] => [0x42, ...slebBig(x)]
const P1 = i64(0x9e3779b185ebca87n)
const P2 = i64(0xc2b2ae3d27d4eb4fn)
const P3 = i64(0x165667b19e3779f9n)
const P4 = i64(0x85ebca77c2b2ae63n)
const P5 = i64(0x27d4eb2f165667c5n)
const I64_ADD = 0x7c
const I64_MUL = 0x7e
const I64_XOR = 0x85
const I64_ROTL = 0x89
const I64_SHR_U = 0x88
const I64_EXTEND_I32_U = 0xad
const rotl = (r: number): number[] => [0x42, r, I64_ROTL]
// Locals of h64: 0 ptr, 1 len (params), 2 end, 3 limit (i32), 4–7 v1–v4, 8 h (i64).
const H_END = 2
const H_LIMIT = 3
const H = 8
/** `value` (on the stack) → round(0, value) = rotl(value · P2, 31) · P1. */
const round0 = [...P2, I64_MUL, ...rotl(31), ...P1, I64_MUL]
/** v = rotl(v + load64(ptr + at) · P2, 31) · P1 */
const stripeLane = (v: number, at: number): number[] => [
  ...get(v),
  ...[...get(PTR), 0x29, 0, ...uleb(at), ...P2, I64_MUL, I64_ADD], // i64.load
  ...[...rotl(31), ...P1, I64_MUL, ...set(v)],
]
/** h = (h ^ round(0, v)) · P1 + P4 */
const merge = (v: number): number[] => [
  ...get(H),
  ...get(v),
  ...round0,
  I64_XOR,
  ...P1,
  I64_MUL,
  ...P4,
  I64_ADD,
  ...set(H),
]
const h64Body = (): number[] => [
  ...vec([
    [2, I32],
    [5, 0x7e], // i64
  ]),
  ...[...get(PTR), ...get(LEN), 0x6a, ...set(H_END)],
  ...[...get(LEN), 0x41, 32, 0x4f, 0x04, 0x40], // if (len >= 32)
  ...[...i64(0x9e3779b185ebca87n + 0xc2b2ae3d27d4eb4fn), ...set(4), ...P2, ...set(5), ...i64(0n), ...set(6)],
  ...[...i64(-0x9e3779b185ebca87n), ...set(7)],
  ...[...get(H_END), 0x41, 32, 0x6b, ...set(H_LIMIT)], // limit = end - 32
  ...[0x03, 0x40], // loop: one stripe of 32 bytes
  ...[...stripeLane(4, 0), ...stripeLane(5, 8), ...stripeLane(6, 16), ...stripeLane(7, 24)],
  ...[...get(PTR), 0x41, 32, 0x6a, 0x22, PTR, ...get(H_LIMIT), 0x4d, 0x0d, 0], // ptr += 32; br_if 0 (ptr <= limit)
  0x0b,
  ...[...get(4), ...rotl(1), ...get(5), ...rotl(7), I64_ADD, ...get(6), ...rotl(12), I64_ADD, ...get(7), ...rotl(18)],
  ...[I64_ADD, ...set(H)],
  ...[...merge(4), ...merge(5), ...merge(6), ...merge(7)],
  ...[0x05, ...P5, ...set(H), 0x0b], // else h = P5; end
  ...[...get(H), ...get(LEN), I64_EXTEND_I32_U, I64_ADD, ...set(H)],
  // 8 bytes at a time: h = rotl(h ^ round(0, load64), 27) · P1 + P4
  ...[0x02, 0x40, 0x03, 0x40, ...get(PTR), 0x41, 8, 0x6a, ...get(H_END), 0x4b, 0x0d, 1],
  ...[...get(H), ...get(PTR), 0x29, 0, 0, ...round0, I64_XOR, ...rotl(27), ...P1, I64_MUL, ...P4, I64_ADD, ...set(H)],
  ...[...get(PTR), 0x41, 8, 0x6a, ...set(PTR), 0x0c, 0, 0x0b, 0x0b],
  // 4 bytes: h = rotl(h ^ load32 · P1, 23) · P2 + P3
  ...[...get(PTR), 0x41, 4, 0x6a, ...get(H_END), 0x4d, 0x04, 0x40],
  ...[
    ...get(H),
    ...get(PTR),
    0x35,
    0,
    0,
    ...P1,
    I64_MUL,
    I64_XOR,
    ...rotl(23),
    ...P2,
    I64_MUL,
    ...P3,
    I64_ADD,
    ...set(H),
  ],
  ...[...get(PTR), 0x41, 4, 0x6a, ...set(PTR), 0x0b],
  // Each byte left: h = rotl(h ^ byte · P5, 11) · P1
  ...[0x02, 0x40, 0x03, 0x40, ...get(PTR), ...get(H_END), 0x4f, 0x0d, 1],
  ...[...get(H), ...get(PTR), 0x31, 0, 0, ...P5, I64_MUL, I64_XOR, ...rotl(11), ...P1, I64_MUL, ...set(H)],
  ...[...get(PTR), 0x41, 1, 0x6a, ...set(PTR), 0x0c, 0, 0x0b, 0x0b],
  // Avalanche, then store at mem[8].
  ...[...get(H), ...get(H), 0x42, 33, I64_SHR_U, I64_XOR, ...P2, I64_MUL, ...set(H)],
  ...[...get(H), ...get(H), 0x42, 29, I64_SHR_U, I64_XOR, ...P3, I64_MUL, ...set(H)],
  ...[0x41, 8, ...get(H), ...get(H), 0x42, 32, I64_SHR_U, I64_XOR, 0x37, 0, 0], // i64.store
  0x0b,
]
/**
 * The module's bytes, assembled when a delta transfer first needs them: at import, the arrays above
 * cost every command (a local `sync` that never computes a signature included) a few hundred
 * thousand allocations and a garbage collection at startup.
 */
function moduleBytes(): Uint8Array {
  const body = sumsBody()
  const h64 = h64Body()
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, vec([[0x60, ...vec([[I32], [I32]]), 0]])), // type 0: (i32, i32) -> ()
    ...section(3, vec([[0], [0]])), // func 0 (sums), 1 (h64): type 0
    ...section(5, vec([[0x00, 1]])), // memory: at least 1 page
    ...section(
      7,
      vec([
        [...name('sums'), 0x00, 0],
        [...name('h64'), 0x00, 1],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(body.length), ...body],
        [...uleb(h64.length), ...h64],
      ]),
    ),
  ])
}

/** Where the bytes go in the module's memory (the sums are written below it). */
const DATA_AT = 64

/** The parts of the WebAssembly global used here (core compiles without the DOM library's types). */
interface Wasm {
  validate(bytes: Uint8Array): boolean
  instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }>
}
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

/** The weak sums and XXH64 of a block, on one copy of it into the module's memory. */
interface Kernel {
  /** Copies `data[start, end)` in and returns its weak sum; `h64` then hashes the same bytes. */
  weak(data: Uint8Array, start: number, end: number): number
  /** XXH64 of the bytes the last `weak` call copied, little-endian, into `out[at, at + n)` (n ≤ 8). */
  h64(out: Uint8Array, at: number, n: number): void
}

let kernel: Promise<Kernel | undefined> | undefined

/** The module, instantiated once; `undefined` where the runtime lacks WebAssembly SIMD. */
function loadKernel(): Promise<Kernel | undefined> {
  kernel ??= (async (): Promise<Kernel | undefined> => {
    const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly
    if (wasm === undefined) return undefined
    const bytes = moduleBytes()
    if (!wasm.validate(bytes)) return undefined
    const { instance } = await wasm.instantiate(bytes)
    const sums = instance.exports.sums as (ptr: number, len: number) => void
    const h64 = instance.exports.h64 as (ptr: number, len: number) => void
    const memory = instance.exports.memory as WasmMemory
    let mem = new Uint8Array(memory.buffer)
    let view = new DataView(memory.buffer)
    let copied = 0
    return {
      weak: (data, start, end) => {
        const len = end - start
        if (DATA_AT + len > mem.length) {
          memory.grow(Math.ceil((DATA_AT + len - mem.length) / 65536))
          mem = new Uint8Array(memory.buffer)
          view = new DataView(memory.buffer)
        }
        mem.set(data.subarray(start, end), DATA_AT)
        copied = len
        const n16 = len & ~15
        sums(DATA_AT, n16)
        let a = view.getInt32(0, true)
        let b = view.getInt32(4, true)
        // The last (len mod 16) bytes: each adds itself to a, and the new a to b.
        for (let i = start + n16; i < end; i++) {
          a = (a + data[i]!) | 0
          b = (b + a) | 0
        }
        return packWeak(a, b)
      },
      h64: (out, at, n) => {
        h64(DATA_AT, copied)
        out.set(mem.subarray(8, 8 + n), at)
      },
    }
  })()
  return kernel
}

/**
 * `weakChecksum` for whole blocks (signatures), in WebAssembly SIMD where the runtime has it (Node
 * does), else the JavaScript one. Loaded once. Not for the generator's per-byte rolling, which
 * needs no block sums.
 */
export async function loadBlockWeakChecksum(): Promise<BlockWeakChecksum> {
  const k = await loadKernel()
  return k === undefined ? weakChecksum : k.weak
}

/**
 * A block's signature entry: returns its weak sum and writes the first `strongBytes` bytes of its
 * strong hash (XXH64, as `loadStrongHash`) to `strong[at…]`, copying the block into WebAssembly
 * memory once for both. `undefined` without WebAssembly SIMD (use the two functions apart).
 */
export type BlockSums = (
  data: Uint8Array,
  start: number,
  end: number,
  strong: Uint8Array,
  at: number,
  strongBytes: number,
) => number

/** `BlockSums` where the runtime has WebAssembly SIMD, else `undefined`. Loaded once. */
export async function loadBlockSums(): Promise<BlockSums | undefined> {
  const k = await loadKernel()
  if (k === undefined) return undefined
  return (data, start, end, strong, at, strongBytes) => {
    const w = k.weak(data, start, end)
    k.h64(strong, at, strongBytes)
    return w
  }
}
