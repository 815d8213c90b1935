import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncflowClient } from '../src/generated/syncflow/v1/Syncflow.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { startTestServer } from './helpers.js'

// A client that opened a Write and then sent nothing held its call for ever, with a temp file in the
// target directory and a turn of the server's open-files gate, while its HTTP/2 layer answered the
// keepalive pings. A stream quiet for longer than the server's limit (an hour; 1 s here) fails.

type Failure = { code?: number; details?: string; metadata?: { get(k: string): unknown[] } } | null

let srv: Awaited<ReturnType<typeof startTestServer>>
let raw: SyncflowClient
let grpc: Awaited<ReturnType<typeof loadProtocol>>['grpc']
beforeAll(async () => {
  srv = await startTestServer({ quietMs: 1000 })
  const protocol = await loadProtocol()
  grpc = protocol.grpc
  raw = new protocol.proto.syncflow.v1.Syncflow(`127.0.0.1:${srv.server.port}`, grpc.credentials.createInsecure())
  await mkdir(join(srv.dir, 't'))
})
afterAll(async () => {
  raw?.close()
  await srv?.stop()
})

function transient(err: Failure): void {
  expect(err?.code).toBe(grpc.status.UNAVAILABLE)
  expect(err?.metadata?.get('syncflow-code')).toEqual(['TRANSIENT'])
  expect(err?.details).toContain('the client sent nothing for 1 s')
}

describe('a client stream that goes quiet', () => {
  it('fails a Write after its header, and its temp file goes', async () => {
    let c!: ReturnType<SyncflowClient['Write']>
    const failed = new Promise<Failure>((resolve) => {
      c = raw.Write((e) => resolve(e))
    })
    c.write({ header: { root: 't', path: 'quiet.txt', meta: { mtimeMs: 1e12 } } })
    c.write({ data: Buffer.from('part') })
    await expect.poll(() => readdir(join(srv.dir, 't'))).toHaveLength(1) // its temp file
    transient(await failed)
    expect(await readdir(join(srv.dir, 't'))).toEqual([])
  })

  it('fails a Write that never sends its header', async () => {
    transient(await new Promise<Failure>((resolve) => raw.Write((e) => resolve(e))))
  })

  it('fails a Delta whose signature stops coming', async () => {
    const err = await new Promise<Failure>((resolve) => {
      const call = raw.Delta()
      call.on('data', () => {})
      call.on('error', (e: Failure) => resolve(e))
      call.write({ header: { root: 't', path: 'none', blockSize: 64, size: 6400, strongBytes: 8 } })
    })
    // (The file does not exist, but that is found once the whole signature has come.)
    transient(err)
  })
})
