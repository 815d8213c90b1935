import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  readTree,
  startCli,
  tempDir,
  writeTree,
} from '../helpers/cli.js'

// `watch --backup-dir`: each cycle keeps what it replaces or deletes. A watch hands the engine a
// view of its target (a proxy), which the local backend's hard link must see through.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

describe('syncflow watch --backup-dir', () => {
  it('keeps the old file of each update and delete as the changes come', async () => {
    const root = await tempDir('syncflow-watch-backup-')
    const [src, dst, bak] = [join(root, 'src'), join(root, 'dst'), join(root, 'bak')]
    await mkdir(src)
    await writeTree(src, { f: 'v1', g: 'to delete' })
    const r = startCli(['watch', src, dst, '--backup-dir', bak, '--json'], {
      env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
    })
    running.push(r)
    await expect.poll(() => readTree(dst), { timeout: 20_000 }).toEqual({ f: 'v1', g: 'to delete' })
    await writeTree(src, { f: 'version 2' })
    await rm(join(src, 'g'))
    await expect.poll(() => readTree(bak), { timeout: 10_000 }).toEqual({ f: 'v1', g: 'to delete' })
    // Each old file is kept before it is replaced or deleted: DST is done a moment after BAK.
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ f: 'version 2' })
    expect(jsonLines(r).filter((e) => e.type === 'failed')).toEqual([])
  })

  // The --backup-dir inside the target is pinned to the directory checked at the start: once the
  // target was renamed away and made anew, every later cycle failed to keep its old files there
  // ("no longer the directory checked when the run began"), its updates held back, until restarted.
  it('keeps on keeping into the --backup-dir inside a target that was renamed away and made anew', async () => {
    const root = await tempDir('syncflow-watch-backup-moved-')
    const [src, dst] = [join(root, 'src'), join(root, 'dst')]
    await mkdir(src)
    await writeTree(src, { f: 'v1' })
    const r = startCli(['watch', src, dst, '--backup-dir', join(dst, '.old'), '--exclude', '/.old', '--json'], {
      env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
    })
    running.push(r)
    await expect.poll(() => readTree(dst), { timeout: 20_000 }).toEqual({ f: 'v1' })
    await writeTree(src, { f: 'v2' })
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ f: 'v2', '.old/f': 'v1' })
    await rename(dst, join(root, 'dst.moved'))
    await mkdir(dst)
    await writeTree(src, { f: 'v3' })
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ f: 'v3' })
    // The next update is kept in the new target's .old; the old one's is left as it was.
    await writeTree(src, { f: 'v4' })
    await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ f: 'v4', '.old/f': 'v3' })
    expect(await readTree(join(root, 'dst.moved'))).toEqual({ f: 'v2', '.old/f': 'v1' })
    expect(jsonLines(r).filter((e) => e.type === 'failed')).toEqual([])
  })
})
