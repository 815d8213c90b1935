import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { vi } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { filesBelow } from './unreadable-dirs.js'

/**
 * Directories whose reading fails with EACCES, as one without read permission does. The tests run
 * as root, where `chmod 000` denies nothing (CAP_DAC_READ_SEARCH), so the failure is injected into
 * the readdir of the listing walk: the backend's own handling of it is what is tested.
 */
const unreadable = vi.hoisted(() => new Set<string>())

vi.mock('node:fs', async (importOriginal) =>
  (await import('./unreadable-dirs.js')).fsWithUnreadableDirs(
    await importOriginal<typeof import('node:fs')>(),
    unreadable,
  ),
)

describeBackend(
  'local',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'syncflow-conformance-'))
    return {
      backend: createLocalBackend({ root }),
      cleanup: async () => {
        for (const dir of unreadable) if (dir.startsWith(root)) unreadable.delete(dir)
        await rm(root, { recursive: true, force: true })
      },
    }
  },
  {
    plantUnsafe: (backend, name) => writeFile(join(backend.uri, name), 'planted'),
    makeUnreadable: (backend, dir) => {
      unreadable.add(join(backend.uri, dir))
    },
    // Never created: rootExists must not make it either.
    missingRoot: () => createLocalBackend({ root: join(tmpdir(), `syncflow-conformance-missing-${randomUUID()}`) }),
    listRaw: (backend) => filesBelow(backend.uri),
  },
)
