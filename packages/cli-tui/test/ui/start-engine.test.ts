import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SyncEvent } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEngine } from '../../src/ui/start-engine.js'

// `syncflow ui`'s job on real directories, with a real webhook receiver on 127.0.0.1.

let root: string
let hits: string[] = []
let server: Server
let hook: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-engine-'))
  process.env.SYNCFLOW_STATE_DIR = join(root, 'state')
  server = createServer((req, res) => {
    hits.push(req.url ?? '')
    req.resume()
    req.on('end', () => res.end('OK'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/abc`
})
afterAll(async () => {
  server.close()
  await rm(root, { recursive: true, force: true })
})

async function tree(name: string, files: number): Promise<string> {
  const dir = join(root, name)
  await mkdir(join(dir, 'sub'), { recursive: true })
  for (let i = 0; i < files; i++) await writeFile(join(dir, 'sub', `f${i}.txt`), `file ${i}`)
  return dir
}

const collect = (events: { subscribe: (o: { next: (e: SyncEvent) => void }) => unknown }) => {
  const seen: SyncEvent[] = []
  events.subscribe({ next: (e) => seen.push(e) })
  return seen
}

describe('startEngine', () => {
  // QA 27a: `ui -n` said nothing of the target root a run makes or chmods, where `sync -n` says
  // "create 21 directories" (the root among them) and "chmod 1 directory".
  it("a dry run plans the target root's creation and its mode, as sync -n does", async () => {
    const src = await tree('root-src', 1)
    await chmod(src, 0o700)
    const missing = join(root, 'root-dst-missing')
    const made = startEngine({ source: src, target: missing, flags: { state: false, dryRun: true } })
    const seenMade = collect(made.events)
    expect(await made.closed).toEqual({})
    const rootEvents = (seen: SyncEvent[]) =>
      seen.flatMap((e) =>
        (e.type === 'planned' || e.type === 'started' || e.type === 'completed') && e.action.path === ''
          ? [`${e.type} ${e.action.reason}`]
          : [],
      )
    expect(rootEvents(seenMade)).toEqual([
      'planned the target root does not exist',
      'started the target root does not exist',
      'completed the target root does not exist',
    ])
    const last = seenMade.at(-1)
    expect(last?.type === 'done' && last.summary.done.mkdir).toBe(2)
    const open = join(root, 'root-dst-open')
    await mkdir(open)
    await chmod(open, 0o755)
    // (Its mode alone differs: with the mtime too it is a `chmod+touch`, see root-metadata.test.ts.)
    const { atime, mtime } = await stat(src)
    await utimes(open, atime, mtime)
    const chmodded = startEngine({ source: src, target: open, flags: { state: false, dryRun: true } })
    const seenChmod = collect(chmodded.events)
    expect(await chmodded.closed).toEqual({})
    expect(rootEvents(seenChmod)).toEqual(['planned mode differs', 'started mode differs', 'completed mode differs'])
    const done = seenChmod.at(-1)
    expect(done?.type === 'done' && done.summary.modesSet?.done).toBe(1)
  })

  // QA 35 #1: `ui --watch -n` (as `watch -n`) said nothing of the target root a watch makes.
  it("a watch's dry run plans the target root's creation once, before its first cycle", async () => {
    const src = await tree('root-watch-src', 1)
    const missing = join(root, 'root-watch-missing')
    const run = startEngine({ source: src, target: missing, flags: { state: false, dryRun: true, watch: true } })
    const seen = collect(run.events)
    await run.opened
    await expect.poll(() => seen.some((e) => e.type === 'done' && e.cycle === 1), { timeout: 20_000 }).toBe(true)
    run.abort()
    expect(await run.closed).toEqual({})
    expect(seen[0]).toMatchObject({ type: 'planned', action: { kind: 'mkdir', path: '' } })
    const dones = seen.filter((e) => e.type === 'done')
    expect(dones.map((e) => e.type === 'done' && [e.summary.mode, e.summary.planned.mkdir])).toEqual([
      ['mirror', 2],
      ['watch', 2],
    ])
  })

  // Review 36: the root a real run made was counted in `done` but not in the engine's `stats`
  // (what the metrics endpoint reads): 2 planned there where `done` said 3.
  it('a real run into a missing target counts the root it made in its stats as in its done', async () => {
    const src = await tree('root-stats-src', 1)
    for (const watch of [false, true]) {
      const run = startEngine({ source: src, target: join(root, `root-stats-missing-${watch}`), flags: { watch } })
      const seen = collect(run.events)
      await run.opened
      await expect.poll(() => seen.some((e) => e.type === 'done'), { timeout: 20_000 }).toBe(true)
      run.abort()
      expect(await run.closed).toEqual({})
      const first = seen.slice(0, seen.findIndex((e) => e.type === 'done') + 1)
      const stats = first.filter((e) => e.type === 'stats').at(-1)
      const done = first.at(-1)
      const plannedEvents = first.filter((e) => e.type === 'planned').length
      expect(
        [stats?.type === 'stats' && [stats.filesPlanned, stats.filesDone], plannedEvents],
        `watch: ${watch}`,
      ).toEqual([[3, 3], 3])
      expect(done?.type === 'done' && done.summary.done).toMatchObject({ mkdir: 2, copy: 1 })
    }
  })

  it('opens the job, runs it, reports to the webhook and closes', async () => {
    hits = []
    const src = await tree('a-src', 3)
    const dst = join(root, 'a-dst')
    const run = startEngine({ source: src, target: dst, flags: { state: false, webhook: hook } })
    const seen = collect(run.events)
    const where = await run.opened
    expect(where.source).toContain('a-src')
    expect(await run.closed).toEqual({})
    expect(seen.at(-1)?.type).toBe('done')
    expect(seen.filter((e) => e.type === 'completed' && e.action.kind === 'copy')).toHaveLength(3)
    expect(await readFile(join(dst, 'sub', 'f2.txt'), 'utf8')).toBe('file 2')
    // The reporters were flushed before `closed`.
    expect(hits).toEqual(['/ping/abc/start', '/ping/abc'])
    expect(run.warnings).toEqual([])
  })

  // Review of today's changes: a one-shot `ui` whose deletes were held back exits 1 ('Deletes
  // suppressed'), as `sync` does, but pinged success (sync's --webhook pings /fail for it now).
  it('a one-shot run whose deletes were held back pings /fail, as it exits 1', async () => {
    hits = []
    const src = await tree('h-src', 1)
    const dst = await tree('h-dst', 4)
    await writeFile(join(dst, 'extra1'), 'x')
    await writeFile(join(dst, 'extra2'), 'x')
    const run = startEngine({
      source: src,
      target: dst,
      flags: { state: false, webhook: hook, maxDelete: { count: 1 } },
    })
    const seen = collect(run.events)
    await run.closed
    const done = seen.at(-1)
    expect(done?.type === 'done' && done.summary.deletesSuppressed).toBeTruthy()
    expect(hits).toEqual(['/ping/abc/start', '/ping/abc/fail'])
  })

  // QA 30f: a --metrics port in use failed the job before the webhook was opened, and the monitor
  // heard nothing (watch had the same, fixed alike).
  it('a --metrics address in use rejects `opened` and still pings /fail', async () => {
    hits = []
    const src = await tree('m-src', 1)
    const busy = server.address() as AddressInfo
    const run = startEngine({
      source: src,
      target: join(root, 'm-dst'),
      flags: { state: false, webhook: hook, metrics: { host: '127.0.0.1', port: busy.port } },
    })
    await expect(run.opened).rejects.toMatchObject({ code: 'USAGE' })
    expect((await run.closed).fatal?.code).toBe('USAGE')
    expect(hits).toEqual(['/ping/abc/start', '/ping/abc/fail'])
  })

  it('rejects `opened` with why the job cannot run, and pings /fail', async () => {
    hits = []
    const run = startEngine({ source: join(root, 'missing'), target: join(root, 'b-dst'), flags: { webhook: hook } })
    await expect(run.opened).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const { fatal } = await run.closed
    expect(fatal?.code).toBe('NOT_FOUND')
    expect(hits).toEqual(['/ping/abc/start', '/ping/abc/fail'])
  })

  it('starts no transfer while paused, and stops cleanly on abort (interrupted, nothing half-written)', async () => {
    const src = await tree('c-src', 5)
    const dst = join(root, 'c-dst')
    const run = startEngine({ source: src, target: dst, flags: { state: false } })
    run.gate.pause()
    const seen = collect(run.events)
    await run.opened
    await expect
      .poll(() => seen.some((e) => e.type === 'planned' && e.action.kind === 'copy'), { timeout: 10_000 })
      .toBe(true)
    expect(seen.some((e) => e.type === 'completed' && e.action.kind === 'copy')).toBe(false)
    run.abort()
    expect(await run.closed).toEqual({})
    const done = seen.at(-1)
    expect(done?.type === 'done' && done.summary.interrupted).toBe(true)
    expect(done?.type === 'done' && done.summary.done.copy).toBe(0)
  })

  // QA 30e: a watch left the target root with the mtime of its last write, which check then reported for good.
  it("a watch gives the target root the source root's mtime after each cycle", async () => {
    const src = await tree('w-src', 2)
    const t1 = new Date('2019-01-01T00:00:00Z')
    await utimes(src, t1, t1)
    const dst = join(root, 'w-dst')
    const run = startEngine({ source: src, target: dst, flags: { state: false, watch: true } })
    const seen = collect(run.events)
    await run.opened
    await expect.poll(() => seen.some((e) => e.type === 'done' && e.cycle === 1), { timeout: 20_000 }).toBe(true)
    await expect.poll(async () => (await stat(dst)).mtimeMs, { timeout: 10_000 }).toBe(t1.getTime())
    run.abort()
    expect(await run.closed).toEqual({})
  })
})
