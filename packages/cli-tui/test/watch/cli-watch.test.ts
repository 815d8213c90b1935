import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appendFile, chmod, mkdir, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  type RunningCli,
  readTree,
  startCli,
  tempDir,
  writeTree,
} from '../helpers/cli.js'

// `syncflow watch` as a user runs it: the built binary on two real temporary directories.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

async function setup() {
  const root = await tempDir('syncflow-watch-')
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await mkdir(src, { recursive: true })
  return { root, src, dst, env: { SYNCFLOW_STATE_DIR: join(root, 'state') } }
}
function watch(args: string[], env: Record<string, string>): RunningCli {
  const r = startCli(['watch', ...args, '--json'], { env })
  running.push(r)
  return r
}
const events = (r: RunningCli) => jsonLines(r)
const cycles = (r: RunningCli) => events(r).filter((e) => e.type === 'done').length

describe('syncflow watch', () => {
  it('keeps DST in step: writes, a rename (as a move), a delete; SIGINT stops it with 130', async () => {
    const { src, dst, env } = await setup()
    await writeTree(src, { 'start.txt': 'there at start' })
    const r = watch([src, dst], env)
    await expect.poll(() => cycles(r), { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    expect(await readTree(dst)).toEqual({ 'start.txt': 'there at start' })

    await writeTree(src, { 'a.txt': 'alpha', 'sub/b.txt': 'beta' })
    await expect
      .poll(() => readTree(dst), { timeout: 10_000 })
      .toEqual({
        'start.txt': 'there at start',
        'a.txt': 'alpha',
        'sub/b.txt': 'beta',
      })

    await rename(join(src, 'a.txt'), join(src, 'renamed.txt'))
    await expect
      .poll(() => readTree(dst), { timeout: 10_000 })
      .toEqual({
        'start.txt': 'there at start',
        'renamed.txt': 'alpha',
        'sub/b.txt': 'beta',
      })
    // The move's `completed` line is written once the rename is done, a moment after it shows in DST.
    await expect
      .poll(() => events(r).some((e) => e.type === 'completed' && (e.action as { kind: string }).kind === 'move'), {
        timeout: 10_000,
      })
      .toBe(true)

    await rm(join(src, 'start.txt'))
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ 'renamed.txt': 'alpha', 'sub/b.txt': 'beta' })

    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.code, end.stderr).toBe(130)
    const last = jsonLines(end.stdout).at(-1) as { type: string; summary: Record<string, unknown> }
    expect(last.type).toBe('done')
    expect(last.summary).toMatchObject({ mode: 'watch', interrupted: true, failed: 0 })
  })

  // QA: `mv a/x.txt b/caf\xe9` deleted the target's a/x.txt at once, the new name never reported;
  // a one-shot sync reports such a name and deletes nothing.
  // QA 6 F1: the same with a valid `caf\uFFFD` there already (the twin the new name decodes to).
  it.each([false, true])(
    'a file renamed to a name that is not UTF-8 in another directory: reported, the target copy kept (a valid twin there: %s)',
    async (twin) => {
      const { src, dst, env } = await setup()
      await writeTree(src, { 'a/x.txt': 'only copy', 'b/other.txt': 'o', ...(twin ? { 'b/caf\ufffd': 'twin' } : {}) })
      const r = watch([src, dst], env)
      await expect.poll(() => cycles(r), { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
      await rename(join(src, 'a', 'x.txt'), Buffer.concat([Buffer.from(join(src, 'b', 'caf')), Buffer.from([0xe9])]))
      await expect
        .poll(() => events(r).find((e) => e.type === 'failed'), { timeout: 10_000 })
        .toMatchObject({ path: 'b/caf\ufffd', stage: 'list', side: 'source', error: { code: 'INVALID_PATH' } })
      await expect.poll(() => cycles(r), { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
      expect(events(r).some((e) => e.type === 'notice' && e.code === 'DELETES_SUPPRESSED')).toBe(true)
      expect(await readTree(dst)).toEqual({
        'a/x.txt': 'only copy',
        'b/other.txt': 'o',
        ...(twin ? { 'b/caf\ufffd': 'twin' } : {}),
      })
    },
  )

  // QA 25d: a new file whose name is not UTF-8, in a cycle that also lists a new directory beside it,
  // was reported twice (its event's stat, without the bytes and the mv hint, and the listing): "2 failed".
  it('reports a new file whose name is not UTF-8 once in its cycle, with its bytes and the mv hint', async () => {
    const { src, dst, env } = await setup()
    const r = watch([src, dst, '--debounce', '1500'], env)
    await expect.poll(() => cycles(r), { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    await mkdir(join(src, 'd'))
    await writeFile(join(src, 'd', 'inner.txt'), 'in')
    await writeFile(Buffer.concat([Buffer.from(join(src, 'bad')), Buffer.from([0xff]), Buffer.from('.txt')]), 'x')
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ 'd/inner.txt': 'in' })
    // A later file's copy ends a cycle after every event of those above.
    await writeTree(src, { 'marker.txt': 'm' })
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ 'd/inner.txt': 'in', 'marker.txt': 'm' })
    // Per cycle (a cycle's events end with its done): once in each, and each with the bytes and the
    // hint. (Its event may come a cycle after the listing that met it first: one line in each then.)
    const perCycle: { path: string; error: { message: string; hint?: string } }[][] = [[]]
    for (const e of events(r)) {
      if (e.type === 'done') perCycle.push([])
      else if (e.type === 'failed') perCycle.at(-1)?.push(e as unknown as (typeof perCycle)[0][0])
    }
    const failed = perCycle.flat()
    expect(failed.length).toBeGreaterThanOrEqual(1)
    for (const cycle of perCycle) expect(cycle.map((f) => f.path)).toEqual(cycle.length > 0 ? ['bad\ufffd.txt'] : [])
    for (const f of failed) {
      expect(f.error.message).toContain('(its bytes: bad\\xff.txt)')
      expect(f.error.hint).toContain("mv $'bad\\xff.txt' NEWNAME")
    }
  })

  // QA F11: a file made with a tab in its name (`echo x > NAME`: made, then written) was printed
  // twice; a file written in many pieces, once per write.
  it('prints the failure of a name with a control character once, however often it is written', async () => {
    const { src, dst, env } = await setup()
    const r = startCli(['watch', src, dst], { env })
    running.push(r)
    await expect.poll(() => r.stderr(), { timeout: 20_000 }).toMatch(/initial sync: /)
    const name = join(src, 'new\ttab.txt')
    await writeFile(name, 'made')
    await appendFile(name, ' and written')
    await appendFile(name, ' twice')
    // A later file's copy ends a cycle after the writes' events.
    await expect.poll(() => r.stderr(), { timeout: 10_000 }).toMatch(/failed {3}"new\\x09tab\.txt"/)
    await writeTree(src, { 'marker.txt': 'm' })
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ 'marker.txt': 'm' })
    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.code, end.stderr).toBe(130)
    const failed = end.stderr.split('\n').filter((l) => l.startsWith('failed '))
    expect(failed).toEqual([
      'failed   "new\\x09tab.txt": INVALID_PATH: watch ("new\\x09tab.txt"): unsafe name skipped: control character in name',
    ])
  })

  // QA 6 F2: dropped while unreadable, the directory was never watched again: the target kept the
  // mode 000 the watch had given it, and what was made inside waited for the next rescan.
  it('a source directory made unreadable, then readable again, is watched again and its mode mirrored', async () => {
    const { root, src, dst, env } = await setup()
    await writeTree(src, { 'locked/l.txt': 'l', 'top.txt': 't' })
    // As a user permissions apply to (root reads every directory).
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    if (user.uid !== undefined) execFileSync('chown', ['-R', '65534:65534', root])
    const r = startCli(['watch', src, dst, '--json'], { env, ...user })
    running.push(r)
    await expect.poll(() => cycles(r), { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    const modeOf = async (p: string) => (await stat(p)).mode & 0o777
    await chmod(join(src, 'locked'), 0o000)
    await expect.poll(() => modeOf(join(dst, 'locked')), { timeout: 10_000 }).toBe(0)
    // A name made in it while unreadable makes the watcher read it, and fail.
    await writeFile(join(src, 'locked', 'while-locked.txt'), 'w')
    await writeFile(join(src, 'marker.txt'), 'm')
    await expect.poll(async () => existsSync(join(dst, 'marker.txt')), { timeout: 10_000 }).toBe(true)
    await chmod(join(src, 'locked'), 0o755)
    await writeFile(join(src, 'locked', 'new.txt'), 'n')
    await expect.poll(() => modeOf(join(dst, 'locked')), { timeout: 10_000 }).toBe(0o755)
    await expect.poll(async () => existsSync(join(dst, 'locked', 'new.txt')), { timeout: 10_000 }).toBe(true)
  })

  it('absorbs a burst of 2,000 files (an unpacked archive) in a few cycles', async () => {
    const { root, src, dst, env } = await setup()
    const stage = join(root, 'stage')
    await writeTree(
      stage,
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`d${i % 20}/f${i}.txt`, `file ${i}`])),
    )
    execFileSync('tar', ['-cf', join(root, 'burst.tar'), '-C', stage, '.'])
    const r = watch([src, dst], env)
    await expect.poll(() => cycles(r), { timeout: 20_000 }).toBe(1)
    execFileSync('tar', ['-xf', join(root, 'burst.tar'), '-C', src])
    await expect
      .poll(async () => Object.keys(await readTree(dst)).length, { timeout: 60_000, interval: 250 })
      .toBe(2000)
    expect(await readTree(dst)).toEqual(await readTree(src))
    // Not one cycle per file: the unpacked directories are taken whole.
    expect(cycles(r) - 1).toBeLessThanOrEqual(10)
  })

  it('reports to a webhook (start, success) and serves metrics', async () => {
    const { src, dst, env } = await setup()
    const hits: { path: string; body: string }[] = []
    const server: Server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        hits.push({ path: req.url ?? '', body })
        res.end('OK')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const r = watch([src, dst, '--webhook', `http://127.0.0.1:${port}/hc`, '--metrics', '127.0.0.1:0'], env)
      await expect.poll(() => hits.map((h) => h.path), { timeout: 20_000 }).toEqual(['/hc/start', '/hc'])
      expect(JSON.parse(hits[1]?.body ?? '{}')).toMatchObject({ status: 'success', summary: { mode: 'mirror' } })
      const url = /metrics on (http:\S+)/.exec(r.stderr())?.[1]
      expect(url, r.stderr()).toBeDefined()
      const text = await (await fetch(url as string)).text()
      expect(text).toContain('syncflow_runs_total{result="success"} 1')
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  // QA 30f: a --metrics port in use ended the job (exit 2) before the webhook was opened: the
  // monitor heard nothing, where a job that cannot start (a missing source) pings /fail.
  it('a --metrics address in use still pings the webhook /fail, then exits 2', async () => {
    const { src, dst, env } = await setup()
    const hits: { path: string; body: string }[] = []
    const server: Server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        hits.push({ path: req.url ?? '', body })
        res.end('OK')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      // The monitor's own port: in use.
      const r = watch([src, dst, '--webhook', `http://127.0.0.1:${port}/hc`, '--metrics', `127.0.0.1:${port}`], env)
      const end = await r.exited
      expect(end.code, end.stderr).toBe(2)
      expect(end.stderr).toContain('EADDRINUSE')
      expect(hits.map((h) => h.path)).toEqual(['/hc/start', '/hc/fail'])
      expect(JSON.parse(hits[1]?.body ?? '{}')).toMatchObject({ status: 'fail', summary: { fatal: { code: 'USAGE' } } })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('on SIGINT, still sends the last webhook ping through a retry, then exits 130', async () => {
    const { src, dst, env } = await setup()
    await writeTree(src, { 'a.txt': 'alpha' })
    // Every ping fails once (503) and is accepted when retried.
    const attempts = new Map<string, number>()
    const hits: { path: string; status: number }[] = []
    const server: Server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        const path = req.url ?? ''
        const n = (attempts.get(path) ?? 0) + 1
        attempts.set(path, n)
        const status = n % 2 === 1 ? 503 : 200
        hits.push({ path, status })
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const r = watch([src, dst, '--webhook', `http://127.0.0.1:${port}/hc`], env)
      await expect.poll(() => cycles(r), { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
      r.child.kill('SIGINT')
      const end = await r.exited
      expect(end.code, end.stderr).toBe(130)
      // The job's last ping (its summary) went out on its second attempt before the exit.
      expect(hits.filter((h) => h.path === '/hc' && h.status === 200).length).toBeGreaterThanOrEqual(1)
      expect(hits.at(-1)).toEqual({ path: '/hc', status: 200 })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('on SIGHUP (its terminal closed) stops in order, then ends by the hangup', async () => {
    const { src, dst, env, root } = await setup()
    await writeTree(src, { 'a.txt': 'alpha' })
    const r = watch([src, dst], env)
    await expect.poll(() => cycles(r), { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    r.child.kill('SIGHUP')
    const end = await r.exited
    expect(end.signal, end.stderr).toBe('SIGHUP')
    // Closed in order first: the last `done` says interrupted, and the job's lock is released.
    const last = events(r).at(-1) as { type: string; summary?: { mode: string; interrupted: boolean } }
    expect(last).toMatchObject({ type: 'done', summary: { mode: 'watch', interrupted: true } })
    expect((await readdir(join(root, 'state'))).filter((f) => f.endsWith('.lock'))).toEqual([])
  })

  // QA 12 #2: each cycle's writes into dst/view/… were heard through the link as source changes and
  // copied one level deeper: 5 MB of target grew to 161 MB in 6 s, 31 levels deep, still growing.
  it('--symlinks follow with a source symlink to the target: reported, never followed, no cycle on its own writes', async () => {
    const { src, dst, env } = await setup()
    await writeTree(src, { a: 'a' })
    await writeTree(dst, { old: 'backup' })
    await symlink('../dst', join(src, 'view'))
    const r = watch(['--mode', 'copy', '--symlinks', 'follow', src, dst], env)
    await expect.poll(() => cycles(r), { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    // A change after the initial sync, whose cycle comes after any cycle on the initial sync's writes.
    await writeTree(src, { b: 'b' })
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ old: 'backup', a: 'a', b: 'b' })
    const failed = events(r).filter((e) => e.type === 'failed')
    expect(failed.length).toBeGreaterThanOrEqual(1)
    expect(failed[0]).toMatchObject({
      error: { code: 'INVALID_PATH', path: 'view', message: expect.stringContaining('leads into the target') },
    })
    r.child.kill('SIGINT')
    await r.exited
    expect(await readTree(dst)).toEqual({ old: 'backup', a: 'a', b: 'b' })
  })

  it('refuses bad flag values with exit 2', async () => {
    const { src, dst, env } = await setup()
    for (const bad of [
      ['--debounce', 'soon'],
      ['--rescan', '-1'],
      ['--metrics', 'nohost'],
      ['--webhook', 'not a url'],
    ]) {
      const r = watch([src, dst, ...bad], env)
      const end = await r.exited
      expect(end.code, `${bad.join(' ')}: ${end.stderr}`).toBe(2)
    }
  })
})

describe('syncflow watch --dry-run', () => {
  it('says what its cycles would do, as sync -n does, and writes nothing', async () => {
    const { src, dst, env } = await setup()
    await writeTree(src, { 'new.txt': 'only in SRC' })
    await writeTree(dst, { 'extra.txt': 'only in DST' })
    // The roots' mtimes alike: written a millisecond or more apart (a loaded machine), the dry run
    // would also plan the root's touch ("…, touch 1 in"), which this test is not about.
    const srcRoot = await stat(src)
    await utimes(dst, srcRoot.atime, srcRoot.mtime)
    const r = startCli(['watch', '-n', src, dst], { env })
    running.push(r)
    // The whole line (to its newline): a pipe read may end in the middle of it.
    await expect.poll(() => r.stderr(), { timeout: 20_000 }).toMatch(/initial sync: .*\n/)
    const line =
      r
        .stderr()
        .split('\n')
        .find((l) => l.includes('initial sync: ')) ?? ''
    expect(line).toMatch(/initial sync: would copy 1, delete 1 in /)
    expect(line).not.toMatch(/copied|deleted/)
    expect(await readTree(dst)).toEqual({ 'extra.txt': 'only in DST' })

    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.code, end.stderr).toBe(130)
    expect(end.stderr).toMatch(/Dry run .*would copy 1 file, delete 1/)
  })
})
