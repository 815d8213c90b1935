import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildPackages, readTree, runExample, tempDir, without, writeTree } from './helpers/run-example.js'

describe('examples/mirror-with-summary.mjs', () => {
  beforeAll(() => buildPackages(), 120_000)

  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  it('mirrors a directory (honouring .syncflowignore, deleting extras), then finds nothing to do', async () => {
    const work = await tempDir('mirror')
    cleanups.push(work.cleanup)
    const src = join(work.path, 'src')
    const dst = join(work.path, 'dst')
    const state = join(work.path, 'state')
    await writeTree(src, {
      'a.txt': 'alpha',
      'dir/b.bin': Buffer.alloc(70_000, 7),
      'dir/sub/c.txt': { content: 'gamma', mtimeMs: 1_600_000_000_000 },
      'skip.tmp': 'ignored by .syncflowignore',
      '.syncflowignore': '*.tmp\n',
    })
    await writeTree(dst, { 'old.txt': 'not in the source', 'dir/b.bin': 'stale' })

    const run = await runExample('mirror-with-summary.mjs', [src, dst], { cwd: work.path, stateDir: state })

    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^run 1: 3 copied, 1 updated, 1 deleted, \d+ dirs made, 0 unchanged, 0 failed; /)
    expect(lines[1]).toMatch(
      /^run 2: 0 copied, 0 updated, 0 deleted, 0 dirs made, 4 unchanged, 0 failed; .*nothing to do$/,
    )
    expect(await readTree(dst)).toEqual(without(await readTree(src), 'skip.tmp'))
    // The job kept its state in $SYNCFLOW_STATE_DIR, and released its lock.
    const stateFiles = await readdir(state)
    expect(stateFiles.some((f) => f.endsWith('.sqlite'))).toBe(true)
    expect(stateFiles.filter((f) => f.endsWith('.lock'))).toEqual([])
  })

  it('runs with no arguments: the bundled sample tree into a new temporary directory', async () => {
    const work = await tempDir('mirror-default')
    cleanups.push(work.cleanup)
    const run = await runExample('mirror-with-summary.mjs', [], { cwd: work.path, stateDir: join(work.path, 'state') })
    expect(run.code).toBe(0)
    const target = /^mirrored .* into (.*)$/m.exec(run.stdout)?.[1]
    expect(target).toBeDefined()
    cleanups.push(() => rm(target!, { recursive: true, force: true }))
    expect(run.stdout).toMatch(/^run 2: .*nothing to do$/m)
    expect(Object.keys(await readTree(target!))).toContain('README.txt')
  })
})
