import { execFileSync, spawnSync } from 'node:child_process'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { BackendRegistry, createMemBackend, defaultRegistry, type NoticeCode, SyncError } from '@syncflow/core'
import { listFiles, listKeys, readText, rejectionOf, writeText } from '@syncflow/core/testkit'
import { describe, expect, it, vi } from 'vitest'
import { createLocalBackend, LocalBackend, localBackend, toSyncError } from '../src/index.js'
import { isStaleTemp, STALE_TEMP_AGE_MS, tempNameOf, tempOwner } from '../src/temp-file.js'
import { codeOf, p, tempDir } from './helpers.js'

/** A pid that is certainly not running: a child that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

describe('atomic write on disk', () => {
  it('writes to a .syncflow-tmp-<pid>- file in the same directory, then renames it', async () => {
    const root = await tempDir('atomic')
    const b = createLocalBackend({ root })
    await writeText(b, 'dir/f.txt', 'old')
    const body = new Readable({ read() {} })
    const writing = b.write(p('dir/f.txt'), body, { mtimeMs: 1_600_000_000_000, mode: 0o640 })
    body.push('new content')
    await vi.waitFor(async () => expect((await readdir(join(root, 'dir'))).length).toBe(2))
    const names = await readdir(join(root, 'dir'))
    const temp = names.find((n) => n !== 'f.txt')!
    expect(tempOwner(temp)).toEqual({ pid: process.pid, here: true })
    expect(await listFiles(b)).toEqual(['dir/f.txt'])
    expect(await readFile(join(root, 'dir', 'f.txt'), 'utf8')).toBe('old')
    body.push(null)
    await writing
    expect(await readdir(join(root, 'dir'))).toEqual(['f.txt'])
    const st = await stat(join(root, 'dir', 'f.txt'))
    expect(st.mtimeMs).toBe(1_600_000_000_000)
    expect(st.mode & 0o7777).toBe(0o640)
  })

  it('sets an mtime to the µs on either side of 1970 (QA 17: -5 s was set as -4.9999995 s)', async () => {
    const root = await tempDir('mtime-us')
    const b = createLocalBackend({ root })
    for (const [name, mtimeMs, us] of [
      ['before', -5000, -5_000_000n],
      ['before-frac', -1123.456, -1_123_456n],
      ['after', 1_600_000_000_123.456, 1_600_000_000_123_456n],
    ] as const) {
      await b.write(p(name), Readable.from([Buffer.from('x')]), { size: 1, mtimeMs })
      const { mtimeNs } = await stat(join(root, name), { bigint: true })
      // Read to the µs as tools show it (towards zero): the µs written.
      expect(mtimeNs / 1000n, name).toBe(us)
    }
  })

  it('mtimeNs: a file to the nanosecond; nothing for a directory, a missing path or one through a symlinked directory', async () => {
    const root = await tempDir('mtime-ns')
    const b = createLocalBackend({ root })
    await writeText(b, 'd/f', 'x')
    execFileSync('touch', ['-m', '-d', '@1600000000.123456789', join(root, 'd', 'f')])
    execFileSync('ln', ['-s', 'd', join(root, 'link')])
    expect(await b.mtimeNs(p('d/f'))).toBe(1_600_000_000_123_456_789n)
    expect(await b.mtimeNs(p('d'))).toBeUndefined()
    expect(await b.mtimeNs(p('nope'))).toBeUndefined()
    expect(await b.mtimeNs(p('link/f'))).toBeUndefined()
  })

  // Node's mkdir({ recursive: true }) retries for ever (at full CPU) where a directory can never be
  // made although its parent exists: the root is made without it.
  it.runIf(process.platform === 'linux')(
    'a root that can never be made (/proc/…) fails the write at once',
    async () => {
      const b = createLocalBackend({ root: '/proc/syncflow-cannot-be-made/dst' })
      expect(codeOf(await rejectionOf(writeText(b, 'a', 'x')))).toBe('NOT_FOUND')
    },
  )

  it('makes a missing root with its missing parents', async () => {
    const root = join(await tempDir('deep'), 'a', 'b', 'c')
    await writeText(createLocalBackend({ root }), 'f', 'x')
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('x')
  })

  it('an aborted or failed write removes its temp file from the disk', async () => {
    const root = await tempDir('abort')
    const b = createLocalBackend({ root })
    const abort = new AbortController()
    const body = new Readable({ read() {} })
    const writing = b.write(p('f.txt'), body, { mtimeMs: 1 }, { signal: abort.signal })
    body.push('partial')
    await vi.waitFor(async () => expect((await readdir(root)).length).toBe(1))
    abort.abort()
    expect(codeOf(await rejectionOf(writing))).toBe('ABORTED')
    expect(body.destroyed).toBe(true)
    expect(await readdir(root)).toEqual([])

    const failing = new Readable({ read() {} })
    const writing2 = b.write(p('g.txt'), failing, { mtimeMs: 1 })
    failing.push('partial')
    await vi.waitFor(async () => expect((await readdir(root)).length).toBe(1))
    failing.destroy(new Error('source broke'))
    expect(await rejectionOf(writing2)).toBeInstanceOf(SyncError)
    expect(await readdir(root)).toEqual([])
  })

  it('a CONFLICT from expect removes the temp file and keeps the destination', async () => {
    const root = await tempDir('conflict')
    const b = createLocalBackend({ root })
    const planned = await writeText(b, 'f.txt', 'planned')
    await writeFile(join(root, 'f.txt'), 'edited by the user')
    expect(codeOf(await rejectionOf(writeText(b, 'f.txt', 'sync', {}, { expect: planned })))).toBe('CONFLICT')
    expect(await readdir(root)).toEqual(['f.txt'])
    expect(await readFile(join(root, 'f.txt'), 'utf8')).toBe('edited by the user')
  })

  // QA 25a #6: a file as the direct parent passed the chain check (its realpath is where it should
  // be), so a write failed with a raw ENOTDIR of its temp file, not as one two levels below did.
  it('a write below a file fails CONFLICT "parent … is a file"; stat, remove and read find nothing there', async () => {
    const root = await tempDir('below-file')
    const b = createLocalBackend({ root })
    await writeFile(join(root, 'f'), 'a file')
    for (const path of ['f/x', 'f/d/x']) {
      const err = await rejectionOf(writeText(b, path, 'x'))
      expect(codeOf(err), path).toBe('CONFLICT')
      expect((err as Error).message, path).toContain('parent "f" is a file')
      expect((err as Error).message, path).not.toContain('ENOTDIR')
    }
    expect(await b.stat(p('f/x'))).toBeUndefined()
    await b.remove(p('f/x'))
    expect(codeOf(await rejectionOf(b.read(p('f/x'))))).toBe('NOT_FOUND')
    expect(await readdir(root)).toEqual(['f'])
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('a file')
  })

  it('whole-millisecond mtimes round-trip exactly (libuv keeps microseconds; the ms value is rounded, not truncated)', async () => {
    const b = createLocalBackend({ root: await tempDir('mtime') })
    for (const mtimeMs of [1_234_567_890_123, 1_600_000_000_001, 1_700_000_000_999, 946_684_800_000]) {
      expect((await writeText(b, 'f', 'x', mtimeMs)).mtimeMs).toBe(mtimeMs)
      expect((await b.setMtime(p('f'), mtimeMs + 7)).mtimeMs).toBe(mtimeMs + 7)
    }
    await b.mkdir(p('d'), { mtimeMs: 1_234_567_890_123 })
    expect((await b.stat(p('d')))?.mtimeMs).toBe(1_234_567_890_123)
  })

  it('without a mode, a new file gets the default permissions (umask), not the private temp mode', async () => {
    const root = await tempDir('umask')
    const b = createLocalBackend({ root })
    const entry = await writeText(b, 'f', 'x')
    const umask = process.umask()
    expect(entry.mode).toBe(0o666 & ~umask)
  })
})

describe('stale temp files', () => {
  it('the target of a writing run removes a temp file of a dead process and says so; one of a live process stays', async () => {
    const root = await tempDir('stale')
    const dead = tempNameOf(deadPid())
    const live = tempNameOf(process.pid)
    await writeFile(join(root, dead), 'half a file')
    await writeFile(join(root, 'sub-dir-file'), 'x')
    await writeFile(join(root, live), 'in progress')
    await writeFile(join(root, '.syncflow-tmp-not-ours'), 'a user file that merely looks similar')
    const notices: { code: NoticeCode; path?: string }[] = []
    const keys = await listKeys(createLocalBackend({ root }), { cleanUp: true, onNotice: (n) => notices.push(n) })
    expect(keys).toEqual(['.syncflow-tmp-not-ours', 'sub-dir-file'])
    expect(notices).toEqual([expect.objectContaining({ code: 'STALE_TEMP_REMOVED', path: dead })])
    expect((await readdir(root)).sort()).toEqual(['.syncflow-tmp-not-ours', live, 'sub-dir-file'].sort())
  })

  // ls, check, a dry run and every source list without cleanUp: a listing never deletes (QA round 10:
  // `syncflow ls` removed files named like our temp files, and a writer's in a container).
  // QA 12 #7: a source file so named was left out without a word. One a live write of this host
  // owns (this tree is another run's target) is no one's business.
  it('a listing that is only read never removes anything, never lists temp files, and says each one no live write owns', async () => {
    const root = await tempDir('stale-ro')
    const dead = tempNameOf(deadPid())
    const live = tempNameOf(process.pid)
    const foreign = tempNameOf(deadPid(), false)
    await writeFile(join(root, dead), 'half a file')
    await writeFile(join(root, live), 'in progress')
    await writeFile(join(root, foreign), 'another host')
    await writeFile(join(root, 'f'), 'x')
    const notices: { code: NoticeCode; path?: string; message: string }[] = []
    expect(await listKeys(createLocalBackend({ root }), { onNotice: (n) => notices.push(n) })).toEqual(['f'])
    expect(notices.map((n) => [n.code, n.path]).sort()).toEqual(
      [
        ['TEMP_NAME_SKIPPED', dead],
        ['TEMP_NAME_SKIPPED', foreign],
      ].sort(),
    )
    expect(notices[0]?.message).toMatch(/named like the temp file of a syncflow write .*not listed, so not synced/)
    expect((await readdir(root)).sort()).toEqual([dead, live, foreign, 'f'].sort())
  })

  it("a temp file of another host or container is judged by its age only: its pid is not this host's", () => {
    const now = Date.now()
    const pid = deadPid()
    const elsewhere = tempOwner(tempNameOf(pid, false))!
    expect(elsewhere).toEqual({ pid, here: false })
    expect(isStaleTemp(elsewhere, now - 1000, now)).toBe(false)
    expect(isStaleTemp(elsewhere, now - STALE_TEMP_AGE_MS - 1, now)).toBe(true)
  })

  it('a temp file older than an hour is stale even when its pid is alive (pids get reused)', () => {
    const now = Date.now()
    const me = tempOwner(tempNameOf(process.pid))!
    expect(isStaleTemp(me, now - 1000, now)).toBe(false)
    expect(isStaleTemp(me, now - STALE_TEMP_AGE_MS - 1, now)).toBe(true)
    expect(isStaleTemp(tempOwner(tempNameOf(deadPid()))!, now, now)).toBe(true)
  })
})

describe('a FIFO where a listed file was', () => {
  // QA round 11: a source file replaced by a FIFO after the listing hung the run for good (the open
  // waited for a writer; Ctrl-C could not end it). Opened non-blocking, it is refused at once.
  it('is refused by read, hash and copyFrom instead of blocking', async () => {
    const root = await tempDir('fifo')
    execFileSync('mkfifo', [join(root, 'pipe')])
    const b = createLocalBackend({ root })
    const dst = createLocalBackend({ root: await tempDir('fifo-dst') })
    expect(codeOf(await rejectionOf(b.read(p('pipe'))))).toBe('CONFLICT')
    expect(codeOf(await rejectionOf(b.hash(p('pipe'), 'sha256')))).toBe('CONFLICT')
    const meta = { size: 0, mtimeMs: 1_600_000_000_000 }
    expect(codeOf(await rejectionOf(dst.copyFrom(b, p('pipe'), p('pipe'), meta)))).toBe('CONFLICT')
  })
})

describe('copyFrom', () => {
  it('copies between two local roots with the given mtime and mode', async () => {
    const src = createLocalBackend({ root: await tempDir('src') })
    const dst = createLocalBackend({ root: await tempDir('dst') })
    await writeText(src, 'a/file.bin', 'payload', { mode: 0o644 })
    const progress: number[] = []
    const entry = await dst.copyFrom(
      src,
      p('a/file.bin'),
      p('b/copy.bin'),
      { mtimeMs: 1_234_567_890_123, mode: 0o600 },
      {
        onProgress: (n) => progress.push(n),
      },
    )
    expect(entry).toMatchObject({ path: 'b/copy.bin', kind: 'file', size: 7, mtimeMs: 1_234_567_890_123, mode: 0o600 })
    expect(await readText(dst, 'b/copy.bin')).toBe('payload')
    expect(progress).toEqual([7])
    expect(await readdir(join(dst.root, 'b'))).toEqual(['copy.bin'])
  })

  it('copies small files (one buffer) and large ones (copyFile) alike; without a mode, the source keeps its bits', async () => {
    const src = await tempDir('src')
    const dst = createLocalBackend({ root: await tempDir('dst') })
    const source = createLocalBackend({ root: src })
    const sizes = { empty: 0, small: 5000, edge: 1024 * 1024 - 1, large: 1024 * 1024 + 7 }
    for (const [name, size] of Object.entries(sizes)) {
      const bytes = Buffer.alloc(size, name)
      await writeFile(join(src, name), bytes, { mode: 0o640 })
      const entry = await dst.copyFrom(source, p(name), p(`out/${name}`), { mtimeMs: 1_000_000_000_000 })
      expect(entry, name).toMatchObject({ kind: 'file', size, mtimeMs: 1_000_000_000_000, mode: 0o640 })
      expect((await readFile(join(dst.root, 'out', name))).equals(bytes), name).toBe(true)
    }
    expect((await readdir(join(dst.root, 'out'))).sort()).toEqual(Object.keys(sizes).sort())
  })

  it('declines a source that is not local, so the engine streams instead', async () => {
    const dst = createLocalBackend({ root: await tempDir('dst') })
    const mem = createMemBackend()
    await writeText(mem, 'f', 'x')
    expect(await dst.copyFrom(mem, p('f'), p('f'), { mtimeMs: 1 })).toBeUndefined()
  })

  it('honours expect, reports a missing source as NOT_FOUND, and refuses a symlink source (preserve)', async () => {
    const src = createLocalBackend({ root: await tempDir('src') })
    const dst = createLocalBackend({ root: await tempDir('dst') })
    await writeText(src, 'f', 'new')
    await writeText(dst, 'f', 'theirs')
    expect(codeOf(await rejectionOf(dst.copyFrom(src, p('f'), p('f'), { mtimeMs: 1 }, { expect: null })))).toBe(
      'CONFLICT',
    )
    expect(await readText(dst, 'f')).toBe('theirs')
    expect(codeOf(await rejectionOf(dst.copyFrom(src, p('missing'), p('g'), { mtimeMs: 1 })))).toBe('NOT_FOUND')
    await src.symlink(p('link'), 'f')
    expect(codeOf(await rejectionOf(dst.copyFrom(src, p('link'), p('g'), { mtimeMs: 1 })))).toBe('CONFLICT')
    expect(await readdir(dst.root)).toEqual(['f'])
  })
})

describe('toSyncError', () => {
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: boom`), { code })

  it.each([
    ['ENOENT', 'NOT_FOUND'],
    ['EACCES', 'PERMISSION'],
    ['EPERM', 'PERMISSION'],
    ['EROFS', 'PERMISSION'],
    ['ENOSPC', 'NO_SPACE'],
    ['EDQUOT', 'NO_SPACE'],
    ['EBUSY', 'TRANSIENT'],
    ['EAGAIN', 'TRANSIENT'],
    ['EMFILE', 'TRANSIENT'],
    ['EEXIST', 'CONFLICT'],
    ['ENOTEMPTY', 'CONFLICT'],
    ['EISDIR', 'CONFLICT'],
    ['ENOTDIR', 'CONFLICT'],
    ['ENAMETOOLONG', 'INVALID_PATH'],
    ['EXDEV', 'UNSUPPORTED'],
    ['EWHATEVER', 'UNKNOWN'],
  ])('%s is %s', (code, expected) => {
    const err = toSyncError(errno(code), 'write', 'a/b.txt')
    expect(err.code).toBe(expected)
    expect(err.message).toBe(`${expected}: local.write (a/b.txt): ${code}: boom`)
    expect(err.cause).toBeInstanceOf(Error)
    expect(err.retryable).toBe(expected === 'TRANSIENT')
  })

  it('too many open files says which limit and what to lower, not only "try again"', () => {
    for (const code of ['EMFILE', 'ENFILE']) {
      expect(toSyncError(errno(code), 'write', 'a').hint).toMatch(/ulimit -n.*--concurrency/)
    }
  })

  // QA 29a: out of inodes is ENOSPC too, with free space left, and the hint said only "free some space".
  it('a full filesystem says that space or inodes (df -i) may be what ran out', () => {
    expect(toSyncError(errno('ENOSPC'), 'write', 'a').hint).toMatch(/space.*inodes.*df -i/)
  })

  it('keeps SyncErrors, and maps AbortError to ABORTED', () => {
    const original = new SyncError('CONFLICT', 'x')
    expect(toSyncError(original, 'write')).toBe(original)
    expect(toSyncError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'write').code).toBe('ABORTED')
    expect(toSyncError('a string', 'write').hint).toMatch(/bug/)
  })

  it('gives ELOOP (a symlink loop on the way) its own hint, not that of a bad file name', () => {
    const err = toSyncError(errno('ELOOP'), 'rootExists', '/x/l1')
    expect(err.code).toBe('INVALID_PATH')
    expect(err.hint).toMatch(/^A symlink on this path loops/)
  })
})

describe('localBackend plugin', () => {
  it('opens bare paths and file:// URIs, passing the symlink policy', async () => {
    const root = await tempDir('plugin')
    const registry = new BackendRegistry()
    registry.register(localBackend)
    const bare = await registry.open(root)
    expect(bare).toBeInstanceOf(LocalBackend)
    expect(bare.uri).toBe(root)
    const url = (await registry.open(pathToFileURL(root).href, { symlinks: 'skip' })) as LocalBackend
    expect(url.root).toBe(root)
    expect(url.symlinkPolicy).toBe('skip')
    const relative = (await registry.open('.')) as LocalBackend
    expect(relative.root).toBe(process.cwd())
  })

  it('refuses a file:// URI with a remote host with USAGE and a hint', async () => {
    const err = await rejectionOf(localBackend.open('file://server/share', {}))
    expect(codeOf(err)).toBe('USAGE')
    expect((err as SyncError).hint).toMatch(/file:\/\/\//)
  })

  it('registers nothing at import time', () => {
    expect(defaultRegistry.get('file')).toBeUndefined()
  })

  it('is unusable after close', async () => {
    const b = createLocalBackend({ root: await tempDir('closed') })
    await b.close()
    expect(codeOf(await rejectionOf(b.stat(p('x'))))).toBe('USAGE')
  })
})

describe('parent directories under concurrent writes', () => {
  it('many writes into one new directory all land, and each failure names its own file', async () => {
    const root = await tempDir('parents')
    const b = createLocalBackend({ root })
    await Promise.all(Array.from({ length: 50 }, (_, i) => writeText(b, `new/dir/f${i}`, String(i))))
    expect((await readdir(join(root, 'new', 'dir'))).length).toBe(50)

    await writeFile(join(root, 'blocker'), 'a file where a directory is needed')
    const failures = await Promise.all(
      Array.from({ length: 5 }, (_, i) => rejectionOf(writeText(b, `blocker/sub/f${i}`, 'x'))),
    )
    expect(failures.map(codeOf)).toEqual(Array(5).fill('CONFLICT'))
    expect(failures.map((e) => (e as { path?: string }).path)).toEqual(
      Array.from({ length: 5 }, (_, i) => `blocker/sub/f${i}`),
    )
  })
})
