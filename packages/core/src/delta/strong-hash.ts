/** A strong per-block hash: 8 bytes, of which a signature keeps the first `strongBytes`. */
export type StrongHash = (data: Uint8Array) => Uint8Array

let loading: Promise<StrongHash> | undefined

/**
 * The strong per-block hash: XXH64 (little-endian), in WebAssembly, about three times the speed of
 * node:crypto's sha256 even with SHA-NI. It need not resist a forger: a false block match is
 * caught by the whole-file XXH3-128 of every delta (rsync makes the same choice).
 * Loaded once, on first use (imported then too: only a delta transfer needs it, and a command that
 * makes none should not compile it at start-up).
 */
export function loadStrongHash(): Promise<StrongHash> {
  loading ??= import('xxhash-wasm').then(async ({ default: xxhash }) => {
    const api = await xxhash()
    return (data: Uint8Array) => {
      const out = Buffer.allocUnsafe(8)
      out.writeBigUInt64LE(api.h64Raw(data))
      return out
    }
  })
  return loading
}

/** True when the first `strongBytes` bytes of `digest` equal block `index` of `strong`. */
export function strongEquals(digest: Uint8Array, strong: Uint8Array, index: number, strongBytes: number): boolean {
  const base = index * strongBytes
  for (let i = 0; i < strongBytes; i++) {
    if (digest[i] !== strong[base + i]) return false
  }
  return true
}
