import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RelPath } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

it('a served file written to while a client reads it ends the read in TRANSIENT, not in a torn copy', async () => {
  const { server, dir, stop } = await startTestServer()
  try {
    const size = 32 * 1024 * 1024
    await writeFile(join(dir, 'big'), Buffer.alloc(size, 0x41))
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` })
    const stream = await b.read('big' as RelPath)
    // Flow control holds the server back until the client reads: the file changes before its end is read.
    await writeFile(join(dir, 'big'), Buffer.alloc(size, 0x42))
    const err = await rejectionOf(
      (async () => {
        for await (const _ of stream) {
          // discard
        }
      })(),
    )
    expect(err).toMatchObject({ code: 'TRANSIENT', message: expect.stringContaining('changed while it was read') })
    await b.close()
  } finally {
    await stop()
  }
})
