import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { type Backend, type RelPath, type SyncEvent, type SyncOptions, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import type { S3Backend, S3BackendOptions } from '../src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const MiB = 1024 * 1024

async function run(source: Backend, target: Backend, options: SyncOptions): Promise<SyncEvent[]> {
  const events = await lastValueFrom(sync(source, target, options).pipe(toArray()))
  expect(events.filter((e) => e.type === 'failed')).toEqual([])
  return events
}

/** The most requests of `op` in flight at once, from the proxy's log. */
function maxInFlight(log: readonly string[], op: string): number {
  let now = 0
  let max = 0
  for (const line of log) {
    if (line === op) max = Math.max(max, ++now)
    else if (line === `${op} done`) now--
  }
  return max
}

describeS3('upload concurrency and memory', (env) => {
  let dir: string
  let proxy: CountingProxy
  const opened: Backend[] = []
  const s3 = (name: string, options: Partial<S3BackendOptions> = {}): S3Backend => {
    const b = testBackend(env, name, { endpoint: proxy.url, ...options })
    opened.push(b)
    return b
  }
  const local = (): Backend => {
    const b = createLocalBackend({ root: dir })
    opened.push(b)
    return b
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-concurrency-'))
    for (let d = 0; d < 4; d++) await mkdir(join(dir, `d${d}`))
    for (let i = 0; i < 120; i++) await writeFile(join(dir, `d${i % 4}`, `f${i}`), `file ${i}\n`)
    proxy = await startCountingProxy(env.endpoint)
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('the engine sends many small PUTs at once into S3 unless told otherwise (preferredConcurrency)', async () => {
    const target = s3('many')
    expect(target.capabilities.preferredConcurrency).toBe(64)
    proxy.reset()
    // Held until 48 PUTs wait together: a run limited to the engine's old default of 8 would hang here.
    const together = proxy.hold('PUT', 48)
    await run(local(), target, { mode: 'mirror' })
    await together
    expect(proxy.counts.PUT).toBe(120)
  })

  it('--concurrency wins over the preference', async () => {
    proxy.reset()
    await run(local(), s3('four'), { mode: 'mirror', concurrency: 4 })
    expect(proxy.counts.PUT).toBe(120)
    expect(maxInFlight(proxy.log, 'PUT')).toBeLessThanOrEqual(4)
  })

  it('small bodies wait for their share of uploadMemory', async () => {
    const big = await mkdtemp(join(tmpdir(), 'syncflow-s3-budget-'))
    try {
      for (let i = 0; i < 12; i++) await writeFile(join(big, `f${i}`), randomBytes(300 * 1024))
      const source = createLocalBackend({ root: big })
      opened.push(source)
      proxy.reset()
      // 1 MiB holds three bodies of 300 KiB: never more PUTs in flight, whatever the concurrency.
      await run(source, s3('budget', { uploadMemory: MiB }), { mode: 'mirror' })
      expect(proxy.counts.PUT).toBe(12)
      expect(maxInFlight(proxy.log, 'PUT')).toBeLessThanOrEqual(3)
    } finally {
      await rm(big, { recursive: true, force: true })
    }
  })

  it('multipart uploads each reserve (queueSize + 1) × partSize, so a small budget runs them one by one', async () => {
    const data = randomBytes(11 * MiB)
    const write = (b: S3Backend, name: string) =>
      b.write(name as RelPath, Readable.from([data]), { size: data.length, mtimeMs: 1000 })
    const parts = { multipartThreshold: 6 * MiB, partSize: 5 * MiB, queueSize: 2 }

    // 15 MiB = one upload's (2 + 1) × 5 MiB: the second starts once the first is complete.
    const narrow = s3('narrow', { ...parts, uploadMemory: 15 * MiB })
    proxy.reset()
    await Promise.all([write(narrow, 'a'), write(narrow, 'b')])
    const log = proxy.log.filter((l) => l.includes('MULTIPART'))
    expect(log.indexOf('COMPLETE_MULTIPART done')).toBeLessThan(log.lastIndexOf('CREATE_MULTIPART'))

    // Twice that: both are in flight together (held until two CreateMultipartUploads wait).
    const wide = s3('wide', { ...parts, uploadMemory: 30 * MiB })
    proxy.reset()
    const together = proxy.hold('CREATE_MULTIPART', 2)
    await Promise.all([write(wide, 'a'), write(wide, 'b')])
    await together
  })
})
