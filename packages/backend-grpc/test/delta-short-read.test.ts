import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { createLocalBackend } from '@syncflow/backend-local'
import { deltaTransfer, type RelPath } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { pseudoRandom, startTestServer } from './helpers.js'

// QA 8 #1: an update through the delta read the source without holding it to its listed size, so
// a plugin's 1000-byte read of a 200000-byte entry was patched in (the whole-file check hashes the
// same short bytes) and replaced the server's good copy.

const p = (s: string) => s as RelPath
let srv: Awaited<ReturnType<typeof startTestServer>>
let remote: GrpcBackend
let localDir: string

beforeAll(async () => {
  srv = await startTestServer()
  remote = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/` })
  localDir = (await startTestServer()).dir // a temp dir (its server is not used)
})

afterAll(async () => {
  await remote?.close()
  await srv?.stop()
})

describe('a delta whose source read is not the listed size', () => {
  it.each([
    ['short', 1000],
    ['long', 200_005],
  ])('push, %s: fails CONFLICT, the server keeps its copy', async (name, n) => {
    const good = pseudoRandom(200_000, 3)
    await writeFile(join(srv.dir, `${name}.bin`), good)
    const next = pseudoRandom(200_000, 4)
    const local = createLocalBackend({ root: localDir })
    await writeFile(join(localDir, `${name}.bin`), next)
    // The source as a broken plugin's: it lists 200000 bytes, its read gives n.
    local.read = async () =>
      Readable.from([next.subarray(0, Math.min(n, next.length)), Buffer.alloc(Math.max(0, n - next.length))])
    const planned = await remote.stat(p(`${name}.bin`))
    const err = await rejectionOf(
      deltaTransfer(
        local,
        remote,
        p(`${name}.bin`),
        { mtimeMs: 1_700_000_000_000, size: 200_000 },
        { expect: planned! },
      ),
    )
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('local.read ('),
    })
    expect((err as Error).message).toContain(
      n < 200_000 ? `gave ${n} bytes where its listing gave 200000` : 'gave more than 200000 bytes',
    )
    expect((await readFile(join(srv.dir, `${name}.bin`))).equals(good)).toBe(true)
  })

  it('push, a local file truncated since it was listed (read through its fill): CONFLICT, the server keeps its copy', async () => {
    const good = pseudoRandom(200_000, 7)
    await writeFile(join(srv.dir, 'trunc.bin'), good)
    await writeFile(join(localDir, 'trunc.bin'), pseudoRandom(150_000, 8))
    const planned = await remote.stat(p('trunc.bin'))
    const err = await rejectionOf(
      deltaTransfer(
        createLocalBackend({ root: localDir }),
        remote,
        p('trunc.bin'),
        { mtimeMs: 1_700_000_000_000, size: 200_000 },
        { expect: planned! },
      ),
    )
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining(
        "local.read (trunc.bin): the source's read gave 150000 bytes where its listing gave 200000",
      ),
    })
    expect((await readFile(join(srv.dir, 'trunc.bin'))).equals(good)).toBe(true)
  })

  it.each([
    ['short', 1000],
    ['long', 200_500],
    ['empty', 0],
  ])(
    'push, %s in one chunk through a Transform (as a --plugin read is): CONFLICT, no unhandled error',
    async (name, n) => {
      const good = pseudoRandom(200_000, 9)
      await writeFile(join(srv.dir, `t-${name}.bin`), good)
      const local = createLocalBackend({ root: localDir })
      await writeFile(join(localDir, `t-${name}.bin`), pseudoRandom(200_000, 10))
      // QA 9 #1: the plugin guard's Transform ends with push(null) from its _final, where the check
      // destroyed it with nothing listening: the process died of an unhandled 'error'.
      local.read = async () => {
        const t = new PassThrough()
        t.end(Buffer.alloc(n, 0x61))
        return t
      }
      const planned = await remote.stat(p(`t-${name}.bin`))
      const err = await rejectionOf(
        deltaTransfer(
          local,
          remote,
          p(`t-${name}.bin`),
          { mtimeMs: 1_700_000_000_000, size: 200_000 },
          { expect: planned! },
        ),
      )
      expect(err).toMatchObject({ code: 'CONFLICT' })
      expect((await readFile(join(srv.dir, `t-${name}.bin`))).equals(good)).toBe(true)
    },
  )

  it('pull: a server file that changed size since it was listed is not written here', async () => {
    const old = pseudoRandom(200_000, 5)
    await writeFile(join(localDir, 'pull.bin'), old)
    // Listed at 200000 bytes; 150000 now.
    await writeFile(join(srv.dir, 'pull.bin'), pseudoRandom(150_000, 6))
    const local = createLocalBackend({ root: localDir })
    const planned = await local.stat(p('pull.bin'))
    const err = await rejectionOf(
      deltaTransfer(remote, local, p('pull.bin'), { mtimeMs: 1_700_000_000_000, size: 200_000 }, { expect: planned! }),
    )
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('gave 150000 bytes where its listing gave 200000'),
    })
    expect((await readFile(join(localDir, 'pull.bin'))).equals(old)).toBe(true)
  })
})
