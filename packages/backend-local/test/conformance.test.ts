import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend } from '@syncflow/core/testkit'
import { vi } from 'vitest'
import { createLocalBackend } from '../src/index.js'

/**
 * Directories whose reading fails with EACCES, as one without read permission does. The tests run
 * as root, where `chmod 000` denies nothing (CAP_DAC_READ_SEARCH), so the failure is injected into
 * the readdir of the listing walk: the backend's own handling of it is what is tested.
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

/** The files below `root` (temp files included), relative to it. */
async function filesBelow(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(root.length + 1))
}

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
