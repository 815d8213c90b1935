import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildPackages, readTree, runExample, tempDir, writeTree } from './helpers/run-example.js'

const SOURCE = {
  'notes.txt': 'top-level notes',
  'docs/guide.md': '# guide',
  'docs/more/deep.txt': 'deep text',
  'docs/picture.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  'logs/today.txt': 'excluded by the default --exclude logs',
  'data.bin': Buffer.alloc(300_000, 1),
}

describe('examples/filtered-copy-with-throughput.mjs', () => {
  beforeAll(() => buildPackages(), 120_000)

  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  async function setup(): Promise<{ src: string; dst: string; cwd: string; stateDir: string }> {
    const work = await tempDir('filtered')
    cleanups.push(work.cleanup)
    const src = join(work.path, 'src')
    await writeTree(src, SOURCE)
    return { src, dst: join(work.path, 'dst'), cwd: work.path, stateDir: join(work.path, 'state') }
  }

  it('copies only what the default filter selects, logging throughput; a re-run writes nothing', async () => {
    const { src, dst, cwd, stateDir } = await setup()
    const first = await runExample('filtered-copy-with-throughput.mjs', [src, dst], { cwd, stateDir })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const copied = await readTree(dst)
    expect(Object.keys(copied).sort()).toEqual(['docs/guide.md', 'docs/more/deep.txt', 'notes.txt'])
    const source = await readTree(src)
    for (const [path, facts] of Object.entries(copied)) expect(facts).toEqual(source[path])
    const stats = first.stdout.split('\n').filter((l) => l.startsWith('stats: '))
    expect(stats.length).toBeGreaterThan(0)
    expect(stats.at(-1)).toMatch(/^stats: (\d+)\/\1 files, .* 0 in flight$/)
    expect(first.stdout).toMatch(/^copy docs\/guide\.md \(7 bytes\)$/m)

    const second = await runExample('filtered-copy-with-throughput.mjs', [src, dst], { cwd, stateDir })
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^done: 0 file\(s\) written, 0 failed/m)
    expect(second.stdout).toMatch(/^stats: 0\/0 files/m)
  })

  it('takes --include/--exclude in place of the default filter', async () => {
    const { src, dst, cwd, stateDir } = await setup()
    const run = await runExample(
      'filtered-copy-with-throughput.mjs',
      [src, dst, '--include', '*.png', '--include', '*.bin', '--exclude', 'docs'],
      { cwd, stateDir },
    )
    expect(run.code).toBe(0)
    expect(Object.keys(await readTree(dst))).toEqual(['data.bin'])
  })

  // QA 19 #3: a source that does not exist (a typo) was an empty tree: "done: 0 written", exit 0.
  it('a source that does not exist is exit 2, saying so, and nothing is made', async () => {
    const { dst, cwd, stateDir } = await setup()
    const run = await runExample('filtered-copy-with-throughput.mjs', [join(cwd, 'no-such-dir'), dst], {
      cwd,
      stateDir,
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/no-such-dir does not exist/)
    expect(await readTree(dst).catch(() => undefined)).toBeUndefined()
  })
})
