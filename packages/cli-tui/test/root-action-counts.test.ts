import { mkdir, utimes } from 'node:fs/promises'
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
} from './helpers/cli.js'

// Review 36: the CLI says the target root's own action (`mkdir .` of a missing root, `touch .` of
// an existing one) around the engine, and counted it in `done` but not in the engine's `stats`: a
// real sync into a missing target said 3 planned in its last `stats` where its `done` said 4.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

type Event = { type: string; [k: string]: unknown }
type Counts = Record<string, number>
type Stats = { filesPlanned: number; filesDone: number; queued: number; inFlight: number; failed: number }

const sum = (counts: Counts): number => Object.values(counts).reduce((a, b) => a + b, 0)

/**
 * Every count of the run (or the first cycle) that `events` end with, by where it is said: the
 * planned and completed events, the last `stats` before the `done`, and the `done`'s summary.
 */
function counts(events: readonly Event[]) {
  const end = events.findIndex((e) => e.type === 'done')
  expect(end, 'a done event').toBeGreaterThan(0)
  const run = events.slice(0, end)
  const done = events[end] as unknown as { summary: { planned: Counts; done: Counts } }
  const stats = run.filter((e) => e.type === 'stats').at(-1) as unknown as Stats | undefined
  expect(stats, 'a stats event before the done').toBeDefined()
  const { skip: _skipped, ...planned } = done.summary.planned
  return {
    plannedEvents: run.filter((e) => e.type === 'planned' && (e.action as { kind: string }).kind !== 'skip').length,
    statsPlanned: stats?.filesPlanned,
    summaryPlanned: sum(planned),
    completedEvents: run.filter((e) => e.type === 'completed').length,
    statsDone: stats?.filesDone,
    summaryDone: sum(done.summary.done),
    statsQueued: stats?.queued,
  }
}

/** What `counts` must say of a run that planned `planned` actions and did `did` of them. */
const agreeing = (planned: number, did: number) => ({
  plannedEvents: planned,
  statsPlanned: planned,
  summaryPlanned: planned,
  completedEvents: did,
  statsDone: did,
  summaryDone: did,
  statsQueued: planned - did,
})

async function setup() {
  const root = await tempDir('syncflow-root-counts-')
  const src = join(root, 'src')
  await writeTree(src, { a: 'a', 'sub/b': 'b' })
  return { root, src, env: { SYNCFLOW_STATE_DIR: join(root, 'state') } }
}

describe('the target root counted alike in stats, done and the events', () => {
  // The root, sub (mkdir), a and sub/b (copy): 4, done or would be done.
  for (const command of ['sync', 'copy']) {
    for (const dry of [false, true]) {
      it(`${command}${dry ? ' -n' : ''} into a target that does not exist`, async () => {
        const { root, src, env } = await setup()
        const dst = join(root, 'not', 'there')
        const r = await runCli([command, ...(dry ? ['-n'] : []), '--json', src, dst], { env })
        expect(r.code, r.stderr).toBe(0)
        const events = jsonLines(r.stdout)
        expect(events[0]).toMatchObject({ type: 'planned', action: { kind: 'mkdir', path: '' } })
        expect(counts(events)).toEqual(agreeing(4, 4))
        // The text summary counts it too ("created 2 directories").
        const text = await runCli([command, ...(dry ? ['-n'] : []), src, join(root, 'text')], { env })
        expect(text.stderr).toMatch(
          dry ? /would copy 2 files, create 2 directories/ : /copied 2 files, created 2 directories/,
        )
      })
    }
  }

  it('sync into an existing empty target, whose root mtime a real run sets after the engine ends', async () => {
    const { root, src, env } = await setup()
    const dst = join(root, 'empty')
    await mkdir(dst)
    // (Its mtime apart from the source root's: both made within a tick of the file system's clock could agree.)
    await utimes(dst, new Date('2020-01-01'), new Date('2020-01-01'))
    const r = await runCli(['sync', '--json', src, dst], { env })
    expect(r.code, r.stderr).toBe(0)
    const events = jsonLines(r.stdout)
    expect(events.filter((e) => (e.action as { path?: string } | undefined)?.path === '')).toHaveLength(3)
    expect(counts(events)).toEqual(agreeing(4, 4))
  })

  it('check of a target that does not exist: the root planned, not done, so queued', async () => {
    const { root, src, env } = await setup()
    const r = await runCli(['check', '--json', src, join(root, 'missing')], { env })
    expect(r.code, r.stderr).toBe(1)
    expect(counts(jsonLines(r.stdout))).toEqual(agreeing(4, 0))
  })

  for (const dry of [false, true]) {
    it(`watch${dry ? ' -n' : ''} into a target that does not exist: its first cycle`, async () => {
      const { root, src, env } = await setup()
      const r = startCli(['watch', ...(dry ? ['-n'] : []), '--json', src, join(root, 'not', 'there')], { env })
      running.push(r)
      await expect.poll(() => jsonLines(r).some((e) => e.type === 'done'), { timeout: 20_000 }).toBe(true)
      r.child.kill('SIGINT')
      const end = await r.exited
      expect(end.code, end.stderr).toBe(130)
      expect(counts(jsonLines(end.stdout))).toEqual(agreeing(4, 4))
    })
  }
})
