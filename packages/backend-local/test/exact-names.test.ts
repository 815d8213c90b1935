import { readdirSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExactNames } from '../src/exact-names.js'
import { tempDir } from './helpers.js'

/** ExactNames on `root` that records each directory it reads. */
function countingReads(root: string): { names: ExactNames; reads: string[] } {
  const reads: string[] = []
  const names = new ExactNames(root, (dir) => {
    reads.push(dir)
    return readdirSync(dir)
  })
  return { names, reads }
}

// Every file written into d/ read d's parent again, and every mkdir and stat theirs: an initial
// sync onto exFAT took twice as long (2,000 dirs x 5 files), a flat directory of 3,000
// subdirectories 4 times (12,000 reads of a 3,000-entry directory) (review 31b).
describe('ExactNames', () => {
  it('reads a directory written into once, not once per write', async () => {
    const root = await tempDir('exact-names')
    await mkdir(join(root, 'd', 'e'), { recursive: true })
    await writeFile(join(root, 'D2'), '')
    const { names, reads } = countingReads(root)
    for (let i = 0; i < 5; i++) expect(names.twinOf('d', true)).toBeUndefined()
    for (let i = 0; i < 5; i++) expect(names.twinOf('d/e', true)).toBeUndefined()
    expect(reads).toHaveLength(2)
    // A directory made under its own name is not read for again.
    names.made('new')
    expect(names.twinOf('new', true)).toBeUndefined()
    expect(reads).toHaveLength(2)
    // Twins are still found, each time.
    expect(names.twinOf('d2', true)).toEqual({ asked: 'd2', found: 'D2' })
    expect(names.twinOf('D/e', true)).toEqual({ asked: 'D', found: 'd' })
  })
})

describe('a local target that does not tell names apart by case', () => {
  it("reads a directory it made as a write's parent no more", async () => {
    const root = await tempDir('exact-names-made')
    const { names, reads } = countingReads(root)
    names.made('a/b/c')
    expect(names.twinOf('a/b/c', true)).toBeUndefined()
    expect(names.twinOf('a/b', true)).toBeUndefined()
    expect(reads).toEqual([])
  })
})

describe('writes into a directory not made yet', () => {
  it('read for it once, not once each', async () => {
    const root = await tempDir('exact-names-missing')
    const { names, reads } = countingReads(root)
    for (let i = 0; i < 5; i++) expect(names.twinOf('d', true)).toBeUndefined()
    expect(reads).toHaveLength(1)
  })
})
