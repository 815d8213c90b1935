import type { IHasher } from 'hash-wasm'
import { transientChunks } from './transient-chunks.js'

/** A streaming whole-file hash: feed the bytes in order, then take the digest (lowercase hex). */
export interface WholeFileHasher {
  update(data: Uint8Array): void
  /** The digest of everything fed so far; the hasher is spent afterwards. */
  hex(): string
}

/** Length of a whole-file digest in hex characters (XXH3-128: 16 bytes). */
export const WHOLE_FILE_HASH_HEX_LENGTH = 32

/**
 * A hasher for the whole-file check of a delta: XXH3-128 (in WebAssembly, ~6–8 GB/s here, about
 * five times node:crypto's sha256 with SHA-NI). The check catches a false block match or a base
 * that changed under the patch; it need not resist a forger, since both ends of a delta are the
 * user's own bytes. rsync makes the same choice (XXH128 as its whole-file checksum since 3.2).
 * Each call gets its own instance, so concurrent deltas do not share state. hash-wasm is imported
 * on first use: it is a 280 KB script that only delta transfers need, and every command would
 * otherwise load it at start-up.
 */
export async function createWholeFileHasher(): Promise<WholeFileHasher> {
  const { createXXHash128 } = await import('hash-wasm')
  const h: IHasher = await createXXHash128()
  h.init()
  return {
    update: (data) => {
      h.update(data)
    },
    hex: () => h.digest('hex'),
  }
}

/** True when `hex` has the shape of a whole-file digest. */
export function isWholeFileDigest(hex: unknown): hex is string {
  return typeof hex === 'string' && hex.length === WHOLE_FILE_HASH_HEX_LENGTH && /^[0-9a-f]+$/.test(hex)
}

/** The whole-file digest of `bytes` (read once, in order). */
export async function wholeFileDigest(bytes: AsyncIterable<Uint8Array>): Promise<string> {
  const h = await createWholeFileHasher()
  for await (const chunk of transientChunks(bytes)) h.update(chunk)
  return h.hex()
}
