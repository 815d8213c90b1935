import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, expect } from 'vitest'

/** The repository root and the built binary the tests run, as a user would. */
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
export const BIN = join(REPO, 'packages/cli-tui/dist/bin.js')

let built = false
/**
 * Builds the CLI (and the packages it references) once per test file, as `npm run build` does: tsc,
 * then the bundle that dist/bin.js is (scripts/bundle.mjs; a second or so).
 */
export function buildCli(): void {
  if (built) return
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/cli-tui'], { cwd: REPO, stdio: 'pipe', encoding: 'utf8' })
    execFileSync(process.execPath, ['packages/cli-tui/scripts/bundle.mjs'], {
      cwd: REPO,
      stdio: 'pipe',
      encoding: 'utf8',
    })
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string }
    throw new Error(`building the CLI failed:\n${stdout ?? ''}${stderr ?? ''}`)
  }
  built = true
}

/** The result of one run of the binary. */
export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Options of `runCli`/`startCli`. */
export interface CliOptions {
  readonly cwd?: string
  /** Extra environment (SYNCFLOW_STATE_DIR is the one that matters). */
  readonly env?: Record<string, string>
  /** Run as this user and group (from root: a user permissions apply to). */
  readonly uid?: number
  readonly gid?: number
  /** Run under this open-files limit (`ulimit -n`, soft and hard alike), through `sh`. */
  readonly openFiles?: number
  /**
   * A shell script to run instead of the binary, given node as `$0` and the binary as `$1` (the
   * arguments after them): for what a spawn cannot pass, such as arguments that are not UTF-8.
   */
  readonly script?: string
}

function env(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', ...extra }
}

/** A running binary, with its output collected so far. */
export interface RunningCli {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves when the process has exited and its output is all read (its pipes closed). */
  readonly exited: Promise<CliResult>
  /** True once `exited` has resolved: `stdout()` and `stderr()` are then complete. */
  readonly closed: () => boolean
}

/**
 * The processes a test file starts and pushes here are killed after each test (a watch or a serve
 * left running would outlive a failed test). Call at the top level of the file.
 */
export function killedAfterEach(): RunningCli[] {
  const running: RunningCli[] = []
  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.child.kill('SIGKILL')
      await r.exited.catch(() => {})
    }
  })
  return running
}

/**
 * Starts `syncflow serve --root ROOT` on a free loopback port and resolves once it listens, with
 * the running server (push it to a `killedAfterEach` list) and its port.
 */
export async function startServe(
  root: string,
  opts: CliOptions = {},
  /** More flags of `serve` (`--read-only`). */
  args: readonly string[] = [],
): Promise<{ server: RunningCli; port: number }> {
  const server = startCli(['serve', '--root', root, '--listen', '127.0.0.1:0', ...args], opts)
  const listening = /serving .* at grpc:\/\/127\.0\.0\.1:(\d+)\//
  try {
    await expect.poll(() => server.stderr(), { timeout: 20_000 }).toMatch(listening)
  } catch (err) {
    server.child.kill('SIGKILL')
    throw err
  }
  return { server, port: Number(listening.exec(server.stderr())![1]) }
}

/**
 * Starts `syncflow serve --root ROOT` again on `port` (one a server of the test had: the same
 * address is the point) and resolves once it listens. Each server started is pushed to `running`
 * (a `killedAfterEach` list). The port was free when that server ended, but another process may
 * hold it a moment (an outgoing connection's local port comes from the same range as a port the OS
 * picks): refused with "the port is in use", it is started again, until it listens (20 s).
 */
export async function serveAgain(
  root: string,
  port: number,
  running: RunningCli[],
  opts: CliOptions = {},
): Promise<RunningCli> {
  const listening = new RegExp(`serving .* at grpc://127\\.0\\.0\\.1:${port}/`)
  const deadline = Date.now() + 20_000
  for (;;) {
    const server = startCli(['serve', '--root', root, '--listen', `127.0.0.1:${port}`], opts)
    running.push(server)
    await expect.poll(() => listening.test(server.stderr()) || server.closed(), { timeout: 20_000 }).toBe(true)
    if (listening.test(server.stderr())) return server
    const { code, stderr } = await server.exited
    if (!/the port is in use/.test(stderr) || Date.now() > deadline) {
      throw new Error(`syncflow serve on port ${port} did not start (exit ${code}): ${stderr}`)
    }
  }
}

