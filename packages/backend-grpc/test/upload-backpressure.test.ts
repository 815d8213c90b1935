import type { Readable } from 'node:stream'
import { type Backend, SyncError } from '@syncflow/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { ServedTree } from '../src/server/served-tree.js'
import { UPLOAD_READ_AHEAD_CHUNKS } from '../src/server/upload-body.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { serveService, stopServices } from './service-harness.js'

afterEach(() => stopServices())

describe('an upload to a server whose disk is slower than the network', () => {
  it('is read ahead of the writer by a few chunks only, not buffered whole', async () => {
    // The served backend takes one chunk and then stalls, like a disk that cannot keep up.
    let body: Readable | undefined
    let release: () => void = () => {}
    const stalled = new Promise<void>((r) => {
      release = r
    })
    const backend = {
      async write(_path: string, b: Readable) {
        body = b
        await b[Symbol.asyncIterator]().next() // one chunk, and the stream left open
        await stalled
        throw new SyncError('TRANSIENT', 'test over')
      },
    } as unknown as Backend
    const tree: ServedTree = {
      backend: async () => backend,
      checkParents: async () => {},
      lstat: async () => undefined,
      readFile: async () => Promise.reject(new Error('unused')),
      scanFile: () => {
        throw new Error('unused')
      },
      openBase: async () => Promise.reject(new Error('unused')),
      rootChain: async () => ({ exists: false, ids: [] }),
      close: async () => {},
    }
    const client = await serveService(tree)
    const protocol = await loadProtocol()
    const call = client.Write(new protocol.grpc.Metadata(), () => {})
    call.write({ header: { root: '', path: 'big.bin', meta: { mtimeMs: 1, hashes: {} } } })
    // 64 MiB queued on the client at once: only flow control can keep it out of the server's memory.
    const chunk = Buffer.alloc(256 * 1024, 7)
    for (let i = 0; i < 256; i++) call.write({ data: chunk })
    await expect.poll(() => body?.readableLength, { timeout: 10_000 }).toBe(UPLOAD_READ_AHEAD_CHUNKS)
    expect(body?.readableObjectMode).toBe(true)
    expect(body?.readableHighWaterMark).toBe(UPLOAD_READ_AHEAD_CHUNKS)
    call.cancel()
    release()
  })
})
