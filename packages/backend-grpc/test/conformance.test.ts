import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { afterAll, beforeAll } from 'vitest'
import { createGrpcBackend, type RunningServer, startServer } from '../src/index.js'

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
      cleanup: () => rm(join(dir, sub), { recursive: true, force: true }),
    }
  },
  {
    plantUnsafe: (_backend, name) => writeFile(join(dir, `t${n}`, name), 'x'),
  },
)
