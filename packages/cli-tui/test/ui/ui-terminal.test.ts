import { execFileSync, spawnSync } from 'node:child_process'
import { chmod, mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BIN, buildCli, cleanupTempDirs, readTree, runCli, tempDir, writeTree } from '../helpers/cli.js'

// `syncflow ui` run as a user would: the real binary in a real terminal (tmux, 80x24), the screen
// read back while a sync runs. tmux comes from Debian: installed here when missing and running as
// root (CI), otherwise the test is skipped with the reason.

function tmuxAvailable(): string | undefined {
  if (spawnSync('tmux', ['-V']).status === 0) return undefined
  if (process.getuid?.() !== 0) return 'tmux is not installed (apt-get install tmux), and installing needs root'
  const r = spawnSync('sh', ['-c', 'apt-get install -y tmux || (apt-get update && apt-get install -y tmux)'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  return r.status === 0 && spawnSync('tmux', ['-V']).status === 0 ? undefined : 'tmux could not be installed'
}

const skipReason = tmuxAvailable()
const session = `syncflow-ui-e2e-${process.pid}`
// A tmux server of this file's own (-L), kept up between tests by a session that stays: with the
// default server, killing a test's last session stopped it, and the next test's new-session could
// meet it exiting ("server exited unexpectedly", CI at e22d2ab); and a `tmux kill-server` by anyone
// else on the machine took the test's session with it.
const socket = `syncflow-ui-e2e-${process.pid}`
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })
const screen = (): string => {
  const r = spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', session], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout : ''
}
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * `syncflow ui SRC DST FLAGS…` in the test's 80x24 tmux session (state under `root`, no color); the
 * shell prints `EXIT=<code>` when it ends and stays a minute, so the last screen can be read.
 */
function startUi(root: string, src: string, dst: string, ...flags: string[]): void {
  startUiWith('', root, src, dst, ...flags)
}

/** The words of a shell command running `syncflow ui` on `src` and `dst`, its state under `root`. */
function uiCommand(root: string, src: string, dst: string, ...flags: string[]): string[] {
  return [
    `SYNCFLOW_STATE_DIR=${q(join(root, 'state'))}`,
    'NO_COLOR=1',
    q(process.execPath),
    q(BIN),
    'ui',
    q(src),
    q(dst),
    ...flags,
  ]
}

/** `startUi` with `env` (`NAME=value …`) set for syncflow. */
function startUiWith(env: string, root: string, src: string, dst: string, ...flags: string[]): void {
  const command = [env, ...uiCommand(root, src, dst, ...flags), '; echo "EXIT=$?"; sleep 60'].join(' ')
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', command)
}

beforeAll(() => {
  if (skipReason) return
  buildCli()
  // Named apart from `session`: tmux takes `-t NAME` as a prefix too, so a kill-session of a test's
  // session that had already ended would have killed a `${session}-keeper`.
  tmux('new-session', '-d', '-s', 'keeper', 'sleep 3600')
})
afterEach(() => {
  spawnSync('tmux', ['-L', socket, 'kill-session', '-t', session])
})
afterAll(async () => {
  if (!skipReason) {
    // kill-server leaves its socket file behind in /tmp/tmux-UID.
    const path = spawnSync('tmux', ['-L', socket, 'display', '-p', '#{socket_path}'], {
      encoding: 'utf8',
    }).stdout.trim()
    spawnSync('tmux', ['-L', socket, 'kill-server'])
    if (path !== '') await rm(path, { force: true })
  }
  await cleanupTempDirs()
})

