import { chmod, lstat, readdir, symlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { createPathFilter } from '@syncflow/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { assertNoOverlap } from '../src/job/assert-no-overlap.js'
import {
  buildCli,
  cleanupTempDirs,
  expectUsageError,
  jsonLines,
  killedAfterEach,
  readTree,
  runCli,
  snapshotTree,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// rsync's and rclone's --backup-dir: what a run replaces or deletes is kept, at its path.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

let stateDir: string
beforeEach(async () => {
  stateDir = await tempDir('syncflow-backup-state-')
})
const cli = (...args: string[]) => runCli(args, { env: { SYNCFLOW_STATE_DIR: stateDir } })

describe('--backup-dir', () => {
  it('keeps each updated and deleted file (hard-linked), and nothing a run leaves alone', async () => {
    const root = await tempDir()
    const [src, dst, bak] = [join(root, 'src'), join(root, 'dst'), join(root, 'bak')]
    await writeTree(src, { changed: 'new', same: 'same', 'd/added': 'a' })
    await writeTree(dst, { changed: 'old', same: 'same', 'old/deep/x': 'x', extra: 'e' })
    await utimes(join(dst, 'changed'), 1_600_000_000, 1_600_000_000)
    const inode = (await lstat(join(dst, 'changed'))).ino
    // A dry run keeps nothing (and makes no backup directory).
    expect((await cli('sync', src, dst, '--backup-dir', bak, '-n')).code).toBe(0)
    await expect(lstat(bak)).rejects.toMatchObject({ code: 'ENOENT' })
    const r = await cli('sync', src, dst, '--backup-dir', bak, '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ summary: { failed: 0, kept: 3, done: { update: 1, copy: 1 } } })
    expect(await readTree(dst)).toEqual({ changed: 'new', same: 'same', 'd/added': 'a' })
    expect(await readTree(bak)).toEqual({ changed: 'old', 'old/deep/x': 'x', extra: 'e' })
    const kept = await lstat(join(bak, 'changed'))
    expect(kept.ino).toBe(inode)
    expect(kept.mtimeMs).toBe(1_600_000_000_000)
    // Copy (no deletes) keeps what it replaces too, and the same directory again takes the newer old file.
    await writeTree(src, { changed: 'newer' })
    const copied = await cli('copy', src, dst, '--backup-dir', bak)
    expect(copied.code).toBe(0)
    expect(copied.stderr).toContain('1 old file kept in the backup directory.')
    expect(await readTree(bak)).toMatchObject({ changed: 'new' })
  })

  it('may lie inside the target when the filters leave it out there; a mirror then never deletes it', async () => {
    const root = await tempDir()
    const [src, dst] = [join(root, 'src'), join(root, 'dst')]
    await writeTree(src, { f: 'version 2' })
    await writeTree(dst, { f: 'v1' })
    const inside = join(dst, '.old')
    const r = await cli('sync', src, dst, '--backup-dir', inside, '--exclude', '/.old')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ f: 'version 2', '.old/f': 'v1' })
    expect((await cli('sync', src, dst, '--exclude', '/.old')).code).toBe(0)
    expect(await readdir(inside)).toEqual(['f'])
  })

  // Made 0700 before the run, it kept that mode: `restore dst dst/.old` gave the target root the
  // source root's mode, and the README's own recipe made the project private.
  it("made inside the target, it takes the target root's mode, so a restore from it keeps the target's", async () => {
    const root = await tempDir()
    const [src, dst] = [join(root, 'src'), join(root, 'dst')]
    await writeTree(src, { f: 'version 2' })
    await writeTree(dst, { f: 'v1' })
    await chmod(dst, 0o755)
    const inside = join(dst, '.old')
    const r = await cli('sync', src, dst, '--backup-dir', inside, '--exclude', '/.old')
    expect(r.code, r.stderr).toBe(0)
    expect((await lstat(inside)).mode & 0o7777).toBe(0o755)
    const restored = await cli('restore', dst, inside, '--exclude', '/.old')
    expect(restored.code, restored.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ f: 'v1', '.old/f': 'v1' })
    expect((await lstat(dst)).mode & 0o7777).toBe(0o755)
  })

  it('on a syncflow server, inside the target too when the filters leave it out there', async () => {
    const root = await tempDir()
    const [src, served] = [join(root, 'src'), join(root, 'served')]
    await writeTree(src, { f: 'version 2' })
    await writeTree(served, { 't/f': 'v1', 't/gone': 'g' })
    const { server, port } = await startServe(served, { env: { SYNCFLOW_STATE_DIR: stateDir } })
    running.push(server)
    const [target, inside] = [`grpc://127.0.0.1:${port}/t`, `grpc://127.0.0.1:${port}/t/.old`]
    expectUsageError(await cli('sync', src, target, '--backup-dir', inside), 'the --backup-dir is inside the target')
    const r = await cli('sync', src, target, '--backup-dir', inside, '--exclude', '/.old')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(join(served, 't'))).toEqual({ f: 'version 2', '.old/f': 'v1', '.old/gone': 'g' })
  })

  it('S3 prefixes are compared as paths: one inside the target is refused unless the filters leave it out', async () => {
    const filter = createPathFilter({ exclude: ['/.bak'] })
    await expect(assertNoOverlap('s3://b/p/t', 's3://b/p/t/.bak', { source: filter })).resolves.toBeUndefined()
    await expect(assertNoOverlap('s3://b/p/t', 's3://b/p/t/.bak')).rejects.toMatchObject({ code: 'USAGE' })
    await expect(assertNoOverlap('s3://b/p/t', 's3://b/p/t/other', { source: filter })).rejects.toMatchObject({
      code: 'USAGE',
    })
    // The other way round (the source inside the target), the source's filters change nothing: a mirror
    // would delete it. Only the target's do (given when it keeps what they exclude).
    await expect(assertNoOverlap('s3://b/p/t/.bak', 's3://b/p/t', { source: filter })).rejects.toMatchObject({
      code: 'USAGE',
    })
    await expect(assertNoOverlap('s3://b/p/t/.bak', 's3://b/p/t', { target: filter })).resolves.toBeUndefined()
    await expect(assertNoOverlap('s3://b/p/t/other', 's3://b/p/t', { target: filter })).rejects.toMatchObject({
      code: 'USAGE',
    })
  })

  it('is refused where a run would copy into it or delete from it, changing nothing', async () => {
    const root = await tempDir()
    const [src, dst] = [join(root, 'src'), join(root, 'dst')]
    await writeTree(src, { f: 'new' })
    await writeTree(dst, { f: 'old', extra: 'e' })
    const before = await snapshotTree(root)
    for (const [dir, says] of [
      [dst, 'are the same location'],
      [join(dst, 'bak'), 'the --backup-dir is inside the target'],
      [root, 'the target is inside the --backup-dir'],
      [src, 'are the same location'],
      [join(src, 'bak'), 'the --backup-dir is inside the source'],
    ] as const) {
      expectUsageError(await cli('sync', src, dst, '--backup-dir', dir), '--backup-dir', says, '../backup')
    }
    expectUsageError(await cli('sync', src, dst, '--backup-dir', ''), '--backup-dir is an empty path')
    // QA 29e: blanks alone were "an empty path" too.
    expectUsageError(
      await cli('sync', src, dst, '--backup-dir', '  '),
      '--backup-dir "  " is only blanks',
      'write ./  ',
    )
    // QA 24 #12: `--backup-dir -n` took the dry-run flag as the directory, and the run was real.
    expectUsageError(await cli('sync', src, dst, '--backup-dir', '-n'), 'looks like a flag', './-n')
    // QA 24: an in-memory store keeps nothing; a file, or a dangling symlink, is no directory (said
    // up front, in a dry run too, not once per file).
    expectUsageError(await cli('sync', src, dst, '--backup-dir', 'mem://old'), 'keeps nothing after syncflow exits')
    const aside = await tempDir()
    await writeTree(aside, { 'a-file': 'x' })
    await symlink(join(aside, 'missing'), join(aside, 'dangling'))
    expectUsageError(
      await cli('sync', src, dst, '--backup-dir', join(aside, 'a-file'), '-n'),
      'is a file, not a directory',
    )
    expectUsageError(await cli('sync', src, dst, '--backup-dir', join(aside, 'dangling')), 'which does not exist')
    expect((await readdir(aside)).sort()).toEqual(['a-file', 'dangling'])
    expect(await snapshotTree(root)).toEqual(before)
  })

  // Review 24 #1: `dst/.old -> /etc` passed the checks (they compare real paths), and kept files were
  // hard-linked where whoever may write the target chose.
  it('going through a symlink inside the target (or the source) is refused, however it is reached', async () => {
    const root = await tempDir()
    const [src, dst, elsewhere] = [join(root, 'src'), join(root, 'dst'), join(root, 'elsewhere')]
    await writeTree(src, { keep: 'k' })
    await writeTree(dst, { keep: 'k', passwd: 'from the target' })
    await writeTree(elsewhere, { passwd: 'precious' })
    await symlink(elsewhere, join(dst, '.old'))
    await symlink(join(dst, '.old'), join(root, 'my-link'))
    for (const dir of [join(dst, '.old'), join(root, 'my-link', 'sub')]) {
      expectUsageError(
        await cli('sync', src, dst, '--backup-dir', dir, '--exclude', '/.old'),
        'goes through the symlink',
        'which is inside the target',
      )
    }
    expect(await readTree(elsewhere)).toEqual({ passwd: 'precious' })
    expect(await readTree(dst)).toMatchObject({ passwd: 'from the target' })
  })

  it('with --delete-excluded, one inside the target is refused for what it is', async () => {
    const root = await tempDir()
    const [src, dst] = [join(root, 'src'), join(root, 'dst')]
    await writeTree(src, { f: 'new' })
    await writeTree(dst, { f: 'old' })
    const r = await cli('sync', src, dst, '--backup-dir', join(dst, '.old'), '--exclude', '/.old', '--delete-excluded')
    expectUsageError(r, 'is inside the target, and --delete-excluded would delete it there', 'Drop --delete-excluded')
  })

  it('given in a --config file, a relative one is beside the file (as its other paths)', async () => {
    const root = await tempDir()
    const [src, dst, conf] = [join(root, 'src'), join(root, 'dst'), join(root, 'conf')]
    await writeTree(src, { f: 'version 2' })
    await writeTree(dst, { f: 'v1' })
    await writeTree(conf, { 'job.json': JSON.stringify({ 'backup-dir': 'kept' }) })
    const r = await runCli(['sync', src, dst, '--config', join(conf, 'job.json')], {
      env: { SYNCFLOW_STATE_DIR: stateDir },
      cwd: root,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(join(conf, 'kept'))).toEqual({ f: 'v1' })
  })

  it('a kept file in the way in the backup directory: the file stays, and what to do is said without -v', async () => {
    const root = await tempDir()
    const [src, dst, bak] = [join(root, 'src'), join(root, 'dst'), join(root, 'bak')]
    await writeTree(src, { x: 'the source has a file x now' })
    await writeTree(dst, { 'x/y': 'y' })
    await writeTree(bak, { x: 'kept by an earlier run' })
    const r = await cli('sync', src, dst, '--backup-dir', bak)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('Something already in the backup directory is in the way')
    expect(await readTree(dst)).toEqual({ 'x/y': 'y' })
  })

  // QA 29e, QA 30b: a name too long with the --suffix was said with its fix (a shorter suffix) only with -v.
  it('a name too long with the --suffix: the file stays, and the shorter suffix is said without -v', async () => {
    const root = await tempDir()
    const [src, dst, bak] = [join(root, 'src'), join(root, 'dst'), join(root, 'bak')]
    const name = `${'n'.repeat(251)}.txt`
    await writeTree(dst, { [name]: 'v1' })
    await writeTree(src, { [name]: 'v2 is longer' })
    const r = await cli('sync', src, dst, '--backup-dir', bak, '--suffix', '.2026-12-05')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('ENAMETOOLONG')
    expect(r.stderr).toContain('use a shorter --suffix')
    expect(await readTree(dst)).toEqual({ [name]: 'v1' })
  })

  it('--suffix keeps each run’s old version under its own name; without --backup-dir it is refused', async () => {
    const root = await tempDir()
    const [src, dst, bak] = [join(root, 'src'), join(root, 'dst'), join(root, 'bak')]
    await writeTree(dst, { 'notes.txt': 'v1' })
    await writeTree(src, { 'notes.txt': 'v2 is longer' })
    expect((await cli('sync', src, dst, '--backup-dir', bak, '--suffix', '.day1')).code).toBe(0)
    await writeTree(src, { 'notes.txt': 'v3 is longer still' })
    const r = await cli('sync', src, dst, '--backup-dir', bak, '--suffix', '-day2', '--suffix-keep-extension')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(bak)).toEqual({ 'notes.txt.day1': 'v1', 'notes-day2.txt': 'v2 is longer' })
    expectUsageError(await cli('sync', src, dst, '--suffix', '.old'), '--suffix names the files kept in a --backup-dir')
    expectUsageError(await cli('sync', src, dst, '--backup-dir', bak, '--suffix', 'a/b'), 'without "/"')
    expectUsageError(await cli('sync', src, dst, '--backup-dir', bak, '--suffix', '.a\tb'), 'control characters')
    expectUsageError(
      await cli('sync', src, dst, '--backup-dir', bak, '--suffix-keep-extension'),
      '--suffix-keep-extension places a --suffix',
    )
  })

  it('is not a flag of check or ls', async () => {
    const root = await tempDir()
    await writeTree(join(root, 'a'), { f: '1' })
    await writeTree(join(root, 'b'), { f: '1' })
    for (const args of [
      ['check', join(root, 'a'), join(root, 'b')],
      ['ls', join(root, 'a')],
    ]) {
      const r = await cli(...args, '--backup-dir', join(root, 'k'))
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain("unknown option '--backup-dir'")
    }
  })
})
