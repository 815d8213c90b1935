import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, runCli, tempDir, writeTree } from './helpers/cli.js'

// Review of the state store: a state directory (SYNCFLOW_STATE_DIR, or `--state DIR`) that is the
// target itself, not below it, was neither left out nor refused (QA 29c's check takes only a path
// strictly inside): the mirror deleted the lock it held ("deleted <job>.lock", so a second run was no
// longer kept out), then its own live state file on the next run (SQLITE_IOERR, "a bug in syncflow",
// exit 1), leaving -wal and -shm files in the target for ever.
describe('a state directory that is the target of a mirror', () => {
  beforeAll(() => buildCli())
  afterAll(() => cleanupTempDirs())

  it('SYNCFLOW_STATE_DIR set to the target is refused (exit 2), nothing deleted', async () => {
    const root = await tempDir()
    await writeTree(join(root, 'src'), { a: 'a', b: 'b' })
    const dst = join(root, 'dst')
    await writeTree(dst, { keep: 'k' })
    const env = { SYNCFLOW_STATE_DIR: dst }
    for (let run = 0; run < 2; run++) {
      const r = await runCli(['sync', join(root, 'src'), dst], { env })
      expect(r.stdout).not.toMatch(/deleted +\w+\.(lock|sqlite)/)
      expect(r.code, r.stdout + r.stderr).toBe(2)
      expect(r.stderr).toContain('is the target')
    }
    expect((await readdir(dst)).sort()).toEqual(['keep'])
  })

  it('--state naming the target directory is refused (exit 2), nothing deleted', async () => {
    const root = await tempDir()
    await writeTree(join(root, 'src'), { a: 'a' })
    const dst = join(root, 'dst')
    await writeTree(dst, { keep: 'k' })
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
    for (const state of [dst, `${dst}/`]) {
      const r = await runCli(['sync', join(root, 'src'), dst, '--state', state], { env })
      expect(r.stdout).not.toMatch(/deleted +\w+\.sqlite/)
      expect(r.code, r.stdout + r.stderr).toBe(2)
      expect(r.stderr).toContain('is the target')
    }
    expect((await readdir(dst)).sort()).toEqual(['keep'])
    // copy never deletes: nothing to refuse.
    const copy = await runCli(['copy', join(root, 'src'), dst, '--state', `${dst}/`], { env })
    expect(copy.code, copy.stderr).toBe(0)
  })

  // Review of today's changes: the same gap on the side a move deletes from. `move STATE DST` with
  // the state directory as its source moved the job's lock and, on the next run, its live state
  // file ('moved <job>.sqlite'), leaving -wal/-shm behind; a state directory inside the source is
  // left out already.
  it('a move whose source is the state directory is refused (exit 2), the state left in place', async () => {
    const root = await tempDir()
    const state = join(root, 'state')
    await writeTree(state, { a: 'a' })
    const env = { SYNCFLOW_STATE_DIR: state }
    for (let run = 0; run < 2; run++) {
      const r = await runCli(['move', state, join(root, 'dst')], { env })
      expect(r.stdout).not.toMatch(/moved +\w+\.(lock|sqlite)/)
      expect(r.code, r.stdout + r.stderr).toBe(2)
      expect(r.stderr).toContain('is the source')
    }
    expect(await readdir(state)).toEqual(['a'])
  })
})
