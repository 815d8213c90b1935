import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { createLocalBackend } from '../src/index.js'

describeBackend(
  'local',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'syncflow-conformance-'))
    return { backend: createLocalBackend({ root }), cleanup: () => rm(root, { recursive: true, force: true }) }
  },
  { plantUnsafe: (backend, name) => writeFile(join(backend.uri, name), 'planted') },
)
