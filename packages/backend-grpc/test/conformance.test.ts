import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { afterAll, beforeAll, vi } from 'vitest'
import { filesBelow } from '../../backend-local/test/unreadable-dirs.js'
import { createGrpcBackend, type RunningServer, startServer } from '../src/index.js'

/**
 * Directories the server (in this process) cannot read: its local walk's readdir fails with
 * EACCES, as for a directory without read permission. The tests run as root, where `chmod 000`
 * denies nothing, so the failure is injected; what is tested is that the server reports it and the
 * client passes it to onError.
 */
const unreadable = vi.hoisted(() => new Set<string>())

vi.mock('node:fs', async (importOriginal) =>
  (await import('../../backend-local/test/unreadable-dirs.js')).fsWithUnreadableDirs(
    await importOriginal<typeof import('node:fs')>(),
    unreadable,
  ),
)

let dir: string
let server: RunningServer
let n = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grpc-conformance-'))
  server = await startServer({ root: dir, listen: '127.0.0.1:0' })
})

afterAll(async () => {
  await server?.close({ graceMs: 0 })
  await rm(dir, { recursive: true, force: true })
})

// One server for the file; each test gets its own directory below its root (grpc://…/tN/).
describeBackend(
  'grpc',
  async () => {
    const sub = `t${++n}`
    return {
      backend: await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/${sub}/` }),
      cleanup: () => {
        unreadable.clear()
        return rm(join(dir, sub), { recursive: true, force: true })
      },
    }
  },
  {
    // The served directory of the running test (tN).
    plantUnsafe: (_backend, name) => writeFile(join(dir, `t${n}`, name), 'x'),
    makeUnreadable: (_backend, sub) => {
      unreadable.add(join(dir, `t${n}`, sub))
    },
    // A directory below the served root that no test makes.
    missingRoot: () => createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/missing-${n}/` }),
    // What the server's directory holds (the server writes through its own temp files).
    listRaw: () => filesBelow(join(dir, `t${n}`)),
  },
)
