import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { summarizeCpuProfile } from '../lib/cpu-profile.mjs'
import { deriveSeed, Prng } from '../lib/prng.mjs'
import {
  BASE_MTIME_S,
  changeSome,
  deleteSome,
  listTree,
  mixedTree,
  smallFilesTree,
  treeDifference,
  writeTree,
} from '../lib/tree.mjs'

const dirs: string[] = []
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'syncflow-bench-test-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** Path → sha256 of every file listed by `listTree`. */
async function contentHashes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const p of listTree(root).keys()) {
    out.set(
      p,
      createHash('sha256')
        .update(await readFile(join(root, p)))
        .digest('hex'),
    )
  }
  return out
}

describe('Prng', () => {
  it('gives the same sequence for a seed on every run and platform (golden values)', () => {
    const p = new Prng(1)
    expect([p.next(), p.next(), p.next()]).toEqual([1828152527, 3394835397, 2967886022])
    expect(new Prng(1).fill(new Uint8Array(7))).toEqual(new Prng(1).fill(new Uint8Array(7)))
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1))
  })

  it('int stays in range and sample gives distinct sorted indices', () => {
    const p = new Prng(9)
    for (let i = 0; i < 1000; i++) {
      const v = p.int(3, 5)
      expect(v >= 3 && v <= 5).toBe(true)
    }
    const s = p.sample(50, 10)
    expect(new Set(s).size).toBe(10)
    expect(s).toEqual([...s].sort((a, b) => a - b))
  })
})

describe('tree generation', () => {
  it('writes the same tree (paths, sizes, mtimes, bytes) for the same seed, another for another seed', async () => {
    const spec = { files: 40, dirs: 4, seed: 7 }
    const [a, b, c] = [await temp(), await temp(), await temp()]
    writeTree(a, smallFilesTree(spec))
    writeTree(b, smallFilesTree(spec))
    writeTree(c, smallFilesTree({ ...spec, seed: 8 }))
    expect(treeDifference(listTree(a), listTree(b))).toBeUndefined()
    expect(await contentHashes(a)).toEqual(await contentHashes(b))
    expect(await contentHashes(a)).not.toEqual(await contentHashes(c))
  })

  it('spreads files evenly over the directories, 1–8 KiB each, with fixed mtimes', async () => {
    const root = await temp()
    const specs = smallFilesTree({ files: 40, dirs: 4, seed: 1 })
    writeTree(root, specs)
    const listed = listTree(root)
    expect(listed.size).toBe(40)
    expect(new Set([...listed.keys()].map((p) => p.split('/')[0])).size).toBe(4)
    for (const [i, s] of specs.entries()) {
      expect(s.size).toBeGreaterThanOrEqual(1024)
      expect(s.size).toBeLessThanOrEqual(8192)
      expect(listed.get(s.path)).toBe(`${s.size}:${BASE_MTIME_S + i}`)
    }
  })

  it('changes and deletes the same files for the same seed', async () => {
    const [a, b] = [await temp(), await temp()]
    const specsA = smallFilesTree({ files: 200, dirs: 4, seed: 3 })
    const specsB = smallFilesTree({ files: 200, dirs: 4, seed: 3 })
    writeTree(a, specsA)
    writeTree(b, specsB)
    const changedA = changeSome(a, specsA, 0.05, 11)
    const changedB = changeSome(b, specsB, 0.05, 11)
    expect(changedA).toHaveLength(10)
    expect(changedA).toEqual(changedB)
    expect(deleteSome(a, specsA, 0.01, 12)).toEqual(deleteSome(b, specsB, 0.01, 12))
    expect(listTree(a).size).toBe(198)
    expect(await contentHashes(a)).toEqual(await contentHashes(b))
  })

  it('makes a deterministic mixed tree whose largest file is maxBytes', async () => {
    const root = await temp()
    const specs = mixedTree({ seed: 5, maxBytes: 32 * 1024 * 1024 })
    expect(specs).toEqual(mixedTree({ seed: 5, maxBytes: 32 * 1024 * 1024 }))
    expect(Math.max(...specs.map((s) => s.size))).toBe(32 * 1024 * 1024)
    expect(specs.filter((s) => s.path.startsWith('src/')).length).toBe(2000)
    writeTree(root, specs.slice(-30))
    expect(listTree(root).size).toBe(30)
  })
})

describe('summarizeCpuProfile', () => {
  it('charges sample time to functions, files and categories', async () => {
    const file = join(await temp(), 'p.cpuprofile')
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 })
    await writeFile(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
          { id: 2, callFrame: frame('diff', 'file:///repo/packages/core/dist/operators/diff.js'), children: [] },
          { id: 3, callFrame: frame('(garbage collector)', ''), children: [] },
          { id: 4, callFrame: frame('lstat', ''), children: [] },
        ],
        samples: [2, 2, 2, 3, 4],
        timeDeltas: [100, 100, 100, 100, 600],
        startTime: 0,
        endTime: 1000,
      }),
    )
    const text = summarizeCpuProfile(file, { root: '/repo/' })
    expect(text).toContain(' 30.0%  packages/core')
    expect(text).toContain(' 60.0%  native lstat()')
    expect(text).toContain(' 10.0%  garbage collection')
    expect(text).toContain('packages/core/dist/operators/diff.js:1 diff')
  })
})