describe.skipIf(skipReason !== undefined)(
  `syncflow ui in a terminal${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('on a terminal that cannot redraw (TERM=dumb) says so and suggests sync (exit 2), writing nothing', async () => {
      const root = await tempDir()
      const src = join(root, 'src')
      const dst = join(root, 'dst')
      await writeTree(src, { 'a.txt': 'a' })
      startUiWith('TERM=dumb', root, src, dst)
      await expect.poll(screen, { timeout: 20_000 }).toContain('EXIT=2')
      expect(screen()).toContain('(TERM=dumb)')
      expect(screen()).toContain('syncflow sync')
      expect(await stat(dst).catch(() => undefined)).toBeUndefined()
    })

    it('shows progress, transfers and counts while a sync runs; p pauses, q stops with 130', async () => {
      const root = await tempDir()
      const src = join(root, 'src')
      const dst = join(root, 'dst')
      // 40 files of 128 KiB at 512 KiB/s: about 10 s of work, so the screen is read mid-run.
      await writeTree(
        src,
        Object.fromEntries(
          Array.from({ length: 40 }, (_, i) => [`dir/file-${i}.bin`, new Uint8Array(128 * 1024).fill(i)]),
        ),
      )
      startUi(root, src, dst, '--bwlimit', '512k', '--concurrency', '4')

      // Mid-run: some files done, some in flight (40 files and their directory are planned).
      await expect.poll(screen, { timeout: 20_000 }).toMatch(/In flight \([1-9]\d*\)[\s\S]*dir\/file-/)
      const frame = screen()
      expect(frame.split('\n')[0]).toMatch(/^syncflow sync \S+src → \S+dst \[(listing|syncing)\]/)
      expect(frame).toMatch(/\d+\/\d+\+? files/)
      expect(frame).toMatch(/copied \d+/)
      expect(frame).toMatch(/files\/s/)
      for (const line of frame.split('\n')) expect(line.length).toBeLessThanOrEqual(80)

      tmux('send-keys', '-t', session, 'p')
      await expect.poll(screen, { timeout: 10_000 }).toContain('[PAUSED]')
      // Running transfers finish; those the engine starts next wait at the pause gate (before any
      // I/O): shown as waiting, not in flight, and no ETA.
      await expect.poll(screen, { timeout: 10_000 }).toMatch(/In flight \(0\) · [1-9]\d* waiting for resume/)
      expect(screen()).toMatch(/% +paused\n/)
      expect(screen()).not.toContain('ETA')
      tmux('send-keys', '-t', session, '?')
      await expect.poll(screen, { timeout: 10_000 }).toContain('pause / resume')
      tmux('send-keys', '-t', session, 'Escape')
      tmux('send-keys', '-t', session, 'p')
      await expect.poll(screen, { timeout: 10_000 }).not.toContain('[PAUSED]')

      tmux('send-keys', '-t', session, 'q')
      await expect.poll(screen, { timeout: 20_000 }).toContain('EXIT=130')
      expect(screen()).toContain('[interrupted]')
      // What was copied is complete; a re-run finishes the job.
      const again = await runCli(['sync', src, dst], { env: { SYNCFLOW_STATE_DIR: join(root, 'state') } })
      expect(again.code, again.stderr).toBe(0)
      expect(await readTree(dst)).toEqual(await readTree(src))
    })

    // QA 31a: Ctrl-Z (a key in raw mode) did nothing; a `kill -TSTP` left the shell's prompt with no
    // cursor, and after `fg` the terminal stayed in the shell's cooked mode: `p` and `q` did nothing
    // until Enter. Run from an interactive shell, which has job control (Stopped, fg).
    it('Ctrl-Z suspends it with the cursor shown, and after fg its keys work again', async () => {
      const root = await tempDir()
      const src = join(root, 'src')
      const dst = join(root, 'dst-suspend')
      await writeTree(
        src,
        Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f-${i}.bin`, new Uint8Array(128 * 1024).fill(i)])),
      )
      tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', 'bash --norc --noprofile -i')
      const command = uiCommand(root, src, dst, '--bwlimit 512k --concurrency 4').join(' ')
      tmux('send-keys', '-t', session, command, 'Enter')
      await expect.poll(screen, { timeout: 20_000 }).toMatch(/In flight \([1-9]\d*\)/)
      const cursorShown = (): string => tmux('display', '-p', '-t', session, '#{cursor_flag}').trim()
      expect(cursorShown()).toBe('0')

      tmux('send-keys', '-t', session, 'C-z')
      await expect.poll(screen, { timeout: 10_000 }).toMatch(/Stopped/)
      expect(cursorShown()).toBe('1')

      // A stopped job's list is abandoned by bash: `fg` gives its exit code.
      tmux('send-keys', '-t', session, 'fg; echo "EXIT=$?"', 'Enter')
      // The frame drawn anew over the shell's lines.
      await expect.poll(screen, { timeout: 10_000 }).not.toMatch(/Stopped/)
      expect(screen()).toMatch(/^syncflow sync /)
      expect(cursorShown()).toBe('0')
      tmux('send-keys', '-t', session, 'p')
      await expect.poll(screen, { timeout: 10_000 }).toContain('[PAUSED]')
      tmux('send-keys', '-t', session, 'q')
      await expect.poll(screen, { timeout: 20_000 }).toContain('EXIT=130')
      expect(cursorShown()).toBe('1')
    })

    // QA: Ink redraws at once on a resize, with the frame React laid out for the old width: its lines
    // wrapped, and pieces of old frames stayed above the new one.
    it('narrowed while watching, shows the new frame alone: no piece of an old one', async () => {
      const root = await tempDir()
      const src = join(root, 'src')
      const dst = join(root, 'dst-resize')
      await writeTree(src, { 'a.txt': 'a' })
      startUi(root, src, dst, '--watch')
      await expect.poll(screen, { timeout: 20_000 }).toMatch(/#1 /)
      tmux('resize-window', '-t', session, '-x', '50', '-y', '20')
      await writeTree(src, { 'b.txt': 'b' })
      await expect.poll(screen, { timeout: 20_000 }).toMatch(/copied 2/)
      const lines = screen()
        .split('\n')
        .filter((l) => l.trim() !== '')
      expect(lines.filter((l) => l.includes('syncflow watch'))).toHaveLength(1)
      // Above the frame, only the cycles' lines.
      const header = lines.findIndex((l) => l.startsWith('syncflow watch'))
      expect(lines.slice(0, header).filter((l) => !/^\d\d:\d\d:\d\d #\d+ /.test(l))).toEqual([])
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(50)
    })

    // One config file serves all of a job's commands: its "json": true (for the job's scripted
    // `sync`) is left out of `ui`, as another command's key is, not a reason to refuse the UI.
    it('a config file\'s "json": true does not stop the UI; --json on the command line still does', async () => {
      const root = await tempDir()
      const src = join(root, 'src')
      await writeTree(src, { 'a.txt': 'a' })
      const config = join(root, 'job.json')
      await writeFile(config, '{"json": true}')
      startUi(root, src, join(root, 'dst'), '--config', q(config), '-v')
      await expect.poll(screen, { timeout: 20_000 }).toMatch(/\[done\]/)
      expect(screen()).not.toContain('--json does not apply')
      tmux('send-keys', '-t', session, 'q')
      await expect.poll(screen, { timeout: 10_000 }).toContain('EXIT=0')
      expect(await readTree(join(root, 'dst'))).toEqual(await readTree(src))
      spawnSync('tmux', ['-L', socket, 'kill-session', '-t', session])
      startUi(root, src, join(root, 'dst2'), '--json')
      await expect.poll(screen, { timeout: 20_000 }).toContain('EXIT=2')
      expect(screen()).toContain('--json does not apply')
    })

    // QA 27a: `sync` gives the target root the source root's mode and mtime once its run is done
    // (rsync -a SRC/ DST); `ui` did not, so a 0700 source left its existing 0755 copy listable by
    // everyone, and `check` said "1 dir mode to set" after a run that said done.
    it("gives the target root the source root's mode and mtime once the run is done, as sync does", async () => {
      const root = await tempDir()
      const src = join(root, 'src')
      const dst = join(root, 'dst-root')
      await writeTree(src, { 'key.txt': 'secret' })
      await chmod(src, 0o700)
      await utimes(src, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'))
      await mkdir(dst)
      await chmod(dst, 0o755)
      startUi(root, src, dst)
      await expect.poll(screen, { timeout: 20_000 }).toContain('EXIT=0')
      const st = await stat(dst)
      expect((st.mode & 0o7777).toString(8)).toBe('700')
      expect(st.mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z')
      expect((await runCli(['check', src, dst])).code).toBe(0)
    })

    // As `sync` leaves it: a source found empty (an unmounted disk's mount point) keeps the target's
    // files, and its root's mode and mtime too; `ui` gave the root the empty source's.
    it("leaves the target root's mode and mtime as they were after a source found empty", async () => {
      const root = await tempDir()
      const src = join(root, 'src-empty')
      const dst = join(root, 'dst-kept')
      await mkdir(src)
      await chmod(src, 0o700)
      await writeTree(dst, { 'keep.txt': 'kept' })
      await chmod(dst, 0o755)
      await utimes(dst, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'))
      startUi(root, src, dst)
      await expect.poll(screen, { timeout: 20_000 }).toContain('EXIT=1')
      expect(screen()).toContain('EMPTY_SOURCE')
      const st = await stat(dst)
      expect((st.mode & 0o7777).toString(8)).toBe('755')
      expect(st.mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z')
      expect(await readTree(dst)).toEqual({ 'keep.txt': 'kept' })
    })

    // `bisync` leaves both roots as they are (its sides are peers); `ui --bisync` gave B A's mode.
    it("with --bisync leaves B's root mode as it is, as bisync does", async () => {
      const root = await tempDir()
      const a = join(root, 'a')
      const b = join(root, 'b')
      await writeTree(a, { 'x.txt': 'x' })
      await chmod(a, 0o700)
      await mkdir(b)
      await chmod(b, 0o755)
      startUi(root, a, b, '--bisync')
      await expect.poll(screen, { timeout: 20_000 }).toContain('EXIT=0')
      expect(await readTree(b)).toEqual({ 'x.txt': 'x' })
      expect(((await stat(b)).mode & 0o7777).toString(8)).toBe('755')
    })

    it('after a run with failures, its last screen waits for q, yet SIGTERM ends it (exit 1, not a process left behind)', async () => {
      const root = await tempDir()
      const src = join(root, 'src')
      const dst = join(root, 'dst-sigterm')
      // A name no backend takes (a tab): one failed item, so the last screen waits for q.
      await writeTree(src, { 'ok.txt': 'fine', 'bad\tname.txt': 'refused' })
      startUi(root, src, dst)
      await expect.poll(screen, { timeout: 20_000 }).toMatch(/q: quit/)
      expect(screen()).not.toContain('EXIT=')
      // The newest process naming dst: node, not the shell that runs it (whose command line names it too).
      const pid = spawnSync('pgrep', ['-n', '-f', dst], { encoding: 'utf8' }).stdout.trim()
      expect(pid).toMatch(/^\d+$/)
      process.kill(Number(pid), 'SIGTERM')
      await expect.poll(screen, { timeout: 10_000 }).toContain('EXIT=1')
    })
  },
)

describe('syncflow ui without a terminal', () => {
  beforeAll(() => buildCli())
  it('says it needs a terminal and suggests sync (exit 2)', async () => {
    const root = await tempDir()
    const r = await runCli(['ui', join(root, 'a'), join(root, 'b')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/needs a terminal/)
    expect(r.stderr).toContain('syncflow sync')
  })

  it('suggests watch for --watch, with every other flag kept as given', async () => {
    const r = await runCli(
      ['ui', '--watch', '--mode', 'copy', '--exclude', '*.tmp', '--debounce', '500', 'u2/src', 'u2/dst'],
      { cwd: await tempDir() },
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      "Run `syncflow watch --mode copy --exclude '*.tmp' --debounce 500 u2/src u2/dst` instead",
    )
  })

  it('suggests sync with --dry-run kept and a path with a space quoted', async () => {
    const r = await runCli(['ui', '--dry-run', '--checksum', 'u2/src dir', 'u2/dst'], { cwd: await tempDir() })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("Run `syncflow sync --dry-run --checksum 'u2/src dir' u2/dst` instead")
  })
})
