import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { afterAll, beforeAll, vi } from 'vitest'
import { createGrpcBackend, type RunningServer, startServer } from '../src/index.js'

/**
 * Directories the server (in this process) cannot read: its local walk's readdir fails with
 * EACCES, as for a directory without read permission. The tests run as root, where `chmod 000`
 * denies nothing, so the failure is injected; what is tested is that the server reports it and the
 * client passes it to onError.
 */
const unreadable = vi.hoisted(() => new Set<string>())

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const readdirSync = ((path: Parameters<typeof fs.readdirSync>[0], options?: unknown) => {
    if (unreadable.has(String(path))) {
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), {
        errno: -13,
        code: 'EACCES',
        syscall: 'scandir',
        path: String(path),
      })
    }
    return fs.readdirSync(path, options as never)
  }) as typeof fs.readdirSync
  return { ...fs, readdirSync, default: { ...fs, readdirSync } }
})

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
    listRaw: async () => {
      const root = join(dir, `t${n}`)
      const entries = await readdir(root, { recursive: true, withFileTypes: true })
      return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    },
  },
)
