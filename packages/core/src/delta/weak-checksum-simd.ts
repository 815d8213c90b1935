import { packWeak, weakChecksum } from './weak-checksum.js'

/** `weakChecksum(data, start, end)`, possibly in WebAssembly. */
export type BlockWeakChecksum = (data: Uint8Array, start: number, end: number) => number

// ---- a tiny WebAssembly module, assembled here (no binary blob to trust) ------------------------
//
// (func $sums (param $ptr i32) (param $len i32)        ;; len a multiple of 16
//   A, B: i32x4 accumulators; for each 16 bytes v at ptr:
//     B += A << 4                                       ;; the 16 bytes before shift every earlier byte's weight by 16
//     B += dot(u16(v[0..8]), [16..9]) + dot(u16(v[8..16]), [8..1])   ;; weights len - i within the 16
//     A += pairwise sums of v                            ;; plain byte sum
//   mem[0] = sum of A's lanes; mem[4] = sum of B's lanes)
// With n bytes, a = Σ x_i and b = Σ (n - i)·x_i: rsync's two sums; wrapping i32 arithmetic keeps
// the low 16 bits that count exact. About four times faster than the word-at-a-time JavaScript
// loop (~0.1 s per GiB here, copy into the module's memory included).

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
const A = 3
const B = 4
const V = 5
const sumLanes = (local: number): number[] => [
  ...get(local),
  ...I32X4_EXTRACT_LANE,
  0,
  ...[1, 2, 3].flatMap((lane) => [...get(local), ...I32X4_EXTRACT_LANE, lane, 0x6a]), // i32.add
]
const body = [
  ...vec([
    [1, I32],
    [3, V128],
  ]),
  ...[...get(PTR), ...get(LEN), 0x6a, ...set(END)],
  ...[0x02, 0x40, 0x03, 0x40], // block, loop
  ...[...get(PTR), ...get(END), 0x4f, 0x0d, 1], // br_if 1 (ptr >= end, unsigned)
  ...[...get(PTR), ...V128_LOAD, 0, 0, ...set(V)],
  ...[...get(B), ...get(A), 0x41, 4, ...I32X4_SHL, ...I32X4_ADD],
  ...[...get(V), ...I16X8_EXTEND_LOW_I8X16_U, ...i16x8([16, 15, 14, 13, 12, 11, 10, 9]), ...I32X4_DOT_I16X8_S],
  ...I32X4_ADD,
  ...[...get(V), ...I16X8_EXTEND_HIGH_I8X16_U, ...i16x8([8, 7, 6, 5, 4, 3, 2, 1]), ...I32X4_DOT_I16X8_S],
  ...[...I32X4_ADD, ...set(B)],
  ...[
    ...get(A),
    ...get(V),
    ...I16X8_EXTADD_PAIRWISE_I8X16_U,
    ...I32X4_EXTADD_PAIRWISE_I16X8_U,
    ...I32X4_ADD,
    ...set(A),
  ],
  ...[...get(PTR), 0x41, 16, 0x6a, ...set(PTR)],
  ...[0x0c, 0, 0x0b, 0x0b], // br 0 (loop); end loop; end block
  ...[0x41, 0, ...sumLanes(A), 0x36, 2, 0], // i32.store mem[0]
  ...[0x41, 4, ...sumLanes(B), 0x36, 2, 0], // i32.store mem[4]
  0x0b,
]
const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
  ...section(1, vec([[0x60, ...vec([[I32], [I32]]), 0]])), // type 0: (i32, i32) -> ()
  ...section(3, vec([[0]])), // func 0: type 0
  ...section(5, vec([[0x00, 1]])), // memory: at least 1 page
  ...section(
    7,
    vec([
      [...name('sums'), 0x00, 0],
      [...name('memory'), 0x02, 0],
    ]),
  ),
  ...section(10, vec([[...uleb(body.length), ...body]])),
])

/** Where the bytes go in the module's memory (the sums are written below it). */
const DATA_AT = 64

let loading: Promise<BlockWeakChecksum> | undefined

/** The parts of the WebAssembly global used here (core compiles without the DOM library's types). */
interface Wasm {
  validate(bytes: Uint8Array): boolean
  instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }>
}
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

/**
 * `weakChecksum` for whole blocks (signatures), in WebAssembly SIMD where the runtime has it (Node
 * does), else the JavaScript one. Loaded once. Not for the generator's per-byte rolling, which
 * needs no block sums.
 */
export function loadBlockWeakChecksum(): Promise<BlockWeakChecksum> {
  loading ??= (async (): Promise<BlockWeakChecksum> => {
    const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly
    if (wasm === undefined || !wasm.validate(MODULE)) return weakChecksum
    const { instance } = await wasm.instantiate(MODULE)
    const sums = instance.exports.sums as (ptr: number, len: number) => void
    const memory = instance.exports.memory as WasmMemory
    let mem = new Uint8Array(memory.buffer)
    let view = new DataView(memory.buffer)
    return (data, start, end) => {
      const n16 = (end - start) & ~15
      if (DATA_AT + n16 > mem.length) {
        memory.grow(Math.ceil((DATA_AT + n16 - mem.length) / 65536))
        mem = new Uint8Array(memory.buffer)
        view = new DataView(memory.buffer)
      }
      mem.set(data.subarray(start, start + n16), DATA_AT)
      sums(DATA_AT, n16)
      let a = view.getInt32(0, true)
      let b = view.getInt32(4, true)
      // The last (len mod 16) bytes: each adds itself to a, and the new a to b.
      for (let i = start + n16; i < end; i++) {
        a = (a + data[i]!) | 0
        b = (b + a) | 0
      }
      return packWeak(a, b)
    }
  })()
  return loading
}
