import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  expectUsageError,
  jsonLines,
  REPO,
  readTree,
  runCli,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// --plugin NAME_OR_PATH (design §8): a third-party backend used from the built binary. The plugin is
// examples/json-backend.mjs (a json:// tree in one JSON file), re-exported by small modules the
// tests write, as a user's own plugin file or an installed package would.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

const JSON_BACKEND = pathToFileURL(join(REPO, 'examples/json-backend.mjs')).href

let root: string
let src: string
let snapshot: string
/** Runs in `root` (so ./paths are relative to it) with a private state directory. */
const cli = (...args: string[]) => runCli(args, { cwd: root, env: { SYNCFLOW_STATE_DIR: join(root, 'state') } })

beforeEach(async () => {
  root = await tempDir('syncflow-plugin-')
  src = join(root, 'src')
  snapshot = `json://${join(root, 'snap.json')}`
  await writeTree(src, { 'a.txt': 'alpha\n', 'dir/b.txt': 'bravo\n' })
  // A user's plugin file: its default export is the plugin object.
  await writeFile(join(root, 'json-plugin.mjs'), `export { jsonBackend as default } from '${JSON_BACKEND}'\n`)
})

describe('--plugin PATH', () => {
  it('sync into a plugin scheme, then ls, check and sync back out of it', async () => {
    const into = await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')
    expect(into.code, into.stderr).toBe(0)
    const stored = JSON.parse(await readFile(join(root, 'snap.json'), 'utf8')) as { files: Record<string, unknown> }
    expect(Object.keys(stored.files).sort()).toEqual(['a.txt', 'dir/b.txt'])

    const ls = await cli('ls', snapshot, '--plugin', './json-plugin.mjs', '--json')
    expect(ls.code, ls.stderr).toBe(0)
    expect(jsonLines(ls.stdout).map((e) => (e as unknown as { path: string }).path)).toEqual(['a.txt', 'dir/b.txt'])

    const check = await cli('check', src, snapshot, '--plugin', './json-plugin.mjs')
    expect(check.code, check.stderr).toBe(0)

    const out = await cli('copy', snapshot, join(root, 'restored'), '--plugin', join(root, 'json-plugin.mjs'))
    expect(out.code, out.stderr).toBe(0)
    expect(await readTree(join(root, 'restored'))).toEqual(await readTree(src))
  })

  it('without the plugin, the scheme is unknown and the message says how to add one', async () => {
    expectUsageError(await cli('ls', snapshot), 'no backend for "json://"', '--plugin')
  })

  it('"plugins" in a --config file, a path relative to that file', async () => {
    const conf = join(root, 'conf')
    await mkdir(conf)
    await writeFile(join(conf, 'mine.mjs'), `export { jsonBackend } from '${JSON_BACKEND}'\n`)
    await writeFile(join(conf, 'job.json'), JSON.stringify({ plugins: ['./mine.mjs'] }))
    const r = await cli('sync', src, snapshot, '--config', join(conf, 'job.json'))
    expect(r.code, r.stderr).toBe(0)
    expect((await cli('ls', snapshot, '--config', join(conf, 'job.json'))).stdout).toContain('dir/b.txt')
  })
})

describe('--plugin NAME', () => {
  it("resolves a package from the current directory's node_modules (an ESM-only exports map)", async () => {
    const pkg = join(root, 'node_modules', 'syncflow-backend-json')
    await writeTree(pkg, {
      'package.json': JSON.stringify({
        name: 'syncflow-backend-json',
        type: 'module',
        exports: { '.': { import: './index.mjs' } },
      }),
      // Named exports: the plugin, and things that are not plugins.
      'index.mjs': `export { jsonBackend, createJsonBackend, JsonBackend } from '${JSON_BACKEND}'\n`,
    })
    const r = await cli('sync', src, snapshot, '--plugin', 'syncflow-backend-json')
    expect(r.code, r.stderr).toBe(0)
    expect((await cli('ls', snapshot, '--plugin', 'syncflow-backend-json')).stdout).toContain('a.txt')
  })

  it('a package that is installed nowhere is exit 2 saying where it looked and what to do', async () => {
    expectUsageError(
      await cli('ls', snapshot, '--plugin', 'syncflow-backend-nowhere'),
      'plugin syncflow-backend-nowhere: no package of that name',
      join(root, 'node_modules'),
      'npm install syncflow-backend-nowhere',
    )
  })
})

describe('a bad plugin is a usage error naming it (exit 2)', () => {
  const cases: [string, string, string[]][] = [
    ['a missing file', '', ['plugin ./bad.mjs: no such file']],
    ['a module that throws', "throw new Error('boom')\n", ['plugin ./bad.mjs could not be loaded: boom']],
    ['a module exporting no plugin', 'export const answer = 42\n', ['plugin ./bad.mjs exports no backend plugin']],
    [
      'a scheme of a built-in backend',
      "export default { name: 'evil', schemes: ['file'], open: async () => { throw new Error('never') } }\n",
      ['plugin ./bad.mjs ("evil") wants the scheme file://', 'built-in "local" backend'],
    ],
    [
      'a scheme written with ://',
      "export default { name: 'x', schemes: ['x://'], open: async () => { throw new Error('never') } }\n",
      ['"x://", which is not a URI scheme'],
    ],
  ]
  it.each(cases)('%s', async (_, body, mentions) => {
    if (body !== '') await writeFile(join(root, 'bad.mjs'), body)
    const r = await cli('sync', src, join(root, 'dst'), '--plugin', './bad.mjs', '--json')
    expect(r.code, r.stderr).toBe(2)
    // --json still ends with its done event, the reason in summary.fatal.
    const [done] = jsonLines(r.stdout)
    expect(done).toMatchObject({ type: 'done', summary: { fatal: { code: 'USAGE' } } })
    for (const m of mentions) expect(r.stderr).toContain(m)
    expect(await readTree(join(root, 'dst'))).toEqual({})
    expectUsageError(await cli('ls', src, '--plugin', './bad.mjs'), ...mentions)
  })

  it('two plugins claiming one scheme', async () => {
    await writeFile(
      join(root, 'other.mjs'),
      "export default { name: 'other', schemes: ['json'], open: async () => {} }\n",
    )
    expectUsageError(
      await cli('ls', snapshot, '--plugin', './json-plugin.mjs', '--plugin', './other.mjs'),
      'plugin ./other.mjs ("other") wants the scheme json://',
      'the plugin "json" (--plugin ./json-plugin.mjs) claims it too',
    )
  })
})
