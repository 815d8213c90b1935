import { hash } from 'node:crypto'

/**
 * The strong per-block hash: sha256 (hardware-accelerated on current x86 and ARM, faster there
 * than MD5), of which a signature keeps the first `strongBytes` bytes.
 */
export function strongHash(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer')
}

/** True when the first `strongBytes` bytes of `digest` equal block `index` of `strong`. */
export function strongEquals(digest: Uint8Array, strong: Uint8Array, index: number, strongBytes: number): boolean {
  const base = index * strongBytes
  for (let i = 0; i < strongBytes; i++) {
    if (digest[i] !== strong[base + i]) return false
  }
  return true
}
