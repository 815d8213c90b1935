import { existsSync } from 'node:fs'
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  runCli,
  startCli,
  tempDir,
  writeTree,
} from '../helpers/cli.js'

// QA 35 #1: `watch -n SRC DST` says what a real watch would do to DST's root as `sync -n` says it:
// `mkdir .` for a target that does not exist (it said nothing of it), `touch .` for a root whose
// mtime a watch would set. Once, before the first cycle, counted in that cycle's `done` and the last.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

type Done = { type: 'done'; cycle?: number; summary: { mode: string; planned: Record<string, number> } }

/** `watch -n --json SRC DST` until its first cycle is done, then SIGINT: its events. */
async function dryWatch(src: string, dst: string, env: Record<string, string>) {
  const r = startCli(['watch', '-n', '--json', src, dst], { env })
  running.push(r)
  await expect.poll(() => jsonLines(r).some((e) => e.type === 'done'), { timeout: 20_000 }).toBe(true)
  r.child.kill('SIGINT')
  const end = await r.exited
  expect(end.code, end.stderr).toBe(130)
  return jsonLines(end.stdout)
}

describe('watch -n and the target root', () => {
  it('says `mkdir .` for a target that does not exist, as sync -n does, and counts it once', async () => {
    const root = await tempDir('syncflow-watch-dry-root-')
    const src = join(root, 'src')
    const dst = join(root, 'not', 'there')
    await writeTree(src, { a: 'a', 'sub/b': 'b' })
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }

    const sync = await runCli(['sync', '-n', '--json', src, dst], { env })
    const syncDone = jsonLines(sync.stdout).at(-1) as Done
    const events = await dryWatch(src, dst, env)

    expect(events[0]).toMatchObject({ type: 'planned', action: { kind: 'mkdir', path: '' } })
    const rootEvents = events.filter((e) => (e as { action?: { path: string } }).action?.path === '')
    expect(rootEvents.map((e) => e.type)).toEqual(['planned', 'started', 'completed'])
    const dones = events.filter((e) => e.type === 'done') as Done[]
    const first = dones.find((d) => d.cycle === 1)
    expect(first?.summary.planned).toEqual(syncDone.summary.planned)
    expect(dones.at(-1)?.summary).toMatchObject({ mode: 'watch', planned: syncDone.summary.planned })
    expect(syncDone.summary.planned.mkdir).toBe(2)
    expect(existsSync(dst)).toBe(false)

    // The human log says it as `sync -n` does (stdout is not a terminal: one line per action).
    const r = startCli(['watch', '-n', src, dst], { env })
    running.push(r)
    await expect.poll(() => r.stderr(), { timeout: 20_000 }).toContain('initial sync:')
    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.stdout.split('\n')[0]).toBe('would mkdir  .')
    expect(end.stderr).toContain('initial sync: would copy 2, create 2')
  })

  it('says `touch .` for a root whose mtime differs, as sync -n does', async () => {
    const root = await tempDir('syncflow-watch-dry-root-')
    const src = join(root, 'src')
    const dst = join(root, 'dst')
    await writeTree(src, { a: 'a' })
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
    expect((await runCli(['sync', src, dst], { env })).code).toBe(0)
    await utimes(src, new Date('2020-01-01'), new Date('2020-01-01'))

    const sync = jsonLines((await runCli(['sync', '-n', '--json', src, dst], { env })).stdout)
    expect(sync[0]).toMatchObject({ type: 'planned', action: { kind: 'touch', path: '' } })
    const events = await dryWatch(src, dst, env)
    expect(events[0]).toMatchObject({ type: 'planned', action: { kind: 'touch', path: '' } })
    const first = events.find((e) => e.type === 'done') as Done
    expect(first.summary.planned.touch).toBe(1)
  })

  // QA 35: a real run said nothing of the root it made ("created 1 directory" where -n said 2).
  it('a real watch says `created .` for the target it made, counted in its first cycle, as -n says it', async () => {
    const root = await tempDir('syncflow-watch-dry-root-')
    const src = join(root, 'src')
    const dst = join(root, 'not', 'there')
    await writeTree(src, { a: 'a', 'sub/b': 'b' })
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
    const r = startCli(['watch', src, dst], { env })
    running.push(r)
    await expect.poll(() => r.stderr(), { timeout: 20_000 }).toContain('initial sync:')
    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.stdout.split('\n')[0]).toBe('created  .')
    expect(end.stderr).toContain('initial sync: 2 copied, 2 dirs created')
    expect(existsSync(join(dst, 'sub', 'b'))).toBe(true)
  })
})
