import { readdir, utimes, writeFile } from 'node:fs/promises'
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

// `syncflow move` and `copy --remove-source-files`: rclone's move, rsync's flag.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

let root: string
let src: string
let dst: string
let env: { SYNCFLOW_STATE_DIR: string }

beforeEach(async () => {
  root = await tempDir()
  src = join(root, 'src')
  dst = join(root, 'dst')
  env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
  await writeTree(src, { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/deep/c.txt': 'charlie' })
})

describe('syncflow move', () => {
  it('moves the files, keeps the directories, and says so', async () => {
    const dry = await runCli(['move', src, dst, '-n'], { env })
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/^would remove +sub\/b\.txt {2}\(from the source\)$/m)
    expect(dry.stderr).toContain('3 files would be removed from the source.')
    expect(Object.keys(await readTree(src)).sort()).toEqual(['a.txt', 'sub/b.txt', 'sub/deep/c.txt'])

    const r = await runCli(['move', src, dst, '-v'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^removed +a\.txt {2}\(from the source\)$/m)
    expect(r.stderr).toContain('3 files removed from the source.')
    expect(await readTree(dst)).toEqual({ 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/deep/c.txt': 'charlie' })
    expect(await readTree(src)).toEqual({})
    expect(await readdir(join(src, 'sub'))).toEqual(['deep'])
  })

  it('with --size-only keeps a source file whose namesake on the target differs in content, and exits 1', async () => {
    // Same size and mtime, other bytes: alike by the listing, not the same file.
    await writeTree(dst, { 'a.txt': 'ALPHA' })
    const t = new Date('2026-01-01T00:00:00Z')
    await utimes(join(src, 'a.txt'), t, t)
    await utimes(join(dst, 'a.txt'), t, t)

    const r = await runCli(['move', src, dst, '--json', '--size-only'], { env })
    expect(r.code, r.stderr).toBe(1)
    const events = jsonLines(r.stdout)
    expect(events.filter((e) => e.type === 'removed').map((e) => e.path)).toEqual(
      expect.arrayContaining(['sub/b.txt', 'sub/deep/c.txt']),
    )
    expect(events.find((e) => e.type === 'failed')).toMatchObject({
      path: 'a.txt',
      stage: 'remove-source',
      error: { code: 'CONFLICT' },
    })
    expect(await readTree(src)).toEqual({ 'a.txt': 'alpha' })
    expect((await readTree(dst))['a.txt']).toBe('ALPHA')

    // Without --size-only a move compares content: the source's file goes over the target's, then leaves the source.
    const again = await runCli(['copy', src, dst, '--remove-source-files'], { env })
    expect(again.code, again.stderr).toBe(0)
    expect(await readTree(src)).toEqual({})
    expect((await readTree(dst))['a.txt']).toBe('alpha')
  })

  it('moves what a re-run finds the target already holds, by content', async () => {
    await runCli(['copy', src, dst], { env })
    await writeFile(join(src, 'new.txt'), 'new')
    const r = await runCli(['copy', src, dst, '--remove-source-files'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('4 files removed from the source.')
    expect(await readTree(src)).toEqual({})
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'new.txt', 'sub/b.txt', 'sub/deep/c.txt'])
  })

  it('--delete-empty-src-dirs removes the source directories the move left empty', async () => {
    const r = await runCli(['move', src, dst, '-v', '--delete-empty-src-dirs'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^removed +sub\/deep\/ {2}\(from the source\)$/m)
    expect(r.stderr).toContain('3 files and 2 empty directories removed from the source.')
    expect(await readdir(src)).toEqual([])
    expectUsageError(
      await runCli(['copy', src, dst, '--delete-empty-src-dirs'], { env }),
      '--delete-empty-src-dirs removes the source directories a move leaves empty',
    )
  })

  it('is refused where a move would lose files or makes no sense, with exit 2 and nothing written', async () => {
    expectUsageError(
      await runCli(['sync', src, dst, '--remove-source-files'], { env }),
      'syncflow sync is a mirror: its next run would delete from DST every file --remove-source-files took out of SRC',
      'syncflow move SRC DST',
    )
    expectUsageError(
      await runCli(['move', src, dst, '--remove-source-files'], { env }),
      'move removes the source files already',
    )
    expectUsageError(await runCli(['restore', src, dst, '--remove-source-files'], { env }), '--remove-source-files')
    expectUsageError(
      await runCli(['move', src, join(src, 'inside')], { env }),
      'overlap: the target is inside the source',
    )
    expect(Object.keys(await readTree(src)).sort()).toEqual(['a.txt', 'sub/b.txt', 'sub/deep/c.txt'])
    await expect(readdir(dst)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
