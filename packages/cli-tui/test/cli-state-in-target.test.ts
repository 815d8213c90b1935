import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, runCli, tempDir, writeTree } from './helpers/cli.js'

// QA 29c: a mirror into a target that holds the job's state directory or its --state file listed
// them as files the source lacks and deleted them while the run held them: the lock (a second run
// was then no longer kept out) and the state file ("SQLITE_IOERR … a bug in syncflow", exit 1 on
// every run). Refused up front, unless --exclude keeps them out of the target's listing.
describe('a state directory or --state file inside the target of a mirror', () => {
  beforeAll(() => buildCli())
  afterAll(() => cleanupTempDirs())

  const tree = async () => {
    const root = await tempDir()
    await writeTree(join(root, 'src'), { a: 'a', b: 'b' })
    return root
  }

  it('a --state file there is refused (exit 2), nothing written; excluded with its journals, it is kept', async () => {
    const root = await tree()
    const dst = join(root, 'dst')
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
    const state = join(dst, 'job.sqlite')
    const r = await runCli(['sync', join(root, 'src'), dst, '--state', state], { env })
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(`the state file ${JSON.stringify(state)} lies inside the target`)
    expect(r.stderr).toContain("--exclude '/job.sqlite*'")
    expect(existsSync(dst)).toBe(false)
    for (let run = 0; run < 2; run++) {
      const ok = await runCli(['sync', join(root, 'src'), dst, '--state', state, '--exclude', '/job.sqlite*'], { env })
      expect(ok.code, ok.stderr).toBe(0)
      expect(ok.stdout + ok.stderr).not.toMatch(/deleted|SQLITE/)
      expect(existsSync(state)).toBe(true)
    }
    // copy never deletes: nothing to refuse.
    const copy = await runCli(['copy', join(root, 'src'), join(root, 'c'), '--state', join(root, 'c', 'job.sqlite')], {
      env,
    })
    expect(copy.code, copy.stderr).toBe(0)
  })

  it('a state directory there (the lock) is left out of both sides; with --delete-excluded refused', async () => {
    const root = await tree()
    const dst = join(root, 'dst')
    const env = { SYNCFLOW_STATE_DIR: join(dst, '.state') }
    for (let run = 0; run < 2; run++) {
      const ok = await runCli(['sync', join(root, 'src'), dst], { env })
      expect(ok.code, ok.stderr).toBe(0)
      expect(ok.stdout).not.toContain('deleted')
      // The run's state file, made when it recorded its copies, is there for the next run.
      expect((await readdir(join(dst, '.state'))).filter((n) => n.endsWith('.sqlite'))).toHaveLength(1)
    }
    // Excluded files are deleted there: the state directory with them, so refused.
    const r = await runCli(['sync', join(root, 'src'), dst, '--exclude', '*.tmp', '--delete-excluded'], { env })
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain("(the job's lock, and its state file) lies inside the target")
  })

  // A restore of a home directory with the default state directory (~/.local/state/syncflow) was
  // refused (exit 2): an ordinary command. The backup's old copy of it is not written over it either.
  it('a restore into a home directory keeps the live state directory, and ignores the backup copy of it', async () => {
    const root = await tree()
    const home = join(root, 'home')
    const live = join(home, '.local', 'state', 'syncflow')
    await writeTree(live, { 'keep.sqlite': 'live' })
    await writeTree(join(root, 'backup'), { a: 'a', '.local/state/syncflow/keep.sqlite': 'old', '.local/other': 'o' })
    const env = { HOME: home, XDG_STATE_HOME: '', SYNCFLOW_STATE_DIR: '' }
    const r = await runCli(['sync', join(root, 'backup'), home], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(await readFile(join(live, 'keep.sqlite'), 'utf8')).toBe('live')
    expect(await readFile(join(home, '.local', 'other'), 'utf8')).toBe('o')
    expect(await readFile(join(home, 'a'), 'utf8')).toBe('a')
  })

  // A backup of a home directory copied the job's own state file while the run wrote it (again on
  // every run), and `watch ~ /backup` heard each of its own state writes: a cycle every ~100 ms.
  it('the state directory, or a --state file, inside the source is not copied, so a re-run has nothing to do', async () => {
    const root = await tree()
    const home = join(root, 'home')
    await writeTree(home, { 'docs/a': 'a' })
    const env = { HOME: home, XDG_STATE_HOME: '', SYNCFLOW_STATE_DIR: '' }
    for (const extra of [[], ['--state', join(home, 'my [state].db')]]) {
      const dst = join(root, `backup${extra.length}`)
      for (let run = 0; run < 2; run++) {
        const r = await runCli(['sync', home, dst, ...extra], { env })
        expect(r.code, r.stderr).toBe(0)
        if (run === 1) expect(r.stdout + r.stderr).toContain('nothing to do')
      }
      expect(await readdir(join(dst, '.local', 'state'))).toEqual([])
      expect((await readdir(dst)).sort()).toEqual(['.local', 'docs'])
      if (extra.length > 0) expect(existsSync(join(home, 'my [state].db'))).toBe(true)
    }
  })
})
