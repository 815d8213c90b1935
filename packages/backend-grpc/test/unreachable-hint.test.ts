import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { type FailedEvent, type RelPath, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { pseudoRandom, startProxy, startTestServer } from './helpers.js'

// QA 3a F10: a server killed during an upload left the file's failure as "TRANSIENT: grpc.stat
// (f.bin): No connection established. Last error: Error: connect ECONNREFUSED …", whose hint said
// neither which server nor that the run's retries were over (the failed connect names both).
let local: string

beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'grpc-unreachable-'))
})

afterAll(async () => {
  if (local) await rm(local, { recursive: true, force: true })
})

describe('a server that went away', () => {
  it('a call after it stopped is TRANSIENT, and the hint names the server and the next run', async () => {
    const srv = await startTestServer()
    const port = srv.server.port
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, timeoutMs: 5000 })
    await srv.stop()
    try {
      const err = await b.stat('f.bin' as RelPath).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'TRANSIENT' })
      const hint = (err as { hint?: string }).hint
      expect(hint).toContain(`\`syncflow serve\` is running at 127.0.0.1:${port}`)
      expect(hint).toMatch(/tried again by the next run/)
      expect(hint).not.toMatch(/the transfer is retried/)
    } finally {
      await b.close()
    }
  })

  it('an upload cut mid-stream, the server gone: the file fails with that hint', async () => {
    const srv = await startTestServer()
    const proxy = await startProxy(srv.server.port)
    await writeFile(join(local, 'f.bin'), pseudoRandom(8 << 20))
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${proxy.port}/`, timeoutMs: 5000 })
    const source = createLocalBackend({ root: local })
    // Once a megabyte went up, the "server" dies: the connection is cut and no new one is accepted.
    let closed: Promise<void> | undefined
    const watcher = setInterval(() => {
      if (closed === undefined && proxy.up() > 1 << 20) closed = proxy.close()
    }, 5)
    try {
      const events = await lastValueFrom(
        sync(source, target, { mode: 'copy', retries: 1, retryDelayMs: 10 }).pipe(toArray()),
      )
      const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
      expect(failed.map((e) => [e.path, e.error.code])).toEqual([['f.bin', 'TRANSIENT']])
      expect(failed[0]!.error.hint).toContain(`\`syncflow serve\` is running at 127.0.0.1:${proxy.port}`)
    } finally {
      clearInterval(watcher)
      await closed
      await source.close()
      await target.close()
      await srv.stop()
    }
  })
})
