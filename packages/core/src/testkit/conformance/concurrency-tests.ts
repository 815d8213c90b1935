import { expect } from 'vitest'
import { readText, writeText } from '../backend-io.js'
import type { SuiteContext } from '../suite-context.js'
import { listAll, listFiles } from './ordered-listing.js'

/** Writes at once: into one new deep directory, and to one path. */
export function concurrencyTests(s: SuiteContext): void {
  s.group(
    'concurrent writes',
    () => {
      s.test('many writes into one new deep directory at once all land', async (b) => {
        const names = Array.from({ length: 40 }, (_, i) => `new/deep/er/dir/f${String(i).padStart(2, '0')}.txt`)
        await Promise.all(names.map((n) => writeText(b, n, n)))
        expect(await listFiles(b)).toEqual(names)
        for (const n of names) expect(await readText(b, n)).toBe(n)
      })

      s.test('many writes to one path leave exactly one of them, whole', async (b) => {
        const contents = Array.from({ length: 12 }, (_, i) => `${i}:`.repeat(500 * (i + 1)))
        const results = await Promise.allSettled(contents.map((c) => writeText(b, 'same.txt', c)))
        expect(results.filter((r) => r.status === 'rejected')).toEqual([])
        expect(contents).toContain(await readText(b, 'same.txt'))
        expect((await listAll(b)).map((e) => e.path)).toEqual(['same.txt'])
      })
    },
    'concurrentWrites',
  )
}
