import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, REPO, runCli, tempDir } from './helpers/cli.js'

// QA 36: core loaded sqlite3 from its own place, though sqlite3 is @keyv/sqlite's dependency, not
// core's. Under a layout that hoists nothing (pnpm: each package sees only what it declares, linked
// into its own node_modules) there is none there, and every state store failed to open.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

/** Where the repository's install has `name` for the package at `dir`: nested below it, else hoisted. */
function installed(dir: string, name: string): string {
  const nested = join(dir, 'node_modules', name)
  return realpathSync(existsSync(nested) ? nested : join(REPO, 'node_modules', name))
}

/** The workspace folders below packages/ by package name. */
const WORKSPACE: Record<string, string> = {
  '@syncflow/core': 'core',
  '@syncflow/backend-local': 'backend-local',
  '@syncflow/backend-s3': 'backend-s3',
  '@syncflow/backend-grpc': 'backend-grpc',
  syncflow: 'cli-tui',
}

/**
 * Installs the workspace package `name` into `store` as pnpm does: the files it publishes, with
 * each of its dependencies (only those) linked into its own `node_modules`, the workspace ones
 * installed so in turn (outside the repository, whose hoisted `node_modules` would serve them).
 */
async function strictInstall(store: string, name: string, done = new Map<string, Promise<string>>()): Promise<string> {
  const memo = done.get(name)
  if (memo) return memo
  const install = (async () => {
    const from = join(REPO, 'packages', WORKSPACE[name] ?? name)
    const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as {
      files?: string[]
      dependencies?: Record<string, string>
    }
    const at = join(store, WORKSPACE[name] ?? name, 'node_modules', name)
    await mkdir(at, { recursive: true })
    await cp(join(from, 'package.json'), join(at, 'package.json'))
    for (const f of manifest.files ?? []) {
      if (f !== 'src' && existsSync(join(from, f))) await cp(join(from, f), join(at, f), { recursive: true })
    }
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      const link = join(at, 'node_modules', dep)
      await mkdir(dirname(link), { recursive: true })
      await symlink(dep in WORKSPACE ? await strictInstall(store, dep, done) : installed(from, dep), link)
    }
    return at
  })()
  done.set(name, install)
  return install
}

/** A project with `name` installed as pnpm does (`strictInstall`): the package's path in it. */
async function strictProject(prefix: string, name: string): Promise<{ project: string; at: string }> {
  const project = await tempDir(prefix)
  const at = join(project, 'node_modules', name)
  await mkdir(dirname(at), { recursive: true })
  await symlink(await strictInstall(join(project, 'node_modules', '.pnpm'), name), at)
  return { project, at }
}

describe('installed where nothing is hoisted (pnpm)', () => {
  it('@syncflow/core opens its SQLite state store through the sqlite3 of @keyv/sqlite', async () => {
    const { project, at } = await strictProject('syncflow-strict-core-', '@syncflow/core')
    // (No sqlite3 beside it, where a plain require from core would find one.)
    expect(existsSync(join(at, 'node_modules', 'sqlite3'))).toBe(false)
    await writeFile(
      join(project, 'open.mjs'),
      `import { openStateStore } from '@syncflow/core'
const store = await openStateStore(undefined, { jobId: 'strict', stateDir: process.argv[2] })
await store.close()
console.log('opened')
`,
    )
    const r = await runCli([], {
      script: `cd "${project}" && exec "$0" open.mjs "${join(project, 'state')}"`,
    })
    expect(`${r.stdout}${r.stderr}`).toBe('opened\n')
    expect(existsSync(join(project, 'state', 'strict.sqlite'))).toBe(true)
  })

  it('the syncflow binary keeps its state there too', async () => {
    const { project, at: cli } = await strictProject('syncflow-strict-cli-', 'syncflow')
    await mkdir(join(project, 'src'))
    await writeFile(join(project, 'src', 'a.txt'), 'a')
    const r = await runCli([], {
      script: `cd "${project}" && exec "$0" "${join(cli, 'dist', 'bin.js')}" sync src dst`,
      env: { SYNCFLOW_STATE_DIR: join(project, 'state') },
    })
    expect(r.stderr).not.toMatch(/state store|native module/)
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(join(project, 'dst', 'a.txt'), 'utf8')).toBe('a')
  })
})
