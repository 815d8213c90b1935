import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, jsonLines, killedAfterEach, type RunningCli, startCli } from '../../cli-tui/test/helpers/cli.js'
import type { S3Backend } from '../src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// QA 23 #4: `watch` of an s3:// source listed the whole prefix every 2 s, with no flag to change it
// (a 1 M-object prefix: ~$216 a day in LIST requests). `--poll-interval` sets the interval; the
// default grows with the listing, and the start-up note says the interval in use.

const running = killedAfterEach()

describeS3('syncflow watch of an s3:// source: the polling interval (through a counting proxy)', (env) => {
  let proxy: CountingProxy
  let dir: string
  let source: string
  let b: S3Backend
  beforeAll(async () => {
    buildCli()
    proxy = await startCountingProxy(env.endpoint)
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-poll-'))
    source = uniquePrefix(env, 'poll-src')
    b = testBackend(env, { prefix: source })
    await b.write('a.txt' as RelPath, Readable.from([Buffer.from('alpha\n')]), { size: 6, mtimeMs: 1_700_000_000_000 })
  })
  afterAll(async () => {
    await b?.close()
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const watch = (target: string, ...flags: string[]): RunningCli => {
    const r = startCli(
      ['watch', `s3://${env.bucket}/${source}`, join(dir, target), '--s3-endpoint', proxy.url, '--json', ...flags],
      {
        cwd: dir,
        env: {
          SYNCFLOW_STATE_DIR: join(dir, 'state'),
          ...credentialsEnv(env),
        },
      },
    )
    running.push(r)
    return r
  }
  const polling = (r: RunningCli) =>
    jsonLines(r.stdout())
      .filter((e) => e.type === 'notice' && e.code === 'POLLING')
      .map((e) => e.message)
  const initialDone = (r: RunningCli) => jsonLines(r.stdout()).some((e) => e.type === 'done')

  it('--poll-interval 1 lists every second, never sooner, and the note says so', async () => {
    const r = watch('dst-fixed', '--poll-interval', '1')
    await expect.poll(() => initialDone(r), { timeout: 20_000 }).toBe(true)
    expect(polling(r)).toEqual([expect.stringMatching(/offers no change events: polling .* every 1 s instead$/)])
    // Three more listings take at least two whole intervals (one page each: the prefix is small).
    const from = proxy.total('LIST')
    const start = performance.now()
    await expect.poll(() => proxy.total('LIST'), { timeout: 20_000 }).toBeGreaterThanOrEqual(from + 3)
    expect(performance.now() - start).toBeGreaterThanOrEqual(2000)
    r.child.kill('SIGINT')
    expect((await r.exited).code).toBe(130)
  }, 60_000)

  it('by default the note says the interval in use (2 s for a small prefix), that it grows, and the flag', async () => {
    const r = watch('dst-default')
    await expect.poll(() => initialDone(r), { timeout: 20_000 }).toBe(true)
    expect(polling(r)).toEqual([
      expect.stringMatching(
        /offers no change events: polling .* every 2 s instead \(1 entry listed in [\d.]+ s; the interval follows the listing's size, --poll-interval sets it\)$/,
      ),
    ])
    r.child.kill('SIGINT')
    expect((await r.exited).code).toBe(130)
  }, 60_000)

  it('refuses a --poll-interval under 1 s, saying what to write (exit 2)', async () => {
    const r = watch('dst-bad', '--poll-interval', '200ms')
    const done = await r.exited
    expect(done.code).toBe(2)
    expect(done.stderr).toMatch(/"200ms" is not a poll interval; write e\.g\. 30s, 5m/)
  })
})
