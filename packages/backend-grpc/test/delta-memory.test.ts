import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignatureIndex } from '@syncflow/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SyncflowClient } from '../src/generated/syncflow/v1/Syncflow.js'
import { LocalTree } from '../src/server/local-tree.js'
import { SignatureBudget } from '../src/server/signature-budget.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { serveService, stopServices } from './service-harness.js'

// A Delta holds the whole signature the client sends until it has all of it: a header announcing
// 2^27 blocks of 1 byte let one call make the server hold 1.5 GiB as the client sent it (200 MB of
// RSS for 200 MB sent, measured), and nothing bounded how many such calls one client ran at once.
// Now the block size is checked as Signature's is, and all Deltas share one budget of memory.

type Failure = { code?: number; details?: string; metadata?: { get(k: string): unknown[] } } | null
type DeltaCall = ReturnType<SyncflowClient['Delta']>

let dir: string
let tree: LocalTree
let grpc: Awaited<ReturnType<typeof loadProtocol>>['grpc']
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grpc-delta-memory-'))
  await writeFile(join(dir, 'f.bin'), Buffer.alloc(1000, 1))
  tree = await LocalTree.open(dir)
  grpc = (await loadProtocol()).grpc
})
afterEach(() => stopServices())
afterAll(async () => {
  await tree?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** A Delta of f.bin against a signature of `blocks` blocks of `blockSize` (header sent; the blocks only if `send`). */
function delta(client: SyncflowClient, blockSize: number, blocks: number, send: boolean) {
  const call: DeltaCall = client.Delta()
  const outcome = new Promise<Failure | 'ok'>((resolve) => {
    call.on('data', () => {})
    call.on('error', (e: Failure) => resolve(e))
    call.on('end', () => resolve('ok'))
  })
  call.write({ header: { root: '', path: 'f.bin', blockSize, size: blocks * blockSize, strongBytes: 8 } })
  if (send) {
    call.write({ weak: Buffer.alloc(blocks * 4), strong: Buffer.alloc(blocks * 8) })
    call.end()
  }
  return { call, outcome }
}

describe('the signature a Delta call holds', () => {
  it('has blocks of 64 bytes to 1 MiB, as a Signature asked for', async () => {
    const client = await serveService(tree)
    for (const blockSize of [1, 63, 2 ** 20 + 1]) {
      const err = (await delta(client, blockSize, 1, true).outcome) as Failure
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT)
      expect(err?.metadata?.get('syncflow-code')).toEqual(['USAGE'])
      expect(err?.details).toContain(`block size ${blockSize} is out of range`)
    }
    expect(await delta(client, 64, 1, true).outcome).toBe('ok')
  })

  it('comes out of one budget for all calls: one that does not fit waits for room', async () => {
    // 10,000 blocks of 12 bytes, and the table that indexes them (302,144 bytes: more than the
    // signature itself): all the budget, held while the client sends nothing more.
    const hogBytes = 10_000 * 12 + SignatureIndex.bytesFor(640_000, 64)
    expect(hogBytes).toBe(422_144)
    const budget = new SignatureBudget({ capacity: hogBytes })
    const client = await serveService(tree, undefined, budget)
    const hog = delta(client, 64, 10_000, false)
    await expect.poll(() => budget.held).toBe(hogBytes)
    const next = delta(client, 64, 16, true)
    await expect.poll(() => budget.waiting).toBe(1)
    expect(budget.held).toBe(hogBytes)
    hog.call.cancel()
    expect(await next.outcome).toBe('ok')
    await expect.poll(() => budget.held).toBe(0)
  })

  it('larger than the whole budget, runs alone', async () => {
    const budget = new SignatureBudget({ capacity: 100 })
    const client = await serveService(tree, undefined, budget)
    expect(await delta(client, 64, 16, true).outcome).toBe('ok')
    expect(budget.held).toBe(0)
  })
})
