import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startProxy, startTestServer } from './helpers.js'

let srv: Awaited<ReturnType<typeof startTestServer>>
let proxy: Awaited<ReturnType<typeof startProxy>>

beforeAll(async () => {
  srv = await startTestServer({ compress: true })
  proxy = await startProxy(srv.server.port)
})

afterAll(async () => {
  await proxy?.close()
  await srv?.stop()
})

// 4 MiB of text: compresses well.
const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(100_000))

describe('--compress', () => {
  it('gzips uploads (client side) and downloads (server side)', async () => {
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${proxy.port}/`, compress: true })
    proxy.reset()
    await b.write('up.txt' as RelPath, Readable.from([text]), { mtimeMs: 1_700_000_000_000 })
    expect(proxy.up()).toBeLessThan(text.length / 10)
    expect((await readFile(join(srv.dir, 'up.txt'))).equals(text)).toBe(true)

    await writeFile(join(srv.dir, 'down.txt'), text)
    proxy.reset()
    const parts: Buffer[] = []
    for await (const c of await b.read('down.txt' as RelPath)) parts.push(c as Buffer)
    expect(Buffer.concat(parts).equals(text)).toBe(true)
    expect(proxy.down()).toBeLessThan(text.length / 10)
    await b.close()
  })

  it('without --compress on the client, uploads go as they are (and still work)', async () => {
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${proxy.port}/` })
    proxy.reset()
    await b.write('plain.txt' as RelPath, Readable.from([text]), { mtimeMs: 1_700_000_000_000 })
    expect(proxy.up()).toBeGreaterThan(text.length)
    await b.close()
  })

  it('a client with --compress gets gzipped downloads from a server without it', async () => {
    const plain = await startTestServer()
    const p2 = await startProxy(plain.server.port)
    try {
      await writeFile(join(plain.dir, 'down.txt'), text)
      const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${p2.port}/`, compress: true })
      p2.reset()
      const parts: Buffer[] = []
      for await (const c of await b.read('down.txt' as RelPath, { offset: 10, length: 3_000_000 }))
        parts.push(c as Buffer)
      expect(Buffer.concat(parts).equals(text.subarray(10, 3_000_010))).toBe(true)
      expect(p2.down()).toBeLessThan(300_000)
      await b.close()
    } finally {
      await p2.close()
      await plain.stop()
    }
  })
})
