import { mkdir, rm } from 'node:fs/promises'
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
    expect(await readTree(dst)).toEqual({ f: 'version 2' })
    expect(jsonLines(r.stdout()).filter((e) => e.type === 'failed')).toEqual([])
  })
})
