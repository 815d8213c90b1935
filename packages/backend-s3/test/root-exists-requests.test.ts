import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import type { S3Backend } from '../src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// QA S3 F7: the CLI asks whether the source root exists before it opens the job, and the engine
// asks again just before it lists. On S3 each question is a HeadBucket (and a one-key
// ListObjectsV2 below a prefix): the second answer is the first one's, handed on.

describeS3('rootExists: requests per run (through a counting proxy)', (env) => {
  let proxy: CountingProxy
  let dir: string
  let source: string
  const opened: S3Backend[] = []
  const backend = (prefix: string): S3Backend => {
    const b = testBackend(env, { prefix, endpoint: proxy.url })
    opened.push(b)
    return b
  }
  const put = (b: S3Backend, path: string, text: string) =>
    b.write(path as RelPath, Readable.from([Buffer.from(text)]), { size: text.length, mtimeMs: 1_700_000_000_000 })

  beforeAll(async () => {
    proxy = await startCountingProxy(env.endpoint)
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-root-'))
    source = uniquePrefix(env, 'root-src')
    const b = backend(source)
    await put(b, 'a.txt', 'alpha\n')
    await put(b, 'd/b.txt', 'bravo\n')
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })
  beforeEach(() => proxy.reset())

  it('an s3:// → s3:// sync of the built CLI asks once: one HeadBucket, one LIST besides the two listings', async () => {
    buildCli()
    const target = uniquePrefix(env, 'root-dst')
    const sync = () =>
      runCli(
        [
          'sync',
          `s3://${env.bucket}/${source}`,
          `s3://${env.bucket}/${target}`,
          '--s3-endpoint',
          proxy.url,
          '--no-state',
          '--json',
        ],
        {
          cwd: dir,
          env: {
            SYNCFLOW_STATE_DIR: join(dir, 'state'),
            ...credentialsEnv(env),
          },
        },
      )
    const first = await sync()
    expect(first.code, first.stderr).toBe(0)
    proxy.reset()
    // A second run has nothing to do: what is left is the root check and the listings.
    const again = await sync()
    expect(again.code, again.stderr).toBe(0)
    expect(proxy.counts.HEAD_BUCKET).toBe(1)
    // One-key root check of the source prefix, then one page per side.
    expect(proxy.counts.LIST).toBe(3)
  })

  it('a true answer stands in for the next question only: a listing or a remove in between asks again', async () => {
    const b = backend(source)
    expect(await b.rootExists()).toBe(true)
    expect(await b.rootExists()).toBe(true)
    expect(proxy.counts).toEqual({ HEAD_BUCKET: 1, LIST: 1 })
    // Handed on once: a third question asks the service.
    expect(await b.rootExists()).toBe(true)
    expect(proxy.counts).toEqual({ HEAD_BUCKET: 2, LIST: 2 })

    for await (const _ of b.list()) {
      // a listing in between
    }
    proxy.reset()
    expect(await b.rootExists()).toBe(true)
    expect(proxy.counts).toEqual({ HEAD_BUCKET: 1, LIST: 1 })

    // Its last file removed: the prefix is gone, and the question after the remove says so.
    const gone = backend(uniquePrefix(env, 'root-gone'))
    await put(gone, 'only.txt', 'x')
    expect(await gone.rootExists()).toBe(true)
    await gone.remove('only.txt' as RelPath)
    expect(await gone.rootExists()).toBe(false)
    // A false answer is never handed on.
    proxy.reset()
    expect(await gone.rootExists()).toBe(false)
    expect(proxy.counts).toEqual({ HEAD_BUCKET: 1, LIST: 1 })
  })
})
