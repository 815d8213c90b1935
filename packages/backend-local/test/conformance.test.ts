import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
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
  // In the suite's own directory (it removes it after the test): a path the backend let out of its
  // root would land where the path-safety tests see it.
  ({ root }) => ({
    backend: createLocalBackend({ root }),
    cleanup: () => {
      for (const dir of unreadable) if (dir.startsWith(root)) unreadable.delete(dir)
    },
  }),
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
