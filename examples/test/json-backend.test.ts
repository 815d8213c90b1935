import { randomUUID } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { type Backend, MemoryStateStore, sync } from '@syncflow/core'
import { describeBackend, writeText } from '@syncflow/core/testkit'
import { lastValueFrom } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createJsonBackend } from '../json-backend.mjs'
import { tempDir } from './helpers/run-example.js'

// The example plugin passes the same conformance suite as the built-in backends: a few lines of wiring.
describeBackend(
  'json (example plugin)',
  // In the suite's own directory for the test (removed after it).
  ({ root }) => createJsonBackend({ file: join(root, 'tree.json') }),
  {
    skip: {
      largeFile: 'keeps every file in memory and in one JSON document: meant for small trees',
      unreadable: 'one JSON document, read whole: no part of the tree can be unreadable on its own',
    },
    // Edits the JSON file behind the backend's back, as a hand-edited file would.
    plantUnsafe: async (backend, name) => {
      const file = backend.file
      const doc = JSON.parse(await readFile(file, 'utf8')) as { files: Record<string, unknown> }
      doc.files[name] = { mtimeMs: 1_600_000_000_000, base64: '' }
      await writeFile(file, JSON.stringify(doc))
    },
    // A JSON file in a directory that does not exist (nothing is created before a write).
    missingRoot: () =>
      createJsonBackend({ file: join(tmpdir(), `syncflow-json-missing-${randomUUID()}`, 'tree.json') }),
    // The JSON file's directory (the test's own): the JSON file and any temp file beside it.
    listRaw: (backend) => readdir(dirname(backend.file)),
  },
)

describe('json backend with the engine', () => {
  it("a second backend on the same file sees the first one's sync", async () => {
    const dir = await tempDir('json-engine')
    try {
      const file = join(dir.path, 'tree.json')
      const a: Backend = createJsonBackend({ file: join(dir.path, 'a.json') })
      await writeText(a, 'x/y.txt', 'why')
      const b = createJsonBackend({ file })
      const done = await lastValueFrom(sync(a, b, { mode: 'mirror', state: new MemoryStateStore() }))
      expect(done.type === 'done' && done.summary.done.copy).toBe(1)
      const again = createJsonBackend({ file })
      expect(await again.stat('x/y.txt' as never)).toMatchObject({ size: 3 })
      await Promise.all([a.close(), b.close(), again.close()])
    } finally {
      await dir.cleanup()
    }
  })
})
