import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { listFiles, readText, rejectionOf, writeText } from '@syncflow/core/testkit'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { p, tempDir } from './helpers.js'

// QA 7 #9: a backend made its root (and the root's parents) once, on its first write. Deleted later
// (a target removed during a watch, a sub-directory that `syncflow serve` keeps a backend for),
// every later write failed with ENOENT of its temp file, until the process restarted.
describe('a target root that goes away after the first write', () => {
  it('is made again, with its parents, by the next write into it, below it, or mkdir', async () => {
    const base = await tempDir('root-gone')
    const root = join(base, 'parent', 'root')
    const b = createLocalBackend({ root })
    await writeText(b, 'first.txt', 'one')
    await rm(join(base, 'parent'), { recursive: true })

    await writeText(b, 'top.txt', 'two')
    expect(await readFile(join(root, 'top.txt'), 'utf8')).toBe('two')

    await rm(root, { recursive: true })
    await writeText(b, 'dir/sub/deep.txt', 'three')
    expect(await readFile(join(root, 'dir', 'sub', 'deep.txt'), 'utf8')).toBe('three')

    await rm(join(base, 'parent'), { recursive: true })
    await b.mkdir(p('made'))
    expect(await readdir(root)).toEqual(['made'])
    await b.close()
  })

  it('is made again by concurrent writes at once, each of them succeeding', async () => {
    const root = join(await tempDir('root-gone'), 'root')
    const b = createLocalBackend({ root })
    await writeText(b, 'first.txt', 'one')
    await rm(root, { recursive: true })
    const names = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? `f${i}` : `d/f${i}`))
    await Promise.all(names.map((name) => writeText(b, name, name)))
    expect((await listFiles(b)).length).toBe(20)
    expect(await readText(b, 'd/f1')).toBe('d/f1')
    await b.close()
  })

  it('is not made again by reads: a missing root stays missing (a source is never made to look empty)', async () => {
    const root = join(await tempDir('root-gone'), 'root')
    const b = createLocalBackend({ root })
    await writeText(b, 'first.txt', 'one')
    await rm(root, { recursive: true })
    expect(await b.stat(p('first.txt'))).toBeUndefined()
    // An empty listing, with rootExists false: what the engine's missing-source guard asks.
    expect(await listFiles(b)).toEqual([])
    expect(await b.rootExists()).toBe(false)
    await rejectionOf(readText(b, 'first.txt'))
    await b.remove(p('first.txt'))
    expect(existsSync(root)).toBe(false)
    await b.close()
  })

  it('replaced by a file: a write is a CONFLICT naming the root, the file is left alone, no temp name shown', async () => {
    const root = join(await tempDir('root-gone'), 'root')
    const b = createLocalBackend({ root })
    await writeText(b, 'first.txt', 'one')
    await rm(root, { recursive: true })
    await writeFile(root, 'not a directory')
    for (const path of ['top.txt', 'dir/below.txt']) {
      const err = (await rejectionOf(writeText(b, path, 'x'))) as Error
      expect(err).toMatchObject({ code: 'CONFLICT', path })
      expect(err.message).toContain(`the root ${root} is not a directory`)
      expect(err.message).not.toContain('.syncflow-tmp-')
    }
    expect(await rejectionOf(b.mkdir(p('d')))).toMatchObject({ code: 'CONFLICT' })
    expect(await readFile(root, 'utf8')).toBe('not a directory')
    await b.close()
  })
})

describe('a failed write names the file asked for, never its temp file', () => {
  it('a rename onto a non-empty directory names the destination', async () => {
    const root = await tempDir('temp-name')
    await mkdir(join(root, 'd', 'x'), { recursive: true })
    const b = createLocalBackend({ root })
    const body = Readable.from([Buffer.from('data')])
    const err = (await rejectionOf(b.write(p('d'), body, { mtimeMs: Date.now() }))) as Error
    expect(err).toMatchObject({ code: 'CONFLICT', path: 'd' })
    expect(err.message).toContain(`'${join(root, 'd')}'`)
    expect(err.message).not.toContain('.syncflow-tmp-')
    // The temp file is gone too.
    expect(await readdir(root)).toEqual(['d'])
    await b.close()
  })
})
