import { appendFileSync, statSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, jsonLines, killedAfterEach, startCli, tempDir } from '../helpers/cli.js'

// QA 35 #2: a log appended to without pause (every few ms, as a busy server's is) never settled, so
// a watch never copied it while it was written: the target's copy stayed as it was at the start.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

describe('watch and a file written without pause', () => {
  it('updates the target copy of a log while it is still being appended to', async () => {
    const root = await tempDir('syncflow-watch-busy-')
    const src = join(root, 'src')
    const dst = join(root, 'dst')
    await mkdir(src)
    const log = join(src, 'app.log')
    await writeFile(log, 'start\n')
    const r = startCli(['watch', '--json', src, dst], { env: { SYNCFLOW_STATE_DIR: join(root, 'state') } })
    running.push(r)
    await expect.poll(() => jsonLines(r).some((e) => e.type === 'done'), { timeout: 20_000 }).toBe(true)

    // The writer: a line every 20 ms, for as long as the test waits (the workload, not a wait). The
    // log never settles (two looks 100 ms apart never agree), so it goes through busy. At 5 ms a
    // line, nearly every copy met a write between its listing and its read (CONFLICT, tried again
    // later), and at times none landed within the poll (bg36: 2 of 8 runs).
    let n = 0
    const writer = setInterval(() => appendFileSync(log, `line ${++n}\n`), 20)
    try {
      await expect
        .poll(() => statSync(join(dst, 'app.log')).size, { timeout: 20_000, interval: 100 })
        .toBeGreaterThan('start\n'.length)
      // (The writer never paused before this point: the copy was taken while the log was busy.)
    } finally {
      clearInterval(writer)
    }
    // Whole lines from the start: each copy is a snapshot of the log, never a half-written one.
    const copy = await readFile(join(dst, 'app.log'), 'utf8')
    expect((await readFile(log, 'utf8')).startsWith(copy)).toBe(true)
    await expect
      .poll(() => readFile(join(dst, 'app.log'), 'utf8'), { timeout: 20_000 })
      .toBe(await readFile(log, 'utf8'))
    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.code, end.stderr).toBe(130)
    // A copy the writer raced fails as CONFLICT (changed while read, nothing written) and is tried
    // again; nothing else may fail.
    const failed = jsonLines(end.stdout).filter((e) => e.type === 'failed')
    expect(failed.filter((e) => (e.error as { code: string }).code !== 'CONFLICT')).toEqual([])
  })
})
