import { randomUUID } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { createGzdirBackend } from '../gzdir-backend.mjs'

// The gzdir backend (a plugin written from the public docs alone), wired as examples/README.md and CONTRIBUTING.md say.
describeBackend('gzdir (example plugin)', ({ root }) => createGzdirBackend({ root: join(root, 'tree') }), {
  largeFileBytes: 8 * 1024 * 1024,
  missingRoot: () => createGzdirBackend({ root: join(tmpdir(), `gzdir-missing-${randomUUID()}`) }),
  listRaw: async (backend) =>
    (await readdir(backend.root, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name)),
})
