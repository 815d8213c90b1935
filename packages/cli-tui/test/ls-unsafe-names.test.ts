import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, runCli, tempDir } from './helpers/cli.js'

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

// A plugin whose list() yields names that are no RelPath, as a backend that skipped checklist
// item 2 does (its storage holds such keys: an object store, a tampered index file).
const UNSAFE_PLUGIN = `import { Readable } from 'node:stream'
const NAMES = ['../escape.txt', '/abs.txt', 'a//b', 'ok.txt']
const entry = (path) => ({ path, kind: 'file', size: 2, mtimeMs: 1600000000000 })
class Unsafe {
  uri = 'unsafe://x'
  capabilities = { hashes: [], mtimePrecisionMs: 1, listMtime: true, emptyDirs: false, symlinks: false,
    permissions: false, caseSensitive: true, watch: 'none' }
  async *list() { for (const n of NAMES) yield entry(n) }
  async stat(p) { return NAMES.includes(p) ? entry(p) : undefined }
  async read() { return Readable.from([Buffer.from('hi')]) }
  async write() { throw new Error('read-only') }
  async remove() {}
  async close() {}
  async rootExists() { return true }
}
export default { name: 'unsafe', schemes: ['unsafe'], open: () => new Unsafe() }
`

// QA 30c: ls printed a plugin's "../escape.txt" and "/abs.txt" as entries, exit 0 (the --json
// contract is one Entry, whose path is a RelPath, a line: a script joining them to a directory
// leaves it), where sync and check report each as INVALID_PATH and take none of them.
describe('ls of a plugin that lists unsafe names', () => {
  it('reports each as INVALID_PATH on stderr, lists only the safe ones, exit 1', async () => {
    const root = await tempDir('syncflow-ls-unsafe-')
    await writeFile(join(root, 'unsafe.mjs'), UNSAFE_PLUGIN)
    for (const json of [true, false]) {
      const r = await runCli(['ls', 'unsafe://x', '--plugin', './unsafe.mjs', ...(json ? ['--json'] : [])], {
        cwd: root,
        env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
      })
      expect(r.code, r.stderr).toBe(1)
      const lines = r.stdout.split('\n').filter((l) => l !== '')
      expect(lines).toHaveLength(1)
      if (json) expect(JSON.parse(lines[0]!)).toMatchObject({ path: 'ok.txt' })
      else expect(lines[0]).toMatch(/ ok\.txt$/)
      for (const name of ['../escape.txt', '/abs.txt', 'a//b']) {
        expect(r.stderr).toContain(`INVALID_PATH: list (${name}): unsafe name ${JSON.stringify(name)} skipped`)
      }
    }
  })
})
