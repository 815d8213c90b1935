import type { Readable } from 'node:stream'
import { type Backend, createWholeFileHasher, type RelPath, SyncError, type WriteOptions } from '@syncflow/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { ServedTree } from '../src/server/served-tree.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { serveService, stopServices } from './service-harness.js'

// A client that goes away after sending a whole upload must not have it committed afterwards: it
// will retry, and the abandoned attempt landing behind its back would meet the retry as a
// CONFLICT. The served backend here holds every write at its commit point (after the body, before
// the rename) until the signal it was given aborts, so the test sees the wiring deterministically.

/** A served tree whose backend's writes wait, once their body is read, for their signal to abort. */
function holdingTree() {
  const writes: Array<{ path: string; bytes: number; signal: AbortSignal | undefined }> = []
  let arrived: () => void = () => {}
  const writeArrived = new Promise<void>((r) => {
    arrived = r
  })
  const backend = {
    async write(path: RelPath, body: Readable, _meta: unknown, opts: WriteOptions = {}) {
      let bytes = 0
      for await (const c of body) bytes += (c as Buffer).length
      const w = { path, bytes, signal: opts.signal }
      writes.push(w)
      arrived()
      await new Promise<void>((resolve) => {
        if (opts.signal?.aborted) resolve()
        opts.signal?.addEventListener('abort', () => resolve(), { once: true })
      })
      throw new SyncError('TRANSIENT', 'aborted before the rename')
    },
  } as unknown as Backend
  const tree: ServedTree = {
    backend: async () => backend,
    checkParents: async () => {},
    lstat: async () => undefined,
    readFile: async () => {
      throw new SyncError('NOT_FOUND', 'no base in this test')
    },
    scanFile: () => {
      throw new SyncError('NOT_FOUND', 'no base in this test')
    },
    openBase: async () => {
      throw new SyncError('NOT_FOUND', 'no base in this test')
    },
    rootChain: async () => ({ exists: false, ids: [] }),
    close: async () => {},
  }
  return { tree, writes, writeArrived }
}

afterEach(() => stopServices())

describe('a call abandoned by its client', () => {
  it('Write: the server aborts the write at its commit point when the client cancels', async () => {
    const { tree, writes, writeArrived } = holdingTree()
    const c = await serveService(tree)
    const protocol = await loadProtocol()
    const call = c.Write(new protocol.grpc.Metadata(), () => {})
    call.write({ header: { root: '', path: 'f.bin', meta: { mtimeMs: 1, hashes: {} } } })
    call.write({ data: Buffer.alloc(1000, 1) })
    call.write({ end: { size: 1000 } })
    call.end()
    await writeArrived
    expect(writes).toMatchObject([{ path: 'f.bin', bytes: 1000 }])
    expect(writes[0]!.signal?.aborted).toBe(false)
    call.cancel()
    await expect.poll(() => writes[0]!.signal?.aborted, { timeout: 10_000 }).toBe(true)
  })

  it('Patch: the same for a patch', async () => {
    const { tree, writes, writeArrived } = holdingTree()
    const c = await serveService(tree)
    const protocol = await loadProtocol()
    const h = await createWholeFileHasher()
    h.update(Buffer.from('hello'))
    const call = c.Patch(new protocol.grpc.Metadata(), () => {})
    call.write({
      header: { root: '', path: 'p.bin', blockSize: 1024, meta: { mtimeMs: 1, hashes: {} } },
      ops: [{ literal: Buffer.from('hello') }, { end: { size: 5, xxh128: h.hex() } }],
    })
    call.end()
    await writeArrived
    expect(writes).toMatchObject([{ path: 'p.bin', bytes: 5 }])
    call.cancel()
    await expect.poll(() => writes[0]!.signal?.aborted, { timeout: 10_000 }).toBe(true)
  })
})
