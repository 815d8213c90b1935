import { type Backend, type Entry, type RelPath, SyncError } from '@syncflow/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { ServedTree } from '../src/server/served-tree.js'
import { serveService, stopServices } from './service-harness.js'

// The server sends a signature on as it reads the file, after the size its stat gave: a file that
// grows or shrinks meanwhile must fail the call with CHECKSUM (the client then sends the file
// whole), never end with a signature of other bytes than the size announced.

const MIB = 1 << 20

/** A served tree whose one file stats at `statSize` bytes but reads as `readSize`, in 1 MiB chunks. */
function changingTree(statSize: number, readSize: number): ServedTree {
  const entry: Entry = { path: 'f.bin' as RelPath, kind: 'file', size: statSize, mtimeMs: 1 }
  const backend = { stat: async () => entry } as unknown as Backend
  const fail = async () => {
    throw new SyncError('NOT_FOUND', 'not in this test')
  }
  return {
    backend: async () => backend,
    checkParents: async () => {},
    lstat: async () => entry,
    readFile: fail,
    openBase: fail,
    async *scanFile() {
      const chunk = Buffer.alloc(MIB, 7)
      for (let off = 0; off < readSize; off += MIB) yield chunk.subarray(0, Math.min(MIB, readSize - off))
    },
    rootChain: async () => ({ exists: false, ids: [] }),
    close: async () => {},
  }
}

/** Runs Signature: the messages received and how the call ended. */
async function signature(tree: ServedTree, blockSize = 8192) {
  const c = await serveService(tree)
  const call = c.Signature({ root: '', path: 'f.bin', blockSize })
  const messages: Array<{ size?: number; weak: Buffer }> = []
  const ended = await new Promise<{ code?: string; ok: boolean }>((resolve) => {
    call.on('data', (m) => messages.push(m))
    call.on('error', (err: { metadata?: { get(k: string): unknown[] } }) =>
      resolve({ ok: false, code: String(err.metadata?.get('syncflow-code')[0]) }),
    )
    call.on('end', () => resolve({ ok: true }))
  })
  return { messages, ended }
}

afterEach(() => stopServices())

describe('Signature sent while the file is read', () => {
  it('sends it in batches, the size first, for a file that stays the same', async () => {
    const { messages, ended } = await signature(changingTree(10 * MIB, 10 * MIB))
    expect(ended).toEqual({ ok: true })
    expect(messages.length).toBeGreaterThan(1) // 1,024 blocks (8 MiB) a message
    expect(Number(messages[0]!.size)).toBe(10 * MIB)
    expect(messages.reduce((n, m) => n + m.weak.length / 4, 0)).toBe(1280)
  })

  it('fails with CHECKSUM, after batches already sent, when the file grew while read', async () => {
    const { messages, ended } = await signature(changingTree(9 * MIB, 10 * MIB))
    expect(ended).toEqual({ ok: false, code: 'CHECKSUM' })
    expect(messages.length).toBe(1) // the first 8 MiB went before the growth was seen
  })

  it('fails with CHECKSUM when the file shrank while read', async () => {
    const { ended } = await signature(changingTree(9 * MIB, 9 * MIB - 100))
    expect(ended).toEqual({ ok: false, code: 'CHECKSUM' })
  })
})

describe('Signature block size asked by a client', () => {
  // A signature costs the server ~12 bytes of memory (and a hash) per block: at 1-byte blocks a
  // 32 MiB file held ~800 MB and 18 s of CPU, from a request of a few bytes, and a 1 GiB file
  // would exhaust the server's memory. The CLI's --block-size starts at 64; so does the server.
  it('refuses a block size under 64 bytes (USAGE) before reading the file', async () => {
    let scanned = false
    const tree = changingTree(10 * MIB, 10 * MIB)
    const scanFile = tree.scanFile.bind(tree)
    tree.scanFile = (...args) => {
      scanned = true
      return scanFile(...args)
    }
    for (const blockSize of [1, 63]) {
      const { messages, ended } = await signature(tree, blockSize)
      expect(ended).toEqual({ ok: false, code: 'USAGE' })
      expect(messages).toEqual([])
    }
    expect(scanned).toBe(false)
  })

  it('takes 64 bytes, the smallest --block-size', async () => {
    const { messages, ended } = await signature(changingTree(MIB, MIB), 64)
    expect(ended).toEqual({ ok: true })
    expect(messages.reduce((n, m) => n + m.weak.length / 4, 0)).toBe(MIB / 64)
  })
})
