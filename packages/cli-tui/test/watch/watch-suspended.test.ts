import { appendFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
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

// Review of watch: a watch suspended (Ctrl-Z, `kill -STOP`) while the source changed a lot lost
// changes for good: the kernel keeps at most max_queued_events (16384) inotify events for it, drops
// the rest, and Node's fs.watch does not report that overflow. Once resumed (`fg`), the changes of
// whose events were dropped waited for the next --rescan (an hour; never with --rescan 0), unsaid.
// A resumed watch (SIGCONT) now runs a full sync.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

const maxQueued = (): number => {
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim())
  } catch {
    return 16384
  }
}

it.runIf(process.platform === 'linux')(
  'a watch resumed after a stop runs a full sync: the changes whose events the kernel dropped are synced',
  async () => {
    const root = await tempDir('syncflow-watch-stopped-')
    const src = join(root, 'src')
    const dst = join(root, 'dst')
    await writeTree(src, { k: 'k', 'sub/gone.txt': 'g', 'sub/edit.txt': 'old' })
    const r = startCli(['watch', '--json', '--rescan', '0', src, dst], {
      env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
    })
    running.push(r)
    await expect
      .poll(() => jsonLines(r).filter((e) => e.type === 'done').length, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(1)
    expect(await readTree(dst)).toEqual({ k: 'k', 'sub/gone.txt': 'g', 'sub/edit.txt': 'old' })

    r.child.kill('SIGSTOP')
    try {
      // More events than the kernel queues (two files in turn: the same event twice in a row is one).
      const n = maxQueued()
      for (let i = 0; i < n; i++) for (const f of ['a', 'b']) appendFileSync(join(src, f), 'x')
      // Their events come after the overflow: dropped.
      writeFileSync(join(src, 'sub', 'late.txt'), 'late')
      writeFileSync(join(src, 'sub', 'edit.txt'), 'new content')
      unlinkSync(join(src, 'sub', 'gone.txt'))
    } finally {
      r.child.kill('SIGCONT')
    }
    const n = maxQueued()
    await expect
      .poll(() => readTree(dst), { timeout: 20_000 })
      .toEqual({ k: 'k', a: 'x'.repeat(n), b: 'x'.repeat(n), 'sub/late.txt': 'late', 'sub/edit.txt': 'new content' })
    r.child.kill('SIGINT')
    expect((await r.exited).code).toBe(130)
  },
  60_000,
)
