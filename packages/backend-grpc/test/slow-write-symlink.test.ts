import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { toRelPath } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// QA 31g #2: a Symlink onto a directory waited for every write below that directory to finish (the
// exclusive path lock), and while it waited, held every new write below it from every client. So
// one slow client uploading `d/big` made another client's copy, whose source has a symlink `d`,
// hang until that upload was done (46 s for 3 MB at 64 KiB/s; a request timeout and four retries
// for a bigger one), with the whole subtree frozen for the others meanwhile. A symlink never
// replaces a directory (the rename onto it fails): it is refused at once, as it would be after.

let srv: Awaited<ReturnType<typeof startTestServer>>
let slow: GrpcBackend
let other: GrpcBackend

beforeAll(async () => {
  srv = await startTestServer()
  await mkdir(join(srv.dir, 'd'))
  slow = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/` })
  other = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/` })
})

afterAll(async () => {
  await slow?.close()
  await other?.close()
  await srv?.stop()
})

describe('a symlink onto a directory while a slow client writes below it', () => {
  it('is refused CONFLICT at once, and neither blocks nor is blocked by the write', async () => {
    const body = new PassThrough()
    body.write(Buffer.alloc(64 * 1024, 7))
    const writing = slow.write(toRelPath('d/big'), body, { size: 128 * 1024, mtimeMs: Date.parse('2026-01-01') })
    // The upload is under way: its temp file is in d.
    await expect
      .poll(async () => (await readdir(join(srv.dir, 'd'))).some((n) => n.startsWith('.syncflow-tmp-')), {
        timeout: 10_000,
      })
      .toBe(true)

    await expect(other.symlink(toRelPath('d'), 'elsewhere')).rejects.toMatchObject({ code: 'CONFLICT' })
    // Nothing changed: d is the directory still, and another write below it goes through.
    await other.write(toRelPath('d/small'), PassThrough.from([Buffer.from('small')]), {
      size: 5,
      mtimeMs: Date.parse('2026-01-01'),
    })
    expect(await readFile(join(srv.dir, 'd/small'), 'utf8')).toBe('small')

    body.end(Buffer.alloc(64 * 1024, 7))
    await expect(writing).resolves.toMatchObject({ size: 128 * 1024 })
    expect((await readFile(join(srv.dir, 'd/big'))).length).toBe(128 * 1024)
  }, 20_000)
})
