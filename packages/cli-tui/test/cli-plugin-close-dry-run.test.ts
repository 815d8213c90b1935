import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, REPO, runCli, tempDir, writeTree } from './helpers/cli.js'

// Plugin-API review: a plugin target whose close() fails (where a backend that batches its writes, a
// SQLite or JSON store, commits them) was ignored: the run said "Done … copied 2 files" and exited
// 0, although what it wrote may be lost. The failure must be said, and the exit code not be 0.
beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

const JSON_BACKEND = pathToFileURL(join(REPO, 'examples/json-backend.mjs')).href

describe('--plugin target whose close() fails', () => {
  it('is reported, and the run does not exit 0', async () => {
    const root = await tempDir('syncflow-plugin-close-')
    await writeTree(join(root, 'src'), { 'a.txt': 'alpha\n', 'dir/b.txt': 'bravo\n' })
    await writeFile(
      join(root, 'closing.mjs'),
      `import { jsonBackend } from '${JSON_BACKEND}'
export default { name: 'closing', schemes: ['json'], async open(uri) {
  const b = await jsonBackend.open(uri)
  b.close = async () => { throw new Error('could not commit the transaction') }
  return b
} }
`,
    )
    const run = await runCli(
      ['sync', join(root, 'src'), `json://${join(root, 'snap.json')}`, '--plugin', './closing.mjs'],
      {
        cwd: root,
        env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
      },
    )
    expect(run.stderr + run.stdout).toMatch(/could not commit the transaction/)
    expect(run.code, run.stderr).not.toBe(0)
  }, 60_000)
})

// Plugin-API review: OpenOptions.dryRun is "the run writes nothing: backends must not clean up
// either", and `sync -n` passes it, but `check` and `ls` (which write nothing either) opened a
// plugin with {}: a plugin that cleans up or creates its root in open() unless dryRun changed the
// target of a `check`.
describe('--plugin opened by a command that writes nothing', () => {
  it('check and ls open it with dryRun: true, as sync -n does', async () => {
    const root = await tempDir('syncflow-plugin-close-')
    await writeTree(join(root, 'src'), { 'a.txt': 'alpha\n' })
    await writeFile(
      join(root, 'opts.mjs'),
      `import { jsonBackend } from '${JSON_BACKEND}'
export default { name: 'opts', schemes: ['json'], async open(uri, options) {
  process.stderr.write('OPEN ' + JSON.stringify(options) + '\\n')
  return jsonBackend.open(uri, options)
} }
`,
    )
    const snap = `json://${join(root, 'snap.json')}`
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
    const opened = (stderr: string) =>
      stderr
        .split('\n')
        .filter((l) => l.startsWith('OPEN '))
        .map((l) => JSON.parse(l.slice(5)) as { dryRun?: boolean })
    const dry = await runCli(['sync', '-n', join(root, 'src'), snap, '--plugin', './opts.mjs'], { cwd: root, env })
    expect(opened(dry.stderr).map((o) => o.dryRun)).toEqual([true])
    const check = await runCli(['check', join(root, 'src'), snap, '--plugin', './opts.mjs'], { cwd: root, env })
    expect(check.code, check.stderr).toBe(1)
    expect(opened(check.stderr).map((o) => o.dryRun)).toEqual([true])
    const ls = await runCli(['ls', snap, '--plugin', './opts.mjs'], { cwd: root, env })
    expect(opened(ls.stderr).map((o) => o.dryRun)).toEqual([true])
  }, 60_000)
})
