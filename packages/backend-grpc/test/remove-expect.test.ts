import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { Entry, RelPath } from '@syncflow/core'
import { afterEach, expect, it } from 'vitest'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// Two clients syncing into one `syncflow serve` root at once: a mirror's delete was re-checked by a
// Stat of the client's, then sent as a Remove that deleted whatever was there. A file another
// client wrote in that round trip was deleted after its write had been reported done (a lost
// file). The server now re-checks the planned entry itself, under the path's lock.

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function connect(port: number): Promise<GrpcBackend> {
  const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/` })
  cleanups.push(() => b.close())
  return b
}

async function listed(b: GrpcBackend, path: string): Promise<Entry> {
  for await (const e of b.list()) if (e.path === path) return e
  throw new Error(`${path} not listed`)
}

it('a delete whose file another client rewrote since the listing fails CONFLICT and keeps the new file', async () => {
  const srv = await startTestServer()
  cleanups.push(srv.stop)
  await writeFile(join(srv.dir, 'x.txt'), 'old')
  const mirror = await connect(srv.server.port)
  const other = await connect(srv.server.port)
  const planned = await listed(mirror, 'x.txt')

  // The other client's write lands after the mirror planned the delete of the old x.txt.
  await other.write('x.txt' as RelPath, Readable.from([Buffer.from('new, from the other client')]), {
    size: 26,
    mtimeMs: 1_700_000_000_000,
  })
  const err = await mirror.remove('x.txt' as RelPath, { expect: planned }).catch((e: unknown) => e)

  expect(err).toMatchObject({ code: 'CONFLICT', path: 'x.txt' })
  expect(await readFile(join(srv.dir, 'x.txt'), 'utf8')).toBe('new, from the other client')
  // (So the engine gives the planned entry to the delete instead of a Stat of its own.)
  expect(mirror.capabilities.removeExpect).toBe(true)
})

it('a delete whose file is still the one planned removes it; one already gone is no error', async () => {
  const srv = await startTestServer()
  cleanups.push(srv.stop)
  await writeFile(join(srv.dir, 'x.txt'), 'old')
  const mirror = await connect(srv.server.port)
  const planned = await listed(mirror, 'x.txt')

  await mirror.remove('x.txt' as RelPath, { expect: planned })
  await expect(readFile(join(srv.dir, 'x.txt'))).rejects.toMatchObject({ code: 'ENOENT' })
  await mirror.remove('x.txt' as RelPath, { expect: planned })
})
