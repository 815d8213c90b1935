import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, readTree, runCli, tempDir, writeTree } from './helpers/cli.js'

// Standard output that cannot be written for another reason than its reader going away: `> file`
// on a full disk, which /dev/full is (every write fails ENOSPC). The write error was rethrown by the
// stream's error handler: a stack trace and exit 1 from the first --json event, the run cut short.
const toFull = 'exec "$0" "$@" > /dev/full'

describe.skipIf(!existsSync('/dev/full'))('standard output on a full disk', () => {
  beforeAll(buildCli, 120_000)
  afterAll(cleanupTempDirs)

  it('sync --json runs to the end and says once on stderr that its output was dropped, with no stack trace', async () => {
    const dir = await tempDir()
    const src = join(dir, 'src')
    const dst = join(dir, 'dst')
    await writeTree(src, { 'a.txt': 'a', 'sub/b.txt': 'bb' })
    const r = await runCli(['sync', '--json', src, dst], {
      script: toFull,
      env: { SYNCFLOW_STATE_DIR: join(dir, 'state') },
    })
    expect(r.stderr).toContain('syncflow: cannot write to standard output: ENOSPC')
    expect(r.stderr.match(/cannot write to standard output/g)).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\n\s+at |node:internal|Node\.js v/)
    expect(r.code).toBe(0)
    expect(await readTree(dst)).toEqual({ 'a.txt': 'a', 'sub/b.txt': 'bb' })
  })

  it('ls exits 2 (its listing was not delivered), with one message and no stack trace', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'a.txt': 'a', 'b.txt': 'b' })
    const r = await runCli(['ls', dir], { script: toFull })
    expect(r.stderr).toContain('syncflow: cannot write to standard output: ENOSPC')
    expect(r.stderr).not.toMatch(/\n\s+at |node:internal|Node\.js v/)
    expect(r.code).toBe(2)
  })
})
