import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import type { RelPath } from '../../model/rel-path.js'
import { hashStream } from '../backend-io.js'
import { prngStream } from '../prng-stream.js'
import type { SuiteContext } from '../suite-context.js'
import { listAll } from './ordered-listing.js'

const SEED = 64

/** A large file streams in and out intact, without the test (or a sane backend) holding it in memory. */
export function largeFileTests(s: SuiteContext): void {
  const size = s.largeFileBytes
  s.test(
    `a ${humanBytes(size)} file streams in and out intact (hash verified while streaming)`,
    async (b) => {
      const expected = await hashStream(prngStream(SEED, size))
      const entry = await b.write('large/file.bin' as RelPath, prngStream(SEED, size), {
        size,
        mtimeMs: 1_600_000_000_000,
      })
      expect(entry.size).toBe(size)
      expect((await b.stat('large/file.bin' as RelPath))?.size).toBe(size)
      expect(await hashStream(await b.read('large/file.bin' as RelPath))).toBe(expected)
      // A range near the end: offsets far into a large file.
      const tail = await hashStream(await b.read('large/file.bin' as RelPath, { offset: size - 1000 }))
      const full = prngStream(SEED, size)
      const h = createHash('sha256')
      let pos = 0
      for await (const chunk of full) {
        const c = chunk as Buffer
        const from = Math.max(0, size - 1000 - pos)
        if (from < c.length) h.update(c.subarray(from))
        pos += c.length
      }
      expect(tail).toBe(h.digest('hex'))
      expect((await listAll(b)).find((e) => e.path === 'large/file.bin')?.size).toBe(size)
    },
    { needs: ['largeFile'], timeout: 300_000 },
  )
}

function humanBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`
  return `${n} byte`
}
