import { type SpawnOptions, spawn, spawnSync } from 'node:child_process'
import { chmod, chown, link, lstat, mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  BIN,
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  readTree,
  runCli,
  startCli,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// Edge cases of move / --remove-source-files and -H, from their review: a --link-dest link alike only by
// size and mtime, -H names linked to a stale file, files found on the target not yet on disk, a grpc://
// target's renames not made durable (each lost a source file or could); strace proves the fsyncs.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

let root: string
let src: string
let dst: string
let env: { SYNCFLOW_STATE_DIR: string }
const T = new Date('2026-01-01T00:00:00Z')
/** strace shows the fsyncs the durability tests look for (the tests are skipped where it is missing). */
const hasStrace = spawnSync('strace', ['-V']).status === 0
/** util-linux setpriv runs the binary as another user (the sticky-directory test, as root only). */
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0

/** The built binary with `args` under strace, following children, its calls of `syscalls` written to `trace`. */
function traced(trace: string, syscalls: string, args: string[], opts: SpawnOptions) {
  return spawn('strace', ['-f', '-qq', '-o', trace, '-e', `trace=${syscalls}`, process.execPath, BIN, ...args], opts)
}

beforeEach(async () => {
  root = await tempDir()
  src = join(root, 'src')
  dst = join(root, 'dst')
  env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
})

describe('move edge cases', () => {
  it('move DIR grpc://…/DIR where serve serves DIR itself: never empties both sides', async () => {
    await writeTree(join(root, 'data'), { 'a.txt': 'alpha', 'sub/b.txt': 'bravo' })
    const { server, port } = await startServe(root)
    running.push(server)
    const r = await runCli(['move', join(root, 'data'), `grpc://127.0.0.1:${port}/data`, '--json'], { env })
    // Either refused (same place) or nothing removed: the bytes must exist somewhere.
    const left = await readTree(join(root, 'data'))
    expect({ code: r.code, left }).toEqual({
      code: expect.anything(),
      left: { 'a.txt': 'alpha', 'sub/b.txt': 'bravo' },
    })
  })

  it('move --link-dest PREV: a source file is not removed when the target got a link to a different file alike only by size and mtime', async () => {
    const prev = join(root, 'prev')
    await writeTree(src, { 'a.txt': 'alpha' })
    await writeTree(prev, { 'a.txt': 'ALPHA' })
    await chmod(join(prev, 'a.txt'), (await stat(join(src, 'a.txt'))).mode & 0o7777)
    await utimes(join(src, 'a.txt'), T, T)
    await utimes(join(prev, 'a.txt'), T, T)
    const r = await runCli(['move', src, dst, '--link-dest', prev, '--json'], { env })
    const all = {
      ...(await readTree(src)),
      ...Object.fromEntries(Object.entries(await readTree(dst)).map(([k, v]) => [`dst/${k}`, v])),
    }
    // 'alpha' must survive somewhere.
    expect({ code: r.code, contents: Object.values(all) }).toEqual({
      code: r.code,
      contents: expect.arrayContaining(['alpha']),
    })
  })

  it('move --symlinks follow is refused: what it copies is the file a link leads to, not the link', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    const r = await runCli(['move', src, dst, '--symlinks', 'follow'], { env })
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('a move (move, or copy --remove-source-files) with --symlinks follow')
    expect(await readTree(src)).toEqual({ 'a.txt': 'alpha' })
  })

  it('move --size-only: a target namesake of the same size but other bytes keeps the source', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await writeTree(dst, { 'a.txt': 'ALPHA' })
    const r = await runCli(['move', src, dst, '--size-only', '--json'], { env })
    expect(r.code).toBe(1)
    expect(await readTree(src)).toEqual({ 'a.txt': 'alpha' })
  })

  it('move -H: a source group becomes a target group, and both source names go', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await link(join(src, 'a.txt'), join(src, 'b.txt'))
    const r = await runCli(['move', src, dst, '-H', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(src)).toEqual({})
    const [a, b] = await Promise.all([stat(join(dst, 'a.txt')), stat(join(dst, 'b.txt'))])
    expect(a.ino).toBe(b.ino)
  })
})

