import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildPackages, readTree, runExample, tempDir, writeTree } from './helpers/run-example.js'

describe('examples/custom-backend-plugin.mjs', () => {
  beforeAll(() => buildPackages(), 120_000)

  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  it('snapshots a directory into json:// and restores it into another directory', async () => {
    const work = await tempDir('plugin')
    cleanups.push(work.cleanup)
    const src = join(work.path, 'src')
    const snapshot = join(work.path, 'snap', 'tree.json')
    const restored = join(work.path, 'restored')
    await writeTree(src, {
      'hello.txt': 'hello',
      'nested/dir/data.bin': Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251)),
      'odd name ü 😀.txt': { content: 'odd', mtimeMs: 1_500_000_000_000 },
      'empty.txt': '',
    })

    const run = await runExample('custom-backend-plugin.mjs', [src, snapshot, restored], {
      cwd: work.path,
      stateDir: join(work.path, 'state'),
    })

    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^schemes: file, json$/m)
    expect(run.stdout).toMatch(/^snapshot: .* -> json:\/\/.*: 4 copied, 0 updated, 0 deleted, 0 failed/m)
    expect(run.stdout).toMatch(/^restore: json:\/\/.* -> .*: 4 copied, 0 updated, 0 deleted, 0 failed/m)
    const doc = JSON.parse(await readFile(snapshot, 'utf8')) as {
      format: number
      files: Record<string, { base64: string }>
    }
    expect(doc.format).toBe(1)
    expect(Buffer.from(doc.files['hello.txt']!.base64, 'base64').toString()).toBe('hello')
    expect(await readTree(restored)).toEqual(await readTree(src))
  })
})
