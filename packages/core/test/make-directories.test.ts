import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { makeDirectories } from '../src/util/make-directories.js'

let base: string | undefined
afterEach(async () => {
  if (base) await rm(base, { recursive: true, force: true })
})

describe('makeDirectories', () => {
  // What it made is what a job refused before it ran takes away again (review 32 L1): never a
  // directory that was there, or that another process made meanwhile.
  it('makes the missing directories and says which, deepest first; none when all are there', async () => {
    base = await mkdtemp(join(tmpdir(), 'make-dirs-'))
    await mkdir(join(base, 'a'))
    const made = await makeDirectories(join(base, 'a', 'b', 'c'))
    expect(made).toEqual([join(base, 'a', 'b', 'c'), join(base, 'a', 'b')])
    expect((await stat(join(base, 'a', 'b', 'c'))).isDirectory()).toBe(true)
    expect(await makeDirectories(join(base, 'a', 'b', 'c'))).toEqual([])
  })
})
