import { expect } from 'vitest'
import { readText, writeText } from '../backend-io.js'
import { NORMALIZATION_PAIR, ODD_NAMES } from '../names.js'
import type { SuiteContext } from '../suite-context.js'
import { listFiles } from './ordered-listing.js'

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** Names are kept byte-exact: spaces, punctuation, astral characters, normalization forms, case. */
export function namesTests(s: SuiteContext): void {
  s.group('odd names', () => {
    s.test('spaces, punctuation, non-ASCII, astral characters and emoji round-trip byte-exact', async (b) => {
      for (const name of ODD_NAMES) await writeText(b, name, `content of ${name}`)
      expect(await listFiles(b)).toEqual([...ODD_NAMES].sort(byUtf8))
      for (const name of ODD_NAMES) expect(await readText(b, name)).toBe(`content of ${name}`)
    })

    s.test(
      'the NFC and NFD forms of "café" are two files, kept apart',
      async (b) => {
        const [nfc, nfd] = NORMALIZATION_PAIR
        await writeText(b, nfc, 'precomposed')
        await writeText(b, nfd, 'decomposed')
        await writeText(b, `dir-${nfc}/x`, 'in nfc dir')
        await writeText(b, `dir-${nfd}/x`, 'in nfd dir')
        expect(await listFiles(b)).toEqual([nfc, nfd, `dir-${nfc}/x`, `dir-${nfd}/x`].sort(byUtf8))
        expect(await readText(b, nfc)).toBe('precomposed')
        expect(await readText(b, nfd)).toBe('decomposed')
        expect(await readText(b, `dir-${nfd}/x`)).toBe('in nfd dir')
      },
      { needs: ['normalization'] },
    )

    s.test('names differing only in case are two files on a case-sensitive backend', async (b, t) => {
      if (!b.capabilities.caseSensitive) return t.skip('capabilities.caseSensitive is false')
      await writeText(b, 'Readme.md', 'upper')
      await writeText(b, 'readme.md', 'lower')
      expect(await listFiles(b)).toEqual(['Readme.md', 'readme.md'])
      expect(await readText(b, 'Readme.md')).toBe('upper')
    })
  })
}
