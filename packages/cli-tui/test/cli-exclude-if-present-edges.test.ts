import { execFileSync } from 'node:child_process'
import { link, mkdir, symlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, readTree, runCli, tempDir, writeTree } from './helpers/cli.js'

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

let root: string
let src: string
let dst: string
let stateDir: string
beforeEach(async () => {
  root = await tempDir()
  src = join(root, 'src')
  dst = join(root, 'dst')
  stateDir = join(root, 'state')
})
function cli(...args: string[]) {
  return runCli(args, { env: { SYNCFLOW_STATE_DIR: stateDir } })
}
const MARK = ['--exclude-if-present', '.nobackup']

// Edge cases of --exclude-if-present from its review (B1-B4 were data loss: a root marker with
// --delete-excluded, markers the walk skipped, a target mark below a source mark, a dir marked on both).
describe('--exclude-if-present edge cases', () => {
  it('R1 source root marker + --delete-excluded deletes nothing', async () => {
    await writeTree(src, { '.nobackup': '', 'x.txt': 'x' })
    await writeTree(dst, { 'y.txt': 'y', 'd/z.txt': 'z' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-excluded')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'y.txt': 'y', 'd/z.txt': 'z' })
  })

  it('R1b source root marker + --delete-excluded --allow-empty-source deletes nothing', async () => {
    await writeTree(src, { '.nobackup': '', 'x.txt': 'x' })
    await writeTree(dst, { 'y.txt': 'y', 'd/z.txt': 'z' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-excluded', '--allow-empty-source')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'y.txt': 'y', 'd/z.txt': 'z' })
  })

  it('R2 a symlink marker under --symlinks skip still marks (target-only files kept)', async () => {
    await writeTree(src, { 'd/x': 'x', top: 't' })
    await symlink('/nonexistent-marker', join(src, 'd', '.nobackup'))
    await writeTree(dst, { 'd/precious': 'p' })
    const r = await cli('sync', src, dst, ...MARK, '--symlinks', 'skip')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'd/precious': 'p', top: 't' })
  })

  it('R2b a dangling symlink marker under --symlinks follow still marks', async () => {
    await writeTree(src, { 'd/x': 'x', top: 't' })
    await symlink('/nonexistent-marker', join(src, 'd', '.nobackup'))
    const r = await cli('sync', src, dst, ...MARK, '--symlinks', 'follow')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ top: 't' })
  })

  it('R3 nested: source marks a, target marks a/b, --delete-excluded leaves a/b', async () => {
    await writeTree(src, { 'a/.nobackup': '', 'a/s': 's', top: 't' })
    await writeTree(dst, { 'a/b/.nobackup': '', 'a/b/precious': 'p', 'a/old': 'o' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-excluded')
    expect(await readTree(dst), r.stdout + r.stderr).toMatchObject({ 'a/b/precious': 'p' })
  })

  it('R3b nested: target marks a, source marks a/b, --delete-excluded leaves a', async () => {
    await writeTree(src, { 'a/b/.nobackup': '', 'a/b/s': 's', top: 't' })
    await writeTree(dst, { 'a/.nobackup': '', 'a/b/precious': 'p', 'a/old': 'o' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-excluded')
    expect(await readTree(dst), r.stdout + r.stderr).toMatchObject({ 'a/b/precious': 'p', 'a/old': 'o' })
  })

  it('R4 source file d vs target marked dir d: target dir kept', async () => {
    await writeTree(src, { d: 'file', top: 't' })
    await writeTree(dst, { 'd/.nobackup': '', 'd/precious': 'p' })
    const r = await cli('sync', src, dst, ...MARK)
    expect(await readTree(dst), r.stdout + r.stderr).toMatchObject({ 'd/precious': 'p' })
    const c = await cli('copy', src, dst, ...MARK)
    expect(await readTree(dst), c.stdout + c.stderr).toMatchObject({ 'd/precious': 'p' })
  })

  it('R5 move: files in a marked dir stay on the source', async () => {
    await writeTree(src, { 'd/.nobackup': '', 'd/x': 'x', top: 't' })
    const r = await cli('move', src, dst, ...MARK)
    expect(await readTree(src), r.stdout + r.stderr).toEqual({ 'd/.nobackup': '', 'd/x': 'x' })
  })

  it('R6 move -H: a hard link inside a marked dir is not removed from the source', async () => {
    await writeTree(src, { 'a/f': 'same', 'd/.nobackup': '', top: 't' })
    await link(join(src, 'a', 'f'), join(src, 'd', 'f'))
    const r = await cli('move', src, dst, ...MARK, '-H')
    expect(await readTree(src), r.stdout + r.stderr).toMatchObject({ 'd/.nobackup': '', 'd/f': 'same' })
    expect(await readTree(dst)).toEqual({ 'a/f': 'same', top: 't' })
  })

  it('R6b sync -H: nothing written into a target-marked dir through a link group', async () => {
    await writeTree(src, { 'a/f': 'same', 'd/f': 'x', top: 't' })
    execFileSync('rm', [join(src, 'd', 'f')])
    await link(join(src, 'a', 'f'), join(src, 'd', 'f'))
    await writeTree(dst, { 'd/.nobackup': '', 'd/g': 'g' })
    const r = await cli('sync', src, dst, ...MARK, '-H')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'a/f': 'same', 'd/.nobackup': '', 'd/g': 'g', top: 't' })
  })

  it('R7 files-from naming a path inside a target-marked dir: not overwritten', async () => {
    await writeTree(src, { 'd/x': 'new', top: 't' })
    await writeTree(dst, { 'd/.nobackup': '', 'd/x': 'precious' })
    await writeTree(root, { 'list.txt': 'd/x\n' })
    const r = await cli('sync', src, dst, ...MARK, '--files-from', join(root, 'list.txt'))
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'd/.nobackup': '', 'd/x': 'precious' })
  })

  it('R8 filter + inside a marked dir: not copied', async () => {
    await writeTree(src, { 'd/.nobackup': '', 'd/keep.log': 'k', top: 't' })
    const r = await cli('sync', src, dst, ...MARK, '--filter', '+ d/keep.log', '--filter', '- d/')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ top: 't' })
  })

  it('R9 a marker that is a directory counts; one excluded by --exclude counts', async () => {
    await writeTree(src, { 'd/.nobackup/inner': 'i', 'd/x': 'x', 'e/.nobackup': '', 'e/y': 'y', top: 't' })
    const r = await cli('sync', src, dst, ...MARK, '--exclude', '.nobackup')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ top: 't' })
  })

  it('R10 marker dir under symlink, follow', async () => {
    await writeTree(root, { 'real/.nobackup': '', 'real/x': 'x' })
    await writeTree(src, { top: 't' })
    await symlink(join(root, 'real'), join(src, 'ln'))
    const r = await cli('sync', src, dst, ...MARK, '--symlinks', 'follow')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ top: 't' })
  })

  it('R11 bisync first run marker on one side only; then marker removed', async () => {
    await writeTree(src, { 'c/.nobackup': '', 'c/a': 'a', top: 't' })
    await writeTree(dst, { 'c/b': 'b' })
    const r = await cli('bisync', src, dst, ...MARK)
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ 'c/b': 'b', top: 't' })
    execFileSync('rm', [join(src, 'c', '.nobackup')])
    const r2 = await cli('bisync', src, dst, ...MARK)
    expect(r2.code, r2.stderr).toBe(0)
    expect(await readTree(src)).toEqual({ 'c/a': 'a', 'c/b': 'b', top: 't' })
    expect(await readTree(dst)).toEqual({ 'c/a': 'a', 'c/b': 'b', top: 't' })
  })

  it('R12 bisync: synced dir later marked on A, A edits inside, marker removed: nothing lost', async () => {
    await mkdir(dst, { recursive: true })
    await writeTree(src, { 'c/a': 'a', 'c/k': 'k', top: 't' })
    const r = await cli('bisync', src, dst, ...MARK)
    expect(r.code, r.stderr).toBe(0)
    await writeTree(src, { 'c/.nobackup': '', 'c/a': 'a2-edited-on-A' })
    const r2 = await cli('bisync', src, dst, ...MARK)
    expect(r2.code, r2.stderr).toBe(0)
    execFileSync('rm', [join(src, 'c', '.nobackup')])
    const r3 = await cli('bisync', src, dst, ...MARK)
    expect(r3.code, r3.stderr).toBe(0)
    expect(await readTree(src)).toMatchObject({ 'c/a': 'a2-edited-on-A', 'c/k': 'k' })
    expect(await readTree(dst)).toMatchObject({ 'c/a': 'a2-edited-on-A', 'c/k': 'k' })
  })
  it('R13 bisync: a B delete made while c was excluded (marked on A, or --exclude) is not carried to A: c/k comes back to B', async () => {
    const out: Record<string, unknown> = {}
    for (const how of ['marker', 'exclude']) {
      const a = join(root, `a-${how}`)
      const b = join(root, `b-${how}`)
      await mkdir(b, { recursive: true })
      await writeTree(a, { 'c/k': 'k', top: 't' })
      expect((await cli('bisync', a, b, ...MARK)).code).toBe(0)
      if (how === 'marker') await writeTree(a, { 'c/.nobackup': '' })
      execFileSync('rm', [join(b, 'c', 'k')])
      const excl = how === 'marker' ? MARK : [...MARK, '--exclude', 'c/']
      expect((await cli('bisync', a, b, ...excl)).code).toBe(0)
      if (how === 'marker') execFileSync('rm', [join(a, 'c', '.nobackup')])
      const r = await cli('bisync', a, b, ...MARK)
      expect(r.code, r.stderr).toBe(0)
      out[how] = { a: await readTree(a), b: await readTree(b) }
    }
    // The excluding run forgot c's record: c/k's, from before, no longer tells a delete (as rclone
    // bisync, which lists only what is included). What one side holds is copied to the other.
    expect(out.marker).toEqual({ a: { 'c/k': 'k', top: 't' }, b: { 'c/k': 'k', top: 't' } })
    expect(out.exclude).toEqual(out.marker)
  })

  it('R14 --delete-before keeps a target-marked dir and the target copy of a source-marked one', async () => {
    await writeTree(src, { 'w/new': 'n', 'cache/.nobackup': '', top: 't' })
    await writeTree(dst, { 'w/.nobackup': '', 'w/mine': 'm', 'cache/old': 'o' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-before')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({
      'w/.nobackup': '',
      'w/mine': 'm',
      'cache/old': 'o',
      top: 't',
    })
  })

  it('R15 check agrees with sync: file vs target-marked dir', async () => {
    await writeTree(src, { d: 'file', top: 't' })
    await writeTree(dst, { 'd/.nobackup': '', 'd/precious': 'p' })
    const r = await cli('sync', src, dst, ...MARK)
    const c = await cli('check', src, dst, ...MARK)
    const r2 = await cli('sync', src, dst, ...MARK)
    expect({ sync: r.code, check: c.code, again: r2.code }, r.stdout + r.stderr + c.stdout + c.stderr).toEqual({
      sync: r.code,
      check: r.code === 0 ? 0 : 1,
      again: r.code,
    })
  })

  it('R16 PROBE NFD marker on disk, NFC name given: matched by bytes, as --exclude is', async () => {
    const nfc = 'caf\u00e9'
    const nfd = 'cafe\u0301'
    await writeTree(src, { [`d/${nfd}`]: '', 'd/x': 'x', [`e/${nfd}`]: 'e', top: 't' })
    const r = await cli('sync', src, dst, '--exclude-if-present', nfc, '--exclude', `e/${nfc}`)
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({
      [`d/${nfd}`]: '',
      'd/x': 'x',
      [`e/${nfd}`]: 'e',
      top: 't',
    })
  })

  it('R17 track-renames: a file in a target-marked dir is not moved out', async () => {
    const big = 'B'.repeat(200_000)
    await writeTree(src, { 'new/big': big, top: 't' })
    await writeTree(dst, { 'old/.nobackup': '', 'old/big': big })
    const r = await cli('sync', src, dst, ...MARK, '--track-renames')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({
      'old/.nobackup': '',
      'old/big': big,
      'new/big': big,
      top: 't',
    })
  })

  it('R18 target root marker + --delete-excluded: nothing written or deleted', async () => {
    await writeTree(src, { x: 'x' })
    await writeTree(dst, { '.nobackup': '', y: 'y' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-excluded')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ '.nobackup': '', y: 'y' })
  })

  it('R19 source root marker + --delete-excluded (no --allow-empty-source): exit 0, no delete attempted', async () => {
    await writeTree(src, { '.nobackup': '', 'x.txt': 'x' })
    await writeTree(dst, { 'y.txt': 'y' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-excluded')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('everything is excluded, so nothing is synced and nothing deleted')
    expect(r.stdout).not.toMatch(/^deleted /m)
    expect(await readTree(dst)).toEqual({ 'y.txt': 'y' })
  })

  it('R20 bisync --symlinks skip: symlink marker on B, nothing copied into B dir', async () => {
    await writeTree(src, { 'c/a': 'a', top: 't' })
    await writeTree(dst, { 'c/b': 'b' })
    await writeTree(root, { 'elsewhere/m': '' })
    await symlink(join(root, 'elsewhere', 'm'), join(dst, 'c', '.nobackup'))
    const r = await cli('bisync', src, dst, ...MARK, '--symlinks', 'skip')
    expect(await readTree(join(dst, 'c')), r.stdout + r.stderr).toEqual({ b: 'b', '.nobackup': '' })
  })
  it('R2c a symlink marker (to a real file) under --symlinks skip: check and ls agree it marks', async () => {
    await writeTree(root, { 'elsewhere/m': '' })
    await writeTree(src, { 'd/x': 'x', top: 't' })
    await symlink(join(root, 'elsewhere', 'm'), join(src, 'd', '.nobackup'))
    await writeTree(dst, { top: 't' })
    // One mtime for both copies of top and for both roots (check compares the roots too, rsync -ain's
    // `.d..t...... ./`): written moments apart, they could differ (a flake under load).
    const t = new Date('2026-01-01T00:00:00Z')
    for (const d of [src, dst]) await utimes(join(d, 'top'), t, t)
    for (const d of [src, dst]) await utimes(d, t, t)
    const ls = await cli('ls', src, ...MARK, '--symlinks', 'skip')
    const c = await cli('check', src, dst, ...MARK, '--symlinks', 'skip')
    expect({ ls: ls.stdout.includes('d/x'), check: c.code }, ls.stdout + c.stdout + c.stderr).toEqual({
      ls: false,
      check: 0,
    })
  })

  it('R21 restore leaves a marked dir of the original as it is', async () => {
    await writeTree(src, { 'c/.nobackup': '', 'c/local': 'l', top: 't' })
    expect((await cli('sync', src, dst, ...MARK)).code).toBe(0)
    await writeTree(dst, { 'c/intruder': 'i' })
    execFileSync('rm', [join(src, 'top')])
    const r = await cli('restore', src, dst, ...MARK)
    expect(await readTree(src), r.stdout + r.stderr).toEqual({ 'c/.nobackup': '', 'c/local': 'l', top: 't' })
  })
  it('R3c control: --exclude a/ (not a marker) + target marks a/b + --delete-excluded keeps a/b', async () => {
    await writeTree(src, { 'a/s': 's', top: 't' })
    await writeTree(dst, { 'a/b/.nobackup': '', 'a/b/precious': 'p', 'a/old': 'o' })
    const r = await cli('sync', src, dst, ...MARK, '--exclude', 'a/', '--delete-excluded')
    expect(await readTree(dst), r.stdout + r.stderr).toMatchObject({ 'a/b/precious': 'p' })
  })
  it('R22 bisync: B deletes dir c, A marks c/sub: c/sub kept on A', async () => {
    await mkdir(dst, { recursive: true })
    await writeTree(src, { 'c/f': 'f', 'c/sub/.nobackup': '', 'c/sub/y': 'y', top: 't' })
    expect((await cli('bisync', src, dst, ...MARK)).code).toBe(0)
    expect(await readTree(dst)).toEqual({ 'c/f': 'f', top: 't' })
    execFileSync('rm', ['-r', join(dst, 'c')])
    const r = await cli('bisync', src, dst, ...MARK)
    expect(await readTree(src), r.stdout + r.stderr).toEqual({ 'c/sub/.nobackup': '', 'c/sub/y': 'y', top: 't' })
  })

  it('R23 mirror: source lacks c, target marks c/sub: c/sub kept (with and without --delete-excluded)', async () => {
    await writeTree(src, { top: 't' })
    for (const extra of [[], ['--delete-excluded']]) {
      await writeTree(dst, { 'c/f': 'f', 'c/sub/.nobackup': '', 'c/sub/y': 'y' })
      const r = await cli('sync', src, dst, ...MARK, ...extra)
      expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'c/sub/.nobackup': '', 'c/sub/y': 'y', top: 't' })
    }
  })

  it('R24 a FIFO marker on the source marks its dir (target-only files kept)', async () => {
    await writeTree(src, { 'd/x': 'x', top: 't' })
    execFileSync('mkfifo', [join(src, 'd', '.nobackup')])
    await writeTree(dst, { 'd/precious': 'p' })
    const r = await cli('sync', src, dst, ...MARK)
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'd/precious': 'p', top: 't' })
  })

  it('R25 PROBE source marks dir d, target has a file d: deleted, as with --exclude d/ (R25c)', async () => {
    await writeTree(src, { 'd/.nobackup': '', 'd/x': 'x', top: 't' })
    await writeTree(dst, { d: 'target file' })
    const r = await cli('sync', src, dst, ...MARK)
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ top: 't' })
  })
  it('R25c PROBE control: --exclude d/, target has a file d', async () => {
    await writeTree(src, { 'd/x': 'x', top: 't' })
    await writeTree(dst, { d: 'target file' })
    const r = await cli('sync', src, dst, '--exclude', 'd/')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ top: 't' })
  })
  it('R26 dir marked on BOTH sides (the copy of a marked dir) + --delete-excluded: deleted, the source marks it', async () => {
    await writeTree(src, { 'cache/.nobackup': '', 'cache/s': 's', top: 't' })
    await writeTree(dst, { 'cache/.nobackup': '', 'cache/mine': 'm' })
    const r = await cli('sync', src, dst, ...MARK, '--delete-excluded')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ top: 't' })
    // Without --delete-excluded it stays.
    await writeTree(dst, { 'cache/.nobackup': '', 'cache/mine': 'm' })
    await cli('sync', src, dst, ...MARK)
    expect(await readTree(dst)).toEqual({ 'cache/.nobackup': '', 'cache/mine': 'm', top: 't' })
  })

  it('R27 a marker with an unsafe character in its name', async () => {
    await writeTree(src, { 'd/a\\b': '', 'd/x': 'x', top: 't' })
    await writeTree(dst, { 'd/precious': 'p' })
    const r = await cli('sync', src, dst, '--exclude-if-present', 'a\\b')
    expect(await readTree(dst), r.stdout + r.stderr).toEqual({ 'd/precious': 'p', top: 't' })
  })
})
