import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, type RunningCli, readTree, startCli, tempDir, writeTree } from '../helpers/cli.js'

// `syncflow watch -n` as a user runs it: the built binary on two real temporary directories.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running: RunningCli[] = []
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.child.kill('SIGKILL')
    await r.exited.catch(() => {})
  }
})

describe('syncflow watch --dry-run', () => {
  it('says what its cycles would do, as sync -n does, and writes nothing', async () => {
    const root = await tempDir('syncflow-watch-dry-')
    const src = join(root, 'src')
    const dst = join(root, 'dst')
    await mkdir(src)
    await writeTree(src, { 'new.txt': 'only in SRC' })
    await writeTree(dst, { 'extra.txt': 'only in DST' })
    const r = startCli(['watch', '-n', src, dst], { env: { SYNCFLOW_STATE_DIR: join(root, 'state') } })
    running.push(r)
    await expect.poll(() => r.stderr(), { timeout: 20_000 }).toMatch(/initial sync: /)
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
