import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, jsonLines, REPO, readTree, runCli, tempDir, writeTree } from './helpers/cli.js'

// A listing that fails after some of the run was planned (an S3 page after the first), through the
// built binary: a plugin over the real local backend whose list() fails after PAGE_FAIL_AFTER
// entries with PAGE_FAIL_CODE, as a second page of a bucket's listing would.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

const CORE = pathToFileURL(join(REPO, 'packages/core/dist/index.js')).href
const LOCAL = pathToFileURL(join(REPO, 'packages/backend-local/dist/index.js')).href

const PAGE_PLUGIN = `import { SyncError } from '${CORE}'
import { localBackend } from '${LOCAL}'
export default {
  name: 'page',
  schemes: ['page'],
  async open(uri, options) {
    const b = await localBackend.open(uri.slice('page://'.length), options)
    const list = b.list.bind(b)
    const after = Number(process.env.PAGE_FAIL_AFTER)
    b.list = async function* (opts) {
      let n = 0
      for await (const e of list(opts)) {
        if (n++ === after) throw new SyncError(process.env.PAGE_FAIL_CODE, 'page 2 refused', { op: 'page.list' })
        yield e
      }
    }
    return b
  },
}
`

/** Files in each tree: more than a window of planned pairs (256) before the failure. */
const FILES = 600
const FAIL_AFTER = '400'

let root: string
let src: string
let dst: string

beforeEach(async () => {
  root = await tempDir('syncflow-listing-stop-')
  src = join(root, 'src')
  dst = join(root, 'dst')
  const names = Array.from({ length: FILES }, (_, i) => `f${String(i).padStart(4, '0')}`)
  await writeTree(src, Object.fromEntries(names.map((f) => [f, `new ${f}\n`])))
  // Each target file older content of another size (an update), one stale file planned for deletion
  // before the failure (it sorts first), one past it.
  await writeTree(dst, {
    ...Object.fromEntries(names.map((f) => [f, `old ${f}, longer\n`])),
    'a-stale': 'stale\n',
    'zzz-stale': 'stale\n',
  })
  await writeFile(join(root, 'page.mjs'), PAGE_PLUGIN)
})

const run = (code: string, ...args: string[]) =>
  runCli([...args, '--plugin', './page.mjs'], {
    cwd: root,
    env: { SYNCFLOW_STATE_DIR: join(root, 'state'), PAGE_FAIL_AFTER: FAIL_AFTER, PAGE_FAIL_CODE: code },
  })

describe('a target listing refused (AUTH) after some of the run was planned', () => {
  it('finishes what was planned, deletes nothing, then stops with the error: said once, a summary of what was done, exit 2', async () => {
    const r = await run('AUTH', 'sync', src, `page://${dst}`)
    expect(r.code, r.stderr).toBe(2)
    // The error once (its failure line, in full), not again as `syncflow: …` after the run.
    expect(r.stderr.split('AUTH: page.list: page 2 refused')).toHaveLength(2)
    expect(r.stderr).toContain('failed   (target list): AUTH: page.list: page 2 refused')
    // What was done is summed up: the run did not "do nothing".
    const updated = r.stdout.split('\n').filter((l) => l !== '').length
    expect(updated).toBeGreaterThan(0)
    expect(r.stderr).toMatch(new RegExp(`Stopped after [^:]+: updated ${updated} files`))
    expect(r.stderr).toContain('Stopped by the failure above.')
    expect(r.stderr).not.toContain('Done in')
    const tree = await readTree(dst)
    expect(tree['a-stale']).toBe('stale\n')
    expect(tree['zzz-stale']).toBe('stale\n')
    expect(Object.values(tree).filter((t) => t.startsWith('new ')).length).toBe(updated)
  })

  it('--json: every transfer started ends, every delete planned is held back, done says the fatal error', async () => {
    const r = await run('AUTH', 'sync', src, `page://${dst}`, '--json')
    expect(r.code, r.stderr).toBe(2)
    const events = jsonLines(r.stdout) as unknown as {
      type: string
      path?: string
      action?: { kind: string; path: string }
      stage?: string
      summary?: { fatal?: { code: string }; done: { update: number; delete: number } }
    }[]
    const started = events.filter((e) => e.type === 'started').map((e) => e.action?.path)
    const ended = new Set(
      events.filter((e) => e.type === 'completed' || e.type === 'failed').map((e) => e.action?.path ?? e.path),
    )
    expect(started.length).toBeGreaterThan(0)
    expect(started.filter((p) => !ended.has(p))).toEqual([])
    const deletes = events.filter((e) => e.type === 'planned' && e.action?.kind === 'delete').map((e) => e.action?.path)
    expect(deletes).toEqual(['a-stale'])
    expect(events.filter((e) => e.type === 'skipped' && e.action?.kind === 'delete').map((e) => e.path)).toEqual(
      deletes,
    )
    expect(events.filter((e) => e.type === 'failed' && e.stage === 'list')).toHaveLength(1)
    const done = events.at(-1)
    expect(done?.type).toBe('done')
    expect(done?.summary?.fatal?.code).toBe('AUTH')
    expect(done?.summary?.done.update).toBe(started.length)
    expect(done?.summary?.done.delete).toBe(0)
  })
})

// check exited 2 where sync --dry-run exited 1 on the same transient failure: both list what they
// found before it, and both exit 1 for it (some items could not be compared), 2 when it is fatal.
describe('check and sync --dry-run meet a listing failure after differences alike', () => {
  it.each([
    ['TRANSIENT', 1],
    ['AUTH', 2],
  ] as const)('%s: exit %i from both', async (code, exit) => {
    const checked = await run(code, 'check', src, `page://${dst}`)
    const dry = await run(code, 'sync', '--dry-run', src, `page://${dst}`)
    expect(checked.code, checked.stderr).toBe(exit)
    expect(dry.code, dry.stderr).toBe(exit)
    // Both listed the differences found before the failure, which each said once.
    expect(checked.stdout).toContain('update   f0000')
    expect(dry.stdout).toContain('would update f0000')
    for (const r of [checked, dry]) expect(r.stderr.split(`${code}: page.list: page 2 refused`)).toHaveLength(2)
    if (code === 'TRANSIENT') expect(checked.stderr).toContain('Parts that could not be listed were not compared.')
    // Stopped or not, check sums up the differences it found (the error said once, above).
    const found = checked.stdout.split('\n').filter((l) => l.startsWith('update ')).length
    expect(found).toBeGreaterThan(0)
    expect(checked.stderr).toMatch(new RegExp(`${found + 1} differences: ${found} to update, 1 to delete`))
    if (code === 'AUTH') expect(checked.stderr).toContain('Stopped by the failure above.')
    expect(await readTree(dst)).toMatchObject({ f0000: 'old f0000, longer\n', 'a-stale': 'stale\n' })
  })
})
