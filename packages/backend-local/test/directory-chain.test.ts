import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { directoryChain } from '../src/index.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncflow-chain-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

it('a directory: its own id first, then each directory above it up to /', async () => {
  await mkdir(join(dir, 'a', 'b'), { recursive: true })
  const inner = await directoryChain(join(dir, 'a', 'b'))
  const outer = await directoryChain(join(dir, 'a'))
  expect(inner.exists).toBe(true)
  expect(inner.ids.slice(1)).toEqual(outer.ids)
  expect((await directoryChain('/')).ids).toEqual([inner.ids.at(-1)])
})

it('a path that does not exist yet starts at its nearest existing ancestor; a file is not a directory', async () => {
  await mkdir(join(dir, 'a'))
  await writeFile(join(dir, 'f'), 'x')
  const missing = await directoryChain(join(dir, 'a', 'new', 'deeper'))
  expect(missing.exists).toBe(false)
  expect(missing.ids).toEqual((await directoryChain(join(dir, 'a'))).ids)
  expect((await directoryChain(join(dir, 'f'))).exists).toBe(false)
})

it('a name through a symlink has the chain of the directory it leads to', async () => {
  await mkdir(join(dir, 'real', 'sub'), { recursive: true })
  await symlink(join(dir, 'real'), join(dir, 'link'))
  expect(await directoryChain(join(dir, 'link', 'sub'))).toEqual(await directoryChain(join(dir, 'real', 'sub')))
})
