import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { vi } from 'vitest'
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

/** The running test's served directory (the suite's ctx.root) and its server. */
let current: { root: string; server: RunningServer } | undefined
const served = (): { root: string; server: RunningServer } => {
  if (!current) throw new Error('no conformance test is running')
  return current
}

// Each test serves its own root, the directory the suite gives it (ctx.root, two levels down in a
// scratch directory of its own): a path that the client and the server both failed to refuse
// (`../x`) lands there, where the path-safety tests name it, not elsewhere on the machine.
describeBackend(
  'grpc',
  async ({ root }) => {
    const server = await startServer({ root, listen: '127.0.0.1:0' })
    current = { root, server }
    return {
      backend: await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` }),
      cleanup: async () => {
        unreadable.clear()
        current = undefined
        await server.close({ graceMs: 0 })
      },
    }
  },
  {
    // The served directory of the running test.
    plantUnsafe: (_backend, name) => writeFile(join(served().root, name), 'x'),
    makeUnreadable: (_backend, sub) => {
      unreadable.add(join(served().root, sub))
    },
    // A directory below the served root that no test makes.
    missingRoot: () => createGrpcBackend({ uri: `grpc://127.0.0.1:${served().server.port}/missing/` }),
    // What the server's directory holds (the server writes through its own temp files).
    listRaw: () => filesBelow(served().root),
  },
)
