import { readdir } from 'node:fs/promises'
import type { RelPath } from '@syncflow/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { loadProtocol, PROTOCOL_VERSION } from '../src/wire/load-protocol.js'
import { startTestServer } from './helpers.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const RESOURCE_EXHAUSTED = 8

describe('per-message size limits', () => {
  it('the server refuses a message above its limit and commits nothing', async () => {
    const srv = await startTestServer({ maxMessageBytes: 1 << 20 })
    cleanups.push(srv.stop)
    const protocol = await loadProtocol()
    const raw = new protocol.proto.syncflow.v1.Syncflow(
      `127.0.0.1:${srv.server.port}`,
      protocol.grpc.credentials.createInsecure(),
    )
    cleanups.push(() => raw.close())
    const code = await new Promise<number>((resolve) => {
      const w = raw.Write(new protocol.grpc.Metadata(), (err) => resolve(err ? err.code : 0))
      w.write({ header: { root: '', path: 'big.bin', meta: { mtimeMs: 1, hashes: {} } } })
      w.write({ data: Buffer.alloc(2 << 20) })
      w.write({ end: { size: 2 << 20 } })
      w.end()
    })
    expect(code).toBe(RESOURCE_EXHAUSTED)
    // Nothing under the final name, ever; the call's temp file is removed as the server unwinds the
    // call, which may finish just after the client has its status.
    expect(await readdir(srv.dir)).not.toContain('big.bin')
    await vi.waitFor(async () => expect(await readdir(srv.dir)).toEqual([]), { timeout: 5000, interval: 20 })
    // Messages under the limit (the client's 256 KiB chunks) go through.
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/` })
    cleanups.push(() => b.close())
    const { Readable } = await import('node:stream')
    await b.write('ok.bin' as RelPath, Readable.from([Buffer.alloc(3 << 20)]), { mtimeMs: 1 })
    expect(await readdir(srv.dir)).toEqual(['ok.bin'])
  })

  it('the client refuses a message above its limit from a server', async () => {
    const protocol = await loadProtocol()
    const server = new protocol.grpc.Server()
    server.addService(protocol.proto.syncflow.v1.Syncflow.service, {
      Hello: (_c: unknown, cb: (e: null, r: unknown) => void) =>
        cb(null, { protocol: PROTOCOL_VERSION, serverVersion: 'big', rootExists: true, features: [] }),
      Read: (c: { write(m: unknown): void; end(): void }) => {
        c.write({ data: Buffer.alloc(2 << 20) })
        c.end()
      },
    } as never)
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', protocol.grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    )
    cleanups.push(() => server.forceShutdown())
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, maxMessageBytes: 1 << 20 })
    cleanups.push(() => b.close())
    await expect(b.read('f.bin' as RelPath)).rejects.toMatchObject({ code: 'TRANSIENT' })
  })
})