/** Starts the binary without waiting for it (for signals and concurrent runs). */
export function startCli(args: readonly string[], opts: CliOptions = {}): RunningCli {
  const script =
    opts.script ?? (opts.openFiles !== undefined ? `ulimit -n ${opts.openFiles} && exec "$0" "$@"` : undefined)
  const command: [string, string[]] =
    script === undefined ? [process.execPath, [BIN, ...args]] : ['sh', ['-c', script, process.execPath, BIN, ...args]]
  const child = spawn(...command, {
    cwd: opts.cwd ?? REPO,
    env: env(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  })
  let out = ''
  let err = ''
  let closed = false
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s
  })
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    // 'close', not 'exit': 'exit' may come before the pipes are drained, and lose the output's end.
    child.on('close', (code, signal) => {
      closed = true
      resolve({ code, signal, stdout: out, stderr: err })
    })
  })
  return { child, stdout: () => out, stderr: () => err, exited, closed: () => closed }
}

/** Runs the binary to completion. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).exited
}

/**
 * The NDJSON lines of a --json run, parsed (throws on a line that is not JSON). Given a running
 * binary, the lines it has printed so far: only the complete ones while it runs (a pipe read can end
 * in the middle of a line, whose rest comes with the next read), every one once its output is closed.
 */
export function jsonLines(output: string | RunningCli): { type: string; [k: string]: unknown }[] {
  let stdout = typeof output === 'string' ? output : output.stdout()
  if (typeof output !== 'string' && !output.closed()) stdout = stdout.slice(0, stdout.lastIndexOf('\n') + 1)
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { type: string })
}

/** A fresh temporary directory; `cleanup` removes every one made. */
const made: string[] = []
export async function tempDir(prefix = 'syncflow-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })))
}

/** What stderr says when a CLI run with `drainedEnv()` ends by itself (see there). */
export const EVENT_LOOP_EMPTY = '[event loop empty]'

/**
 * The environment of a CLI run whose stderr says EVENT_LOOP_EMPTY when its event loop empties:
 * only when the process ends by itself, never when bin.js's 3 s exit safety net ends it with
 * process.exit() (a handle left open: a connect, a call). No timing involved.
 */
export async function drainedEnv(): Promise<Record<string, string>> {
  const preload = join(await tempDir(), 'drained.cjs')
  await writeFile(
    preload,
    `process.on('beforeExit', () => process.stderr.write(${JSON.stringify(`${EVENT_LOOP_EMPTY}\n`)}))\n`,
  )
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(preload)}` }
}

/** Writes files (path → content) below `root`, creating directories. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = join(root, rel)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, content)
  }
}

/** Every file below `root` (path → content as text), directories omitted; {} for a missing root. */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return
    }
    for (const name of names.sort()) {
      const full = join(dir, name)
      const rel = prefix ? `${prefix}/${name}` : name
      if ((await stat(full)).isDirectory()) await walk(full, rel)
      else out[rel] = await readFile(full, 'latin1')
    }
  }
  await walk(root, '')
  return out
}

/** Files below `root` with size and mtime, to prove a run changed nothing. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return
    }
    for (const name of names.sort()) {
      const full = join(dir, name)
      const rel = prefix ? `${prefix}/${name}` : name
      const st = await stat(full)
      out[rel] = `${st.isDirectory() ? 'dir' : 'file'} ${st.size} ${st.mtimeMs}`
      if (st.isDirectory()) await walk(full, rel)
    }
  }
  await walk(root, '')
  return out
}

/** A usage mistake: exit 2, one clear message on stderr, nothing on stdout, no stack trace. */
export function expectUsageError(
  r: { code: number | null; stdout: string; stderr: string },
  ...mentions: string[]
): void {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  expect(r.stderr).toMatch(/^syncflow: /)
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  for (const m of mentions) expect(r.stderr).toContain(m)
}

/** How `r` exited, if it did within `ms`; undefined if it was still running then. */
export async function exitedWithin(r: RunningCli, ms: number): Promise<Awaited<RunningCli['exited']> | undefined> {
  let late: NodeJS.Timeout | undefined
  const exited = await Promise.race([
    r.exited,
    new Promise<undefined>((done) => {
      late = setTimeout(() => done(undefined), ms)
    }),
  ])
  clearTimeout(late)
  return exited
}
