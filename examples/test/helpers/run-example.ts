import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root and the examples directory. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
export const EXAMPLES = join(REPO, 'examples')

let built = false
/**
 * Examples run with plain `node`, so they import the compiled packages: builds them once per
 * test file (a no-op when up to date).
 */
export function buildPackages(): void {
  if (built) return
  execFileSync('npx', ['tsc', '-b', 'packages/backend-local'], { cwd: REPO, stdio: 'pipe' })
  built = true
}

/** The result of one run of an example. */
export interface ExampleResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `examples/<script>` with `node` as a user would, in `cwd`, with its state under `stateDir`. */
export function runExample(
  script: string,
  args: readonly string[],
  opts: { cwd: string; stateDir: string },
): Promise<ExampleResult> {
  const child = spawn(process.execPath, [join(EXAMPLES, script), ...args], {
    cwd: opts.cwd,
    env: { ...process.env, SYNCFLOW_STATE_DIR: opts.stateDir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `syncflow-examples-${prefix}-`))
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) }
}

/** A file of a test tree: its content and (optionally) its mtime in ms. */
export type TreeSpec = Readonly<Record<string, string | Buffer | { content: string | Buffer; mtimeMs: number }>>

/** Writes a tree of files under `root` (mtimes default to a fixed past time). */
export async function writeTree(root: string, spec: TreeSpec): Promise<void> {
  for (const [rel, value] of Object.entries(spec)) {
    const file = join(root, rel)
    const { content, mtimeMs } =
      typeof value === 'string' || Buffer.isBuffer(value) ? { content: value, mtimeMs: 1_700_000_000_000 } : value
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, content)
    await utimes(file, mtimeMs / 1000, mtimeMs / 1000)
  }
}

/** One file of a tree as read back: size, whole-second mtime, sha256 of the content. */
export interface FileFacts {
  readonly size: number
  readonly mtimeS: number
  readonly sha256: string
}

/** Every regular file below `root` (relative `/`-paths), with its facts. */
export async function readTree(root: string): Promise<Record<string, FileFacts>> {
  const out: Record<string, FileFacts> = {}
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const full = join(dir, name)
      const rel = prefix === '' ? name : `${prefix}/${name}`
      const st = await lstat(full)
      if (st.isDirectory()) await walk(full, rel)
      else if (st.isFile()) {
        const data = await readFile(full)
        out[rel] = {
          size: st.size,
          mtimeS: Math.floor(st.mtimeMs / 1000),
          sha256: createHash('sha256').update(data).digest('hex'),
        }
      }
    }
  }
  await walk(root, '')
  return out
}

/** `tree` without the given paths. */
export function without(tree: Record<string, FileFacts>, ...paths: string[]): Record<string, FileFacts> {
  return Object.fromEntries(Object.entries(tree).filter(([p]) => !paths.includes(p)))
}
