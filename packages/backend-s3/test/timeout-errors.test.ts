import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toRelPath } from '@syncflow/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startSilentListener } from '../../backend-grpc/test/silent-servers.js'
// Test-only import: the built CLI as a user runs it.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { startCountingProxy } from './counting-proxy.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

// --contimeout and --timeout on s3:// (QA 7 #2, #3): an endpoint that accepts connections and never
// answers is "not connected" after the connection timeout (HTTP has no greeting; it was waited on
// for the 60 s I/O timeout on each of the SDK's 3 attempts), and each timeout's message names the
// endpoint, says which timeout ran out and which flag to raise, instead of the SDK's text.

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('the CLI, s3:// at an endpoint that accepts and never answers', () => {
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-timeout-errors-'))
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'a.txt'), 'alpha\n')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('sync --contimeout 1: not connected after about a second, naming the endpoint and the flag; exit 2', async () => {
    const silent = await startSilentListener()
    cleanups.push(silent.close)
    const endpoint = `http://127.0.0.1:${silent.port}`
    const r = await runCli(
      ['sync', join(dir, 'src'), 's3://some-bucket/p', '--s3-endpoint', endpoint, '--contimeout', '1', '--no-state'],
      {
        cwd: dir,
        env: {
          SYNCFLOW_STATE_DIR: join(dir, 'state'),
          AWS_ACCESS_KEY_ID: 'AKIDTIMEOUTTEST',
          AWS_SECRET_ACCESS_KEY: 'timeout-test-secret',
          AWS_REGION: 'us-east-1',
        },
      },
    )
    expect(r.code, r.stderr).toBe(2)
    const out = r.stdout + r.stderr
    expect(out).toContain(`no connection to ${endpoint} within 1 s (connection timeout)`)
    expect(out).toContain('raise --contimeout')
    expect(out).not.toContain('@smithy')
  }, 20_000)
})

describeS3('S3Backend timeouts against a real server behind a proxy', (env) => {
  it('the first request held: not connected within connectTimeoutMs, and not tried again by the SDK', async () => {
    const proxy = await startCountingProxy(env.endpoint)
    cleanups.push(proxy.close)
    const b = testBackend(env, 'not-connected', { endpoint: proxy.url, connectTimeoutMs: 500 })
    cleanups.push(() => b.close())
    void proxy.hold('HEAD_BUCKET', 1000) // never released: a server that takes the request and never answers
    const err = await b.rootExists().catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'TRANSIENT',
      op: 's3.rootExists',
      message: `TRANSIENT: s3.rootExists: no connection to ${proxy.url} within 0.5 s (connection timeout): nothing there answered`,
      hint: expect.stringContaining('raise --contimeout'),
    })
    expect(proxy.counts.HEAD_BUCKET).toBe(1)
  }, 15_000)

  it('an answer held once connected: an I/O timeout naming the endpoint, --timeout and the tries', async () => {
    const proxy = await startCountingProxy(env.endpoint)
    cleanups.push(proxy.close)
    const b = testBackend(env, 'io-timeout', { endpoint: proxy.url, ioTimeoutMs: 500 })
    cleanups.push(() => b.close())
    await b.rootExists() // answered: connected
    void proxy.hold('HEAD', 1000)
    const err = await b.stat(toRelPath('a.txt')).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'TRANSIENT',
      message: `TRANSIENT: s3.stat (a.txt): ${proxy.url} sent or took nothing for 0.5 s (I/O timeout) on each of 3 tries`,
      hint: expect.stringContaining('raise --timeout'),
    })
  }, 15_000)

  it('once the endpoint answered, a slow answer is not cut by the connection timeout', async () => {
    const proxy = await startCountingProxy(env.endpoint)
    cleanups.push(proxy.close)
    const b = testBackend(env, 'connected-slow', { endpoint: proxy.url, connectTimeoutMs: 300 })
    cleanups.push(() => b.close())
    await b.rootExists()
    const released = proxy.hold('HEAD', 2)
    const first = b.stat(toRelPath('a.txt'))
    await new Promise((resolve) => setTimeout(resolve, 600)) // longer than connectTimeoutMs, on purpose
    const second = b.stat(toRelPath('b.txt'))
    await released
    await expect(first).resolves.toBeUndefined()
    await expect(second).resolves.toBeUndefined()
  }, 15_000)
})
