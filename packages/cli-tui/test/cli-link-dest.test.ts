import { mkdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  expectUsageError,
  jsonLines,
  readTree,
  runCli,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// `--link-dest` (rsync's): snapshot backups whose unchanged files are hard links into the last one.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

let root: string
let src: string
let env: { SYNCFLOW_STATE_DIR: string }

beforeEach(async () => {
  root = await tempDir()
  src = join(root, 'src')
  env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
  await writeTree(src, { 'a.txt': 'alpha', 'b.txt': 'bravo', 'sub/c.txt': 'charlie' })
})

const inode = async (path: string) => (await stat(join(root, path))).ino

describe('--link-dest', () => {
  it('makes a chain of snapshots, each linking what the last one holds unchanged', async () => {
    // The first snapshot has no previous one: said, and every file copied (as rsync does).
    const first = await runCli(['backup', src, join(root, 'snaps/day1'), '--link-dest', '../day0'], { env })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toContain('--link-dest "../day0" (')
    expect(first.stderr).toContain(
      'relative to the target as rsync reads it) does not exist: the files it would have given are copied',
    )
    await writeFile(join(src, 'b.txt'), 'BRAVO!')

    const second = await runCli(['backup', src, join(root, 'snaps/day2'), '--link-dest', '../day1', '-v'], { env })
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toMatch(/^linked {3}a\.txt$/m)
    expect(second.stdout).toMatch(/^linked {3}sub\/c\.txt$/m)
    expect(second.stdout).toMatch(/^copied {3}b\.txt$/m)
    expect(second.stderr).toContain('Of the files copied, 2 were hard-linked from --link-dest (no bytes copied).')
    expect(await inode('snaps/day2/a.txt')).toBe(await inode('snaps/day1/a.txt'))
    expect(await inode('snaps/day2/b.txt')).not.toBe(await inode('snaps/day1/b.txt'))
    expect(await readTree(join(root, 'snaps/day2'))).toEqual(await readTree(src))
    expect((await readTree(join(root, 'snaps/day1')))['b.txt']).toBe('bravo')

    // --json: each linked file's completed event says so, and the summary counts them.
    const third = await runCli(
      ['sync', src, join(root, 'snaps/day3'), '--link-dest', join(root, 'snaps/day2'), '--json'],
      {
        env,
      },
    )
    expect(third.code, third.stderr).toBe(0)
    const events = jsonLines(third.stdout)
    const linked = events.filter((e) => e.type === 'completed' && e.linked === true)
    expect(linked.map((e) => (e.action as { path: string }).path).sort()).toEqual(['a.txt', 'b.txt', 'sub/c.txt'])
    expect(
      (events.at(-1) as unknown as { summary: { linked?: number; bytesTransferred: number } }).summary,
    ).toMatchObject({
      linked: 3,
      bytesTransferred: 0,
    })
  })

  it('says in a dry run which files would be linked, and counts no bytes for them', async () => {
    await runCli(['backup', src, join(root, 'snaps/day1')], { env })
    await writeFile(join(src, 'b.txt'), 'BRAVO!')
    const dry = await runCli(['backup', src, join(root, 'snaps/day2'), '--link-dest', '../day1', '--dry-run', '-v'], {
      env,
    })
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/^would link {3}a\.txt$/m)
    expect(dry.stdout).toMatch(/^would link {3}sub\/c\.txt$/m)
    expect(dry.stdout).toMatch(/^would copy {3}b\.txt$/m)
    // Only b.txt's 6 bytes would cross: the linked files are not "to transfer".
    expect(dry.stderr).toContain('(6 B to transfer)')
    expect(dry.stderr).toContain('Of the files to copy, 2 would be hard-linked from --link-dest (no bytes copied).')
    await expect(stat(join(root, 'snaps/day2'))).rejects.toMatchObject({ code: 'ENOENT' })

    const json = await runCli(
      ['backup', src, join(root, 'snaps/day2'), '--link-dest', '../day1', '--dry-run', '--json'],
      {
        env,
      },
    )
    const events = jsonLines(json.stdout)
    const linked = events.filter((e) => e.type === 'completed' && e.linked === true)
    expect(linked.map((e) => (e.action as { path: string }).path).sort()).toEqual(['a.txt', 'sub/c.txt'])

    // The real run links what the dry run said it would.
    const real = await runCli(['backup', src, join(root, 'snaps/day2'), '--link-dest', '../day1', '-v'], { env })
    expect(real.code, real.stderr).toBe(0)
    expect(real.stdout).toMatch(/^linked {3}a\.txt$/m)
    expect(await inode('snaps/day2/sub/c.txt')).toBe(await inode('snaps/day1/sub/c.txt'))
  })

  it('reads a relative directory from the target, not from where syncflow runs', async () => {
    await runCli(['backup', src, join(root, 'snaps/day1')], { env })
    // Run from src: ../day1 from there does not exist, from the target it does.
    const r = await runCli(['backup', '.', join(root, 'snaps/day2'), '--link-dest', '../day1'], { env, cwd: src })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('does not exist')
    expect(await inode('snaps/day2/a.txt')).toBe(await inode('snaps/day1/a.txt'))
  })

  // Review of --link-dest F9: rsync reads `..` from the real directory it changes into.
  it('reads a relative directory from the real directory a symlinked target leads to', async () => {
    await runCli(['backup', src, join(root, 'disk/day1')], { env })
    await mkdir(join(root, 'disk/day2'))
    await mkdir(join(root, 'view'))
    await symlink('../disk/day2', join(root, 'view/current'))
    const r = await runCli(['backup', src, join(root, 'view/current'), '--link-dest', '../day1', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('does not exist')
    expect(await inode('disk/day2/a.txt')).toBe(await inode('disk/day1/a.txt'))
    // Review F6: a linked file moves no bytes, in the run's rate as in its summary.
    const events = jsonLines(r.stdout)
    const stats = events.filter((e) => e.type === 'stats').at(-1) as unknown as { bytesPerSec: number }
    expect(stats.bytesPerSec).toBe(0)
  })

  it('refuses what cannot be a snapshot to link from, with exit 2 and nothing written', async () => {
    await writeTree(root, { 'plain.txt': 'p' })
    const dst = join(root, 'dst')
    expectUsageError(
      await runCli(['backup', src, dst, '--link-dest', join(root, 'plain.txt')], { env }),
      'is not a directory',
    )
    expectUsageError(
      await runCli(['backup', src, dst, '--link-dest', 's3://bucket/day1'], { env }),
      'is not a local directory',
    )
    expectUsageError(await runCli(['backup', src, dst, '--link-dest', '.'], { env }), 'is the target')
    // Inside the target a mirror would delete it; the source's own files would be the snapshot's (review F3, F4).
    expectUsageError(
      await runCli(['sync', src, dst, '--link-dest', join(dst, 'old')], { env }),
      'lies in the target, which a mirror would delete it from',
    )
    expectUsageError(await runCli(['backup', src, dst, '--link-dest', src], { env }), 'is the source')
    expectUsageError(await runCli(['backup', src, dst, '--link-dest', root], { env }), 'holds the target')
    expectUsageError(await runCli(['backup', src, dst, '--link-dest', '~/snap'], { env }), '~')
    expectUsageError(
      await runCli(['restore', dst, src, '--link-dest', '../x'], { env }),
      "unknown option '--link-dest'",
    )
    expectUsageError(await runCli(['backup', src, dst, '--link-dest', ''], { env }), 'earlier snapshot')
    expect(await stat(dst).catch(() => 'not made')).toBe('not made')
    // A continuous job takes no --link-dest (each cycle would link into its own target).
    expectUsageError(await runCli(['watch', src, dst, '--link-dest', '../x'], { env }), "unknown option '--link-dest'")
  })
})
