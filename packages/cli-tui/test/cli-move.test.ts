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

    // One file system: each file is linked to its new name, then its source name removed (a rename),
    // said `moved`, not copied; -v also lists the source names going.
    const r = await runCli(['move', src, dst, '-v'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^moved +a\.txt$/m)
    expect(r.stdout).not.toMatch(/^copied/m)
    expect(r.stdout).toMatch(/^removed +a\.txt {2}\(from the source\)$/m)
    expect(r.stderr).toMatch(
      /^Done in [\d.]+s: moved 3 files, created 3 directories; 0 unchanged\. [\d.]+ files\/s\.$/m,
    )
    expect(r.stderr).not.toContain('removed from the source')
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
    expect(r.stdout).toMatch(/^moved +new\.txt$/m)
    // (Without -v a moved file's source name going is not said again.)
    expect(r.stdout).not.toMatch(/^removed +new\.txt/m)
    expect(r.stdout).toMatch(/^removed +a\.txt {2}\(from the source\)$/m)
    expect(r.stderr).toContain('moved 1 file, touched 1 directory; 3 unchanged. 3 more files removed from the source.')
    expect(await readTree(src)).toEqual({})
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'new.txt', 'sub/b.txt', 'sub/deep/c.txt'])
  })

  it('--delete-empty-src-dirs removes the source directories the move left empty', async () => {
    const r = await runCli(['move', src, dst, '--json', '--delete-empty-src-dirs'], { env })
    expect(r.code, r.stderr).toBe(0)
    const events = jsonLines(r.stdout)
    const removed = events.filter((e) => e.type === 'removed')
    expect(removed.filter((e) => e.dir === true).map((e) => e.path)).toEqual(
      expect.arrayContaining(['sub', 'sub/deep']),
    )
    // Each file was renamed: its completed event says `moved`, its source name's `renamed`.
    expect(
      events
        .filter((e) => e.type === 'completed' && e.moved === true)
        .map((e) => (e.action as { path: string }).path)
        .sort(),
    ).toEqual(['a.txt', 'sub/b.txt', 'sub/deep/c.txt'])
    expect(removed.filter((e) => e.renamed === true)).toHaveLength(3)
    expect(events.at(-1)).toMatchObject({
      type: 'done',
      summary: { sourceRemoved: 3, moved: 3, sourceDirsRemoved: 2, bytesTransferred: 0 },
    })
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
