import { rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  expectUsageError,
  jsonLines,
  killedAfterEach,
  readTree,
  runCli,
  startCli,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// `--exclude-if-present NAME` (rclone's, restic's, borg's; GNU tar's --exclude-tag), through the built binary.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

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

describe('--exclude-if-present', () => {
  it('leaves out the marked directory with all below it, and nothing else; check agrees', async () => {
    // CACHEDIR.TAG sorts after build/AAA/: the marker is seen wherever it sorts.
    await writeTree(src, {
      'doc.txt': 'd',
      'proj/src/m.c': 'c',
      'proj/build/.nobackup': '',
      'proj/build/AAA/obj.o': 'o',
      'proj/build/out.bin': 'b',
      'proj/buildlog.txt': 'l',
    })
    const dry = await cli('sync', src, dst, ...MARK, '--dry-run', '-v')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/proj\/buildlog.txt/)
    expect(dry.stdout + dry.stderr).not.toMatch(/proj\/build(\/|\s|$)/m)
    const r = await cli('sync', src, dst, ...MARK, '-v')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).not.toContain('obj.o')
    expect(await readTree(dst)).toEqual({ 'doc.txt': 'd', 'proj/src/m.c': 'c', 'proj/buildlog.txt': 'l' })
    const c = await cli('check', src, dst, ...MARK)
    expect(c.code, c.stdout + c.stderr).toBe(0)
    // Without the flag, the two differ: check says so.
    expect((await cli('check', src, dst)).code).toBe(1)
  })

  it('takes several marker names, from the command line or a config file', async () => {
    await writeTree(src, { 'a/.nobackup': '', 'a/x': 'x', 'b/CACHEDIR.TAG': 't', 'b/y': 'y', 'c/z': 'z' })
    const r = await cli('sync', src, dst, ...MARK, '--exclude-if-present', 'CACHEDIR.TAG')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ 'c/z': 'z' })
    const conf = join(root, 'job.json')
    await writeFile(conf, JSON.stringify({ 'exclude-if-present': ['.nobackup', 'CACHEDIR.TAG'] }))
    const other = join(root, 'other')
    expect((await cli('sync', src, other, '--config', conf)).code).toBe(0)
    expect(await readTree(other)).toEqual({ 'c/z': 'z' })
  })

  it('keeps the target copy of a directory the source marks, and --delete-excluded deletes it', async () => {
    await writeTree(src, { 'keep.txt': 'k', 'cache/.nobackup': '', 'cache/new': 'n' })
    await writeTree(dst, { 'cache/old': 'old copy', 'stale.txt': 's' })
    const r = await cli('sync', src, dst, ...MARK)
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ 'cache/old': 'old copy', 'keep.txt': 'k' })
    const d = await cli('sync', src, dst, ...MARK, '--delete-excluded', '-v')
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toMatch(/deleted +cache\/old/)
    expect(await readTree(dst)).toEqual({ 'keep.txt': 'k' })
  })

  it('keeps a directory the target marks as it is (nothing copied into it, nothing deleted), --delete-excluded too', async () => {
    await writeTree(src, { 'w/new.txt': 'from source', 'other.txt': 'o' })
    await writeTree(dst, { 'w/.nobackup': '', 'w/mine.txt': 'target only' })
    for (const extra of [[], ['--delete-excluded']]) {
      const r = await cli('sync', src, dst, ...MARK, ...extra)
      expect(r.code, r.stderr).toBe(0)
      expect(await readTree(dst)).toEqual({ 'other.txt': 'o', 'w/.nobackup': '', 'w/mine.txt': 'target only' })
    }
    expect((await cli('check', src, dst, ...MARK)).code).toBe(0)
  })

  it('bisync: a directory one side marks is left as it is on both', async () => {
    const a = src
    const b = dst
    await writeTree(a, { 'p/f.txt': 'f', 'cache/a-only': 'a' })
    await writeTree(b, { 'cache/.nobackup': '', 'cache/b-only': 'b' })
    const r = await cli('bisync', a, b, ...MARK)
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(a)).toEqual({ 'p/f.txt': 'f', 'cache/a-only': 'a' })
    expect(await readTree(b)).toEqual({ 'p/f.txt': 'f', 'cache/.nobackup': '', 'cache/b-only': 'b' })
  })

  it('a source root that holds the marker: nothing synced or deleted, the root left as it is, and said', async () => {
    await writeTree(src, { '.nobackup': '', 'x.txt': 'x' })
    await writeTree(dst, { 'y.txt': 'y' })
    const before = (await stat(dst)).mtimeMs
    const r = await cli('sync', src, dst, ...MARK)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('the source root holds an --exclude-if-present marker (.nobackup)')
    expect(await readTree(dst)).toEqual({ 'y.txt': 'y' })
    expect((await stat(dst)).mtimeMs).toBe(before)
    expect((await cli('check', src, dst, ...MARK)).code).toBe(0)
  })

  it('refuses a marker that is no file name, and a backend that cannot honour it', async () => {
    await writeTree(src, { 'x.txt': 'x' })
    for (const bad of ['', '.', '..', 'a/b', '/x']) {
      const r = await cli('sync', src, dst, '--exclude-if-present', bad)
      expectUsageError(r, '--exclude-if-present')
      expect(r.stderr).toMatch(/not a file name|give the name of the marker file/)
    }
    const s3 = await cli('ls', 's3://bucket/prefix', ...MARK)
    expectUsageError(s3, '--exclude-if-present cannot be used with s3://bucket/prefix')
    // Nothing was made for the refused runs.
    await expect(stat(dst)).rejects.toThrow()
  })

  it('refuses a grpc:// side: its server lists the tree without the markers', async () => {
    await writeTree(src, { 'x.txt': 'x' })
    const served = join(root, 'served')
    await writeTree(served, { 'keep.txt': 'k' })
    const { server, port } = await startServe(served, { env: { SYNCFLOW_STATE_DIR: stateDir } })
    running.push(server)
    const r = await cli('sync', src, `grpc://127.0.0.1:${port}/`, ...MARK)
    expectUsageError(r, '--exclude-if-present cannot be used with grpc://')
    expect(await readTree(served)).toEqual({ 'keep.txt': 'k' })
  })

  it('ls leaves the marked directories out', async () => {
    await writeTree(src, { 'a/x': 'x', 'b/.nobackup': '', 'b/y': 'y', 'b/c/z': 'z' })
    const r = await cli('ls', src, ...MARK, '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(jsonLines(r.stdout).map((e) => e.path)).toEqual(['a', 'a/x'])
    const root = await cli('ls', join(src, 'b'), ...MARK)
    expect(root.code, root.stderr).toBe(0)
    expect(root.stdout).toBe('')
    expect(root.stderr).toMatch(/the root holds an --exclude-if-present marker/)
  })

  it('watch: a file added in a marked directory is not copied, one beside it is', async () => {
    await writeTree(src, { 'cache/.nobackup': '', 'cache/a': 'a', 'top.txt': 't' })
    const r = startCli(['watch', src, dst, ...MARK, '--json'], { env: { SYNCFLOW_STATE_DIR: stateDir } })
    running.push(r)
    const cycles = () => jsonLines(r).filter((e) => e.type === 'done').length
    await expect.poll(cycles, { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    expect(await readTree(dst)).toEqual({ 'top.txt': 't' })
    await writeTree(src, { 'cache/b': 'b' })
    await writeTree(src, { 'later.txt': 'l' })
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ 'top.txt': 't', 'later.txt': 'l' })
    // A marker made while watching excludes its directory from then on (the target's copy kept).
    await writeTree(src, { 'top2/.nobackup': '', 'top2/f': 'f', 'last.txt': 'z' })
    await expect
      .poll(() => readTree(dst), { timeout: 10_000 })
      .toEqual({ 'top.txt': 't', 'later.txt': 'l', 'last.txt': 'z' })
    // A marker removed while watching brings its directory in (changes below it were not dropped since).
    await rm(join(src, 'cache', '.nobackup'))
    await writeTree(src, { 'cache/c': 'c' })
    await expect
      .poll(() => readTree(dst), { timeout: 10_000 })
      .toEqual({ 'top.txt': 't', 'later.txt': 'l', 'last.txt': 'z', 'cache/a': 'a', 'cache/b': 'b', 'cache/c': 'c' })
    r.child.kill('SIGINT')
  })
})
