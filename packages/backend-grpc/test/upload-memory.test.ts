import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { RelPath } from '@syncflow/core'
import { expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// QA 29a: `sendAll` raced every message against the call's answer, a promise that settles only
// when the call ends; each race left a reaction on it that held the message, so an upload kept
// every byte it had sent in memory until its end (a 2 GiB file to grpc:// took 2.2 GB of RSS).

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const MiB = 1024 * 1024

it('an upload does not hold the chunks it has sent until the call ends', async () => {
  const { server, dir, stop } = await startTestServer()
  const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` })
  try {
    const chunks = 64
    const early = 16
    const sent: WeakRef<ArrayBuffer>[] = []
    let alive: number | undefined
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < chunks; i++) {
        if (i === 48) {
          // Far past the first 16: only flow control's few MiB may still be on their way. A macrotask
          // first, so the WeakRefs made in earlier jobs no longer keep their targets.
          await new Promise((r) => setImmediate(r))
          gc()
          alive = sent.slice(0, early).filter((w) => w.deref() !== undefined).length
        }
        const chunk = Buffer.alloc(MiB, i)
        sent.push(new WeakRef(chunk.buffer as ArrayBuffer))
        yield chunk
      }
    }
    await b.write('big' as RelPath, Readable.from(body()), { mtimeMs: 1_700_000_000_000, mode: 0o644 })
    expect((await readFile(join(dir, 'big'))).length).toBe(chunks * MiB)
    // Before the fix all 16 were still held here.
    expect(alive).toBe(0)
  } finally {
    await b.close()
    await stop()
  }
})
