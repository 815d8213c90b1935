import { expect } from 'vitest'
import type { Backend } from '../../backend/backend.js'
import type { Entry } from '../../model/entry.js'
import type { RelPath } from '../../model/rel-path.js'
import { writeText } from '../backend-io.js'
import type { SuiteContext } from '../suite-context.js'
import { listAll } from './ordered-listing.js'

/**
 * Mtimes with a sub-second part, an old one, a recent one, and ones before 1970 (negative: Node's
 * utimes read a negative number as "now", which a backend must not pass on).
 */
const MTIMES = [1_600_000_000_123, 946_684_800_000, 1_700_000_000_999, 1_234_567_890_500, -315_619_199_877, -1000]

/** `call` is what gave the entry: `write("m4.txt")`, `stat("m4.txt")` or `list`. */
function expectMtime(b: Backend, entry: Entry | undefined, mtimeMs: number, call: string): void {
  expect(entry, `${call} gave no entry`).toBeDefined()
  // A backend keeps mtimes to its declared precision (truncated or rounded), never worse.
  const precision = Math.max(1, b.capabilities.mtimePrecisionMs)
  const written = `${mtimeMs} (${new Date(mtimeMs).toISOString()})`
  const got = `${entry!.mtimeMs} (${Number.isFinite(entry!.mtimeMs) ? new Date(entry!.mtimeMs).toISOString() : 'not a date'})`
  const negative =
    mtimeMs < 0
      ? ': a pre-1970 (negative) mtime is being tested, which Node\'s fs.utimes reads as "now" when given as a number (pass a Date, or seconds as a string)'
      : ''
  expect(
    Math.abs(entry!.mtimeMs - mtimeMs),
    `${call} of ${entry!.path}: mtime ${got}, but ${written} was written (within mtimePrecisionMs ${precision})${negative}`,
  ).toBeLessThan(precision)
}

/** Size, mtime and mode round-trips. */
export function metadataTests(s: SuiteContext): void {
  s.group('metadata round-trip', () => {
    s.test('size and mtime (within mtimePrecisionMs) through write, stat and list', async (b) => {
      for (const [i, mtimeMs] of MTIMES.entries()) {
        const content = 'x'.repeat(i * 7 + 1)
        const written = await writeText(b, `m${i}.txt`, content, mtimeMs)
        expect(written.size).toBe(content.length)
        expectMtime(b, written, mtimeMs, `write("m${i}.txt")`)
        const stat = await b.stat(`m${i}.txt` as RelPath)
        expect(stat?.size).toBe(content.length)
        expectMtime(b, stat, mtimeMs, `stat("m${i}.txt")`)
      }
      const listed = (await listAll(b)).filter((e) => e.kind === 'file')
      expect(listed.map((e) => e.size)).toEqual(MTIMES.map((_, i) => i * 7 + 1))
      if (b.capabilities.listMtime) for (const [i, e] of listed.entries()) expectMtime(b, e, MTIMES[i]!, 'list')
    })

    s.test(
      'mode (permission bits) through write, stat and list',
      async (b, t) => {
        if (!b.capabilities.permissions) return t.skip('capabilities.permissions is false')
        const modes = [0o640, 0o755, 0o600, 0o444]
        for (const [i, mode] of modes.entries()) {
          const written = await writeText(b, `p${i}`, 'x', { mode })
          expect(written.mode).toBe(mode)
          expect((await b.stat(`p${i}` as RelPath))?.mode).toBe(mode)
        }
        const listed = (await listAll(b)).filter((e) => e.kind === 'file')
        expect(listed.map((e) => e.mode)).toEqual(modes)
      },
      { needs: ['mode'] },
    )

    s.test('an entry carries a version that changes when the content changes, when it has one', async (b) => {
      const first = await writeText(b, 'v.txt', 'one', 1_600_000_000_000)
      const second = await writeText(b, 'v.txt', 'two', 1_600_000_000_000)
      if (first.version !== undefined || second.version !== undefined) {
        expect(second.version).not.toBe(first.version)
      }
    })
  })
}