describe('-H edge cases', () => {
  it('-H: a target name hard-linked to a snapshot outside the target: a chmod of the source never changes the snapshot', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await utimes(join(src, 'a.txt'), T, T)
    await runCli(['copy', src, dst], { env })
    const snap = join(root, 'snap')
    await mkdir(snap)
    await link(join(dst, 'a.txt'), join(snap, 'a.txt'))
    const before = (await stat(join(snap, 'a.txt'))).mode & 0o7777
    await chmod(join(src, 'a.txt'), 0o600)
    const r = await runCli(['sync', src, dst, '-H', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect((await stat(join(dst, 'a.txt'))).mode & 0o7777).toBe(0o600)
    expect((await stat(join(snap, 'a.txt'))).mode & 0o7777).toBe(before)
  })

  it('-H: source group {a,b} split in the source (b chmodded apart): target a keeps a’s mode', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await chmod(join(src, 'a.txt'), 0o644)
    await link(join(src, 'a.txt'), join(src, 'b.txt'))
    await utimes(join(src, 'a.txt'), T, T)
    let r = await runCli(['sync', src, dst, '-H'], { env })
    expect(r.code, r.stderr).toBe(0)
    // Split b in the source: a copy of the same bytes and mtime, but mode 0600.
    await writeFile(join(src, 'b.tmp'), 'alpha')
    await chmod(join(src, 'b.tmp'), 0o600)
    await utimes(join(src, 'b.tmp'), T, T)
    const { rename } = await import('node:fs/promises')
    await rename(join(src, 'b.tmp'), join(src, 'b.txt'))
    r = await runCli(['sync', src, dst, '-H', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const [a, b] = await Promise.all([stat(join(dst, 'a.txt')), stat(join(dst, 'b.txt'))])
    expect({ a: a.mode & 0o7777, b: b.mode & 0o7777, linked: a.ino === b.ino }).toEqual({
      a: 0o644,
      b: 0o600,
      linked: false,
    })
    const again = await runCli(['check', src, dst], { env })
    expect(again.code, again.stdout + again.stderr).toBe(0)
  })

  it('-H --backup-dir: a linked group updated keeps both old names in the backup, and the new group linked', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await link(join(src, 'a.txt'), join(src, 'b.txt'))
    let r = await runCli(['sync', src, dst, '-H'], { env })
    expect(r.code, r.stderr).toBe(0)
    await writeFile(join(src, 'a.txt'), 'ALPHA-2') // in place: b.txt too
    const bak = join(root, 'bak')
    r = await runCli(['sync', src, dst, '-H', '--backup-dir', bak, '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const [a, b] = await Promise.all([stat(join(dst, 'a.txt')), stat(join(dst, 'b.txt'))])
    expect({ tree: await readTree(dst), linked: a.ino === b.ino, bak: await readTree(bak) }).toEqual({
      tree: { 'a.txt': 'ALPHA-2', 'b.txt': 'ALPHA-2' },
      linked: true,
      bak: { 'a.txt': 'alpha', 'b.txt': 'alpha' },
    })
  })

  it('-H: target group {a,b}, source b rewritten apart: a keeps its bytes, b gets its own', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await link(join(src, 'a.txt'), join(src, 'b.txt'))
    let r = await runCli(['sync', src, dst, '-H'], { env })
    expect(r.code, r.stderr).toBe(0)
    const { rm } = await import('node:fs/promises')
    await rm(join(src, 'b.txt'))
    await writeFile(join(src, 'b.txt'), 'bravo')
    r = await runCli(['sync', src, dst, '-H', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const [a, b] = await Promise.all([stat(join(dst, 'a.txt')), stat(join(dst, 'b.txt'))])
    expect({ tree: await readTree(dst), linked: a.ino === b.ino }).toEqual({
      tree: { 'a.txt': 'alpha', 'b.txt': 'bravo' },
      linked: false,
    })
    r = await runCli(['sync', src, dst, '-H', '--json'], { env })
    expect(jsonLines(r.stdout).filter((e) => e.type === 'completed')).toEqual([])
  })

  it('move --delete-empty-src-dirs: a dir holding an excluded file stays, no failure', async () => {
    await writeTree(src, { 'sub/a.txt': 'alpha', 'sub/keep.log': 'log', 'empty/x.txt': 'x' })
    const r = await runCli(['move', src, dst, '--delete-empty-src-dirs', '--exclude', '*.log', '--json'], { env })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(await readTree(src)).toEqual({ 'sub/keep.log': 'log' })
    expect(
      await lstat(join(src, 'empty')).then(
        () => true,
        () => false,
      ),
    ).toBe(false)
  })

  it('move --link-dest: a snapshot file alike only by size, mtime and mode is not what the target gets', async () => {
    const prev = join(root, 'prev')
    await writeTree(src, { 'a.txt': 'alpha' })
    await writeTree(prev, { 'a.txt': 'ALPHA' })
    await chmod(join(prev, 'a.txt'), (await stat(join(src, 'a.txt'))).mode & 0o7777)
    await utimes(join(src, 'a.txt'), T, T)
    await utimes(join(prev, 'a.txt'), T, T)
    await runCli(['move', src, dst, '--link-dest', prev, '-v'], { env })
    expect(await readTree(dst)).toEqual({ 'a.txt': 'alpha' })
  })

  for (const policy of ['preserve', 'follow'] as const) {
    it(`move --symlinks ${policy}: a target directory that is a symlink into the source never loses the source's files`, async () => {
      await writeTree(src, { 'sub/a.txt': 'alpha', 'b.txt': 'bravo' })
      await mkdir(dst, { recursive: true })
      await symlink(join(src, 'sub'), join(dst, 'sub'))
      const r = await runCli(['move', src, dst, '--symlinks', policy, '--json'], { env })
      const events = jsonLines(r.stdout).filter((e) => e.type !== 'stats')
      const left = { ...(await readTree(src)) }
      const { readdir } = await import('node:fs/promises')
      const dstSub = await readdir(join(dst, 'sub')).catch(() => [])
      const dstA = await readFile(join(dst, 'sub/a.txt'), 'utf8').catch(() => undefined)
      expect({ code: r.code, left, dstSub, dstA, srcA: left['sub/a.txt'], events }).toMatchObject({
        srcA: dstA === 'alpha' && !(await lstat(join(dst, 'sub'))).isSymbolicLink() ? undefined : 'alpha',
      })
    })
  }

  it('move -H: target a alike by size and mtime, other bytes: b is not linked to it and removed', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await link(join(src, 'a.txt'), join(src, 'b.txt'))
    await writeTree(dst, { 'a.txt': 'ALPHA' })
    await utimes(join(src, 'a.txt'), T, T)
    await utimes(join(dst, 'a.txt'), T, T)
    const r = await runCli(['move', src, dst, '-H', '--json'], { env })
    const events = jsonLines(r.stdout).filter(
      (e) => e.type === 'removed' || e.type === 'failed' || e.type === 'completed',
    )
    expect({ code: r.code, src: await readTree(src), dst: await readTree(dst), events }).toMatchObject({
      dst: { 'b.txt': 'alpha' },
    })
  })

  it.skipIf(!hasStrace)(
    'move SRC grpc://: the server makes the renamed copies durable (a directory fsync after the renames) before the sources go',
    async () => {
      await writeTree(src, { 'small.txt': 'small', 'sub/b.txt': 'bravo' })
      const srv = join(root, 'srv')
      await mkdir(srv)
      const trace = join(root, 'trace')
      const st = traced(
        trace,
        'fsync,fdatasync,syncfs,rename,renameat,renameat2',
        ['serve', '--root', srv, '--listen', '127.0.0.1:0'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      )
      let err = ''
      st.stderr?.on('data', (d: Buffer) => {
        err += d.toString()
      })
      try {
        await expect.poll(() => err, { timeout: 20_000 }).toMatch(/grpc:\/\/127\.0\.0\.1:(\d+)\//)
        const port = /grpc:\/\/127\.0\.0\.1:(\d+)\//.exec(err)![1]
        const r = await runCli(['move', src, `grpc://127.0.0.1:${port}/dst`, '--json'], { env })
        expect(r.code, r.stderr).toBe(0)
        expect(await readTree(src)).toEqual({})
        const lines = (await readFile(trace, 'utf8')).split('\n')
        const lastRename = lines.findLastIndex((l) => /rename.*\/(small|b)\.txt"/.test(l))
        const syncsAfter = lines.slice(lastRename + 1).filter((l) => /(fsync|syncfs)\(/.test(l))
        expect({ lastRename: lastRename >= 0, syncsAfter }).toEqual({
          lastRename: true,
          syncsAfter: expect.arrayContaining([expect.any(String)]),
        })
      } finally {
        const { readFileSync } = await import('node:fs')
        const kids = readFileSync(`/proc/${st.pid}/task/${st.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
        for (const k of kids) process.kill(Number(k), 'SIGTERM')
      }
    },
  )

  it.skipIf(!hasStrace)(
    'move: a target file found there (cp, not yet on disk) has its data fsynced before its source is unlinked',
    async () => {
      await writeTree(src, { 'a.txt': 'alpha' })
      await mkdir(dst)
      const { copyFile } = await import('node:fs/promises')
      await copyFile(join(src, 'a.txt'), join(dst, 'a.txt'))
      const t = (await stat(join(src, 'a.txt'))).mtime
      await utimes(join(dst, 'a.txt'), t, t)
      const trace = join(root, 'trace')
      const st = traced(trace, 'openat,fsync,fdatasync,syncfs,unlink,unlinkat', ['move', src, dst, '--json'], {
        stdio: 'ignore',
        env: { ...process.env, ...env },
      })
      const code = await new Promise<number | null>((res) => st.on('exit', (c) => res(c)))
      expect(code).toBe(0)
      expect(await readTree(src)).toEqual({})
      const lines = (await readFile(trace, 'utf8')).split('\n')
      const unlinkAt = lines.findIndex((l) => /unlink.*a\.txt"/.test(l))
      // fds of dst/a.txt opened before the unlink, and fsyncs of any of them before it
      const fds = new Set(
        lines.slice(0, unlinkAt).flatMap((l) => {
          const m = /^(\d+) +openat\(AT_FDCWD, "[^"]*\/dst\/a\.txt".* = (\d+)$/.exec(l)
          return m ? [m[2]] : []
        }),
      )
      const fileSynced =
        lines.slice(0, unlinkAt).some((l) => {
          const m = /(?:fsync|fdatasync)\((\d+)\)/.exec(l)
          return m !== null && fds.has(m[1]!)
        }) || lines.slice(0, unlinkAt).some((l) => /syncfs\(/.test(l))
      expect({ unlinked: unlinkAt >= 0, dstFileOpened: fds.size > 0, fileSynced }).toEqual({
        unlinked: true,
        dstFileOpened: true,
        fileSynced: true,
      })
    },
  )

  it('move after a copy recorded in the state: a target edited behind syncflow with size and mtime kept gets the source file again', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    let r = await runCli(['copy', src, dst], { env })
    expect(r.code, r.stderr).toBe(0)
    const m = (await stat(join(dst, 'a.txt'))).mtime
    await writeFile(join(dst, 'a.txt'), 'ALPHA')
    await utimes(join(dst, 'a.txt'), m, m)
    r = await runCli(['move', src, dst, '--json'], { env })
    // (A move compares content, not the record: the target's edit is replaced by the source's bytes.)
    expect({ code: r.code, src: await readTree(src), dst: await readTree(dst) }).toEqual({
      code: 0,
      src: {},
      dst: { 'a.txt': 'alpha' },
    })
  })

  it('move interrupted (SIGINT) mid-run, then run again: every file is on one side with its bytes, then all moved', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 400; i++) files[`d${i % 7}/f${i}`] = `content ${i} `.repeat(200)
    await writeTree(src, files)
    const run = startCli(['move', src, dst, '--json', '--bwlimit', '400K'], { env })
    running.push(run)
    await expect
      .poll(() => jsonLines(run).filter((e) => e.type === 'removed').length, { timeout: 30_000 })
      .toBeGreaterThan(5)
    run.child.kill('SIGINT')
    const r = await run.exited
    const s = await readTree(src)
    const d = await readTree(dst)
    for (const [p, c] of Object.entries(files)) expect(s[p] ?? d[p], p).toBe(c)
    const removedSaid = jsonLines(r.stdout)
      .filter((e) => e.type === 'removed')
      .map((e) => e.path as string)
    for (const p of removedSaid) expect(d[p], p).toBe(files[p])
    const again = await runCli(['move', src, dst, '--json'], { env })
    expect(again.code, again.stderr).toBe(0)
    expect(await readTree(src)).toEqual({})
    expect(await readTree(dst)).toEqual(files)
  })

  it('move -H --link-dest: a group moved within the file system stays one file, the source file itself (a rename)', async () => {
    const prev = join(root, 'prev')
    await writeTree(src, { 'a.txt': 'alpha', 'x/b.txt': 'zzz' })
    await link(join(src, 'a.txt'), join(src, 'x/c.txt'))
    const was = (await stat(join(src, 'a.txt'))).ino
    let r = await runCli(['copy', src, prev, '-H'], { env })
    expect(r.code, r.stderr).toBe(0)
    r = await runCli(['move', src, dst, '-H', '--link-dest', prev, '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(src)).toEqual({})
    const [a, c, pa] = await Promise.all([
      stat(join(dst, 'a.txt')),
      stat(join(dst, 'x/c.txt')),
      stat(join(prev, 'a.txt')),
    ])
    expect({ ac: a.ino === c.ino, moved: a.ino === was, prevApart: pa.ino !== a.ino, nlink: a.nlink }).toEqual({
      ac: true,
      moved: true,
      prevApart: true,
      nlink: 2,
    })
  })

  it('move out of a directory whose names cannot be removed (immutable): its file is copied, not linked, and kept, exit 1', async (ctx) => {
    await writeTree(src, { 'ro/a.txt': 'alpha', 'b.txt': 'bravo' })
    // chattr +i: a directory even root cannot remove names from (where the file system has the flag).
    if (spawnSync('chattr', ['+i', join(src, 'ro')]).status !== 0) return ctx.skip()
    try {
      const r = await runCli(['move', src, dst, '--json'], { env })
      expect(r.code, r.stderr).toBe(1)
      const events = jsonLines(r.stdout)
      expect(events.find((e) => e.type === 'failed')).toMatchObject({ path: 'ro/a.txt', stage: 'remove-source' })
      // Two files, not two names of one: an edit of the source's copy never shows in the target's.
      const [kept, copied] = await Promise.all([stat(join(src, 'ro/a.txt')), stat(join(dst, 'ro/a.txt'))])
      expect({ apart: kept.ino !== copied.ino, nlinks: [kept.nlink, copied.nlink] }).toEqual({
        apart: true,
        nlinks: [1, 1],
      })
      expect(await readTree(dst)).toEqual({ 'ro/a.txt': 'alpha', 'b.txt': 'bravo' })
      // The other file was moved by a rename.
      expect(events.at(-1)).toMatchObject({ type: 'done', summary: { moved: 1, sourceRemoved: 1, failed: 1 } })
    } finally {
      spawnSync('chattr', ['-i', join(src, 'ro')])
    }
  })

  it.runIf(process.getuid?.() === 0 && hasSetpriv)(
    'move as another user out of a sticky directory whose file it does not own: copied, not linked, and kept',
    async () => {
      // As nobody: the sticky bit lets only the file's or directory's owner remove its name (review of
      // today's changes #6: access(2) allowed it, the link was made and the unlink then refused).
      const base = await tempDir()
      await chmod(base, 0o755)
      const [S, D, st] = [join(base, 's'), join(base, 'd'), join(base, 'st')]
      await mkdir(S)
      await mkdir(D)
      await mkdir(st)
      await writeFile(join(S, 'f'), 'x')
      await chmod(join(S, 'f'), 0o666)
      await chmod(S, 0o1777)
      await chown(D, 65534, -1)
      await chown(st, 65534, -1)
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'move', S, D, '--json'],
        { env: { ...process.env, HOME: st, SYNCFLOW_STATE_DIR: st }, encoding: 'utf8', cwd: base },
      )
      expect(r.status, r.stderr).toBe(1)
      expect(jsonLines(r.stdout).find((e) => e.type === 'failed')).toMatchObject({ path: 'f', stage: 'remove-source' })
      const [kept, copied] = await Promise.all([stat(join(S, 'f')), stat(join(D, 'f'))])
      expect({ apart: kept.ino !== copied.ino, nlinks: [kept.nlink, copied.nlink] }).toEqual({
        apart: true,
        nlinks: [1, 1],
      })
    },
  )

  it('move --files-from: only the listed files leave the source', async () => {
    await writeTree(src, { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/c.txt': 'charlie' })
    const list = join(root, 'list')
    await writeFile(list, 'a.txt\nsub/b.txt\n')
    const r = await runCli(['move', src, dst, '--files-from', list, '--delete-empty-src-dirs', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(src)).toEqual({ 'sub/c.txt': 'charlie' })
  })

  it('sync -H: a group spanning an excluded directory: the kept name is a whole file, re-run no-op', async () => {
    await writeTree(src, { 'keep/a.txt': 'alpha', 'skip/zz': 'z' })
    await link(join(src, 'keep/a.txt'), join(src, 'skip/b.txt'))
    let r = await runCli(['sync', src, dst, '-H', '--exclude', 'skip/'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ 'keep/a.txt': 'alpha' })
    r = await runCli(['sync', src, dst, '-H', '--exclude', 'skip/', '--json'], { env })
    expect(jsonLines(r.stdout).filter((e) => e.type === 'completed')).toEqual([])
  })

  it('sync -H: a chmod of a linked group carries to the target group, which stays one file; re-run no-op', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await link(join(src, 'a.txt'), join(src, 'b.txt'))
    let r = await runCli(['sync', src, dst, '-H'], { env })
    expect(r.code, r.stderr).toBe(0)
    await chmod(join(src, 'a.txt'), 0o600)
    r = await runCli(['sync', src, dst, '-H', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const [a, b] = await Promise.all([stat(join(dst, 'a.txt')), stat(join(dst, 'b.txt'))])
    expect({ linked: a.ino === b.ino, mode: a.mode & 0o777 }).toEqual({ linked: true, mode: 0o600 })
    r = await runCli(['sync', src, dst, '-H', '--json'], { env })
    expect(jsonLines(r.stdout).filter((e) => e.type === 'completed')).toEqual([])
  })

  it('sync -H mirror: names of a target group deleted while a new name links to it', async () => {
    await writeTree(src, { 'a.txt': 'alpha' })
    await link(join(src, 'a.txt'), join(src, 'old.txt'))
    let r = await runCli(['sync', src, dst, '-H'], { env })
    expect(r.code, r.stderr).toBe(0)
    const { rm } = await import('node:fs/promises')
    await rm(join(src, 'old.txt'))
    await rm(join(src, 'a.txt'))
    await writeFile(join(src, 'a.txt'), 'alpha-2')
    await link(join(src, 'a.txt'), join(src, 'new.txt'))
    r = await runCli(['sync', src, dst, '-H', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const [a, n] = await Promise.all([stat(join(dst, 'a.txt')), stat(join(dst, 'new.txt'))])
    expect({ tree: await readTree(dst), linked: a.ino === n.ino }).toEqual({
      tree: { 'a.txt': 'alpha-2', 'new.txt': 'alpha-2' },
      linked: true,
    })
  })
})
