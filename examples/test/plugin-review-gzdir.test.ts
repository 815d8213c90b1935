import { randomUUID } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { createGzdirBackend } from '../plugin-review/gzdir-backend.mjs'

// The plugin-review backend, wired as examples/README.md and CONTRIBUTING.md say.
describeBackend('gzdir (plugin review)', ({ root }) => createGzdirBackend({ root: join(root, 'tree') }), {
  largeFileBytes: 8 * 1024 * 1024,
  missingRoot: () => createGzdirBackend({ root: join(tmpdir(), `gzdir-missing-${randomUUID()}`) }),
  listRaw: async (backend) =>
    (await readdir(backend.root, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name)),
})
