import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createWholeFileHasher, type DeltaOp, type RelPath } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { OPS_MESSAGE_BYTES } from '../src/wire/op-codec.js'
import { pseudoRandom, startTestServer } from './helpers.js'

// QA 10 #1: a client that cancelled a patch just as the server's write of it began took the server
// down (an AbortError emitted on the patched stream, which no one listened to). The client here
// cancels its patch one more turn of the event loop later each time, so that some cancels land in
// that window; the server must answer each with ABORTED and go on serving.

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const BLOCK = 4096

describe('patches cancelled by their client', () => {
  it('cancelled at any point of their start, again and again: each ends ABORTED, the server keeps serving', async () => {
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown) => uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    cleanups.push(async () => {
      process.off('uncaughtException', onUncaught)
    })
    const srv = await startTestServer()
    cleanups.push(srv.stop)
    const base = pseudoRandom(1 << 20, 41)
    await writeFile(join(srv.dir, 'f.bin'), base)
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/` })
    cleanups.push(() => b.close())

    for (let round = 0; round < 3; round++) {
      for (let turns = 0; turns < 25; turns++) {
        const abort = new AbortController()
        let sent: () => void = () => {}
        const opsSent = new Promise<void>((resolve) => {
          sent = resolve
        })
        // A patch whose first ops (a copy and a literal big enough to be sent at once) reach the
        // server, and whose rest never comes: the client cancels it instead.
        const ops = (async function* (): AsyncGenerator<DeltaOp> {
          yield { type: 'copy', index: 0, count: 1 }
          yield { type: 'literal', data: Buffer.alloc(OPS_MESSAGE_BYTES, 1) }
          sent()
          await new Promise((resolve) => abort.signal.addEventListener('abort', resolve, { once: true }))
        })()
        const patching = b.patch('f.bin' as RelPath, BLOCK, ops, { mtimeMs: 1 }, { signal: abort.signal })
        await opsSent
        for (let i = 0; i < turns; i++) await new Promise(setImmediate)
        abort.abort()
        expect((await rejectionOf(patching)) as unknown, `cancelled after ${turns} turns`).toMatchObject({
          code: 'ABORTED',
        })
        expect(uncaught, `round ${round}, cancelled after ${turns} turns`).toEqual([])
      }
    }

    // Still serving: a whole patch goes through, and no cancelled one left a temp file behind.
    const data = Buffer.concat([base.subarray(0, BLOCK), Buffer.from('the end')])
    const h = await createWholeFileHasher()
    h.update(data)
    const ops = (async function* (): AsyncGenerator<DeltaOp> {
      yield { type: 'copy', index: 0, count: 1 }
      yield { type: 'literal', data: Buffer.from('the end') }
      yield { type: 'end', size: data.length, xxh128: h.hex() }
    })()
    await b.patch('f.bin' as RelPath, BLOCK, ops, { mtimeMs: 1 })
    expect((await readFile(join(srv.dir, 'f.bin'))).equals(data)).toBe(true)
    await expect.poll(() => readdir(srv.dir), { timeout: 10_000 }).toEqual(['f.bin'])
    expect(uncaught).toEqual([])
  })
})
