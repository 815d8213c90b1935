import { describeBackend } from '@syncflow/core/testkit'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { SyncError } from '../src/errors/sync-error.js'

/** A listing fault for `dir` and everything below it, as an unreadable directory is. */
function makeUnreadable(backend: MemBackend, dir: string): void {
  const before = backend.faults.list
  backend.faults = {
    ...backend.faults,
    list: (path) =>
      path === dir ? new SyncError('PERMISSION', 'permission denied', { op: 'mem.list', path }) : before?.(path),
  }
}

// The testkit tests itself against the in-memory backend (as keyv's test-suite does)…
describeBackend('mem', () => createMemBackend(), {
  plantUnsafe: (backend, name) => backend.plantUnsafe(name),
  makeUnreadable,
  // A sub-directory of a fresh store, which holds nothing yet.
  missingRoot: () => createMemBackend({ root: 'no/such/dir' }),
  // (No listRaw: a MemBackend keeps no temp files, so its test shows as skipped.)
})

// …and against the same backend made as weak as an object store (no directories, whole-second
// mtimes, upload time in listings, md5 only), so the suite does not assume a local filesystem.
describeBackend(
  'mem (object-store-like)',
  () =>
    createMemBackend({ capabilities: { emptyDirs: false, mtimePrecisionMs: 1000, listMtime: false, hashes: ['md5'] } }),
  {
    // Also exercises the opt-out mechanism: the symlink group shows as skipped with this reason.
    skip: { symlinks: 'emulating an object store, which has no symlinks' },
    largeFileBytes: 8 * 1024 * 1024,
    plantUnsafe: (backend, name) => backend.plantUnsafe(name),
    makeUnreadable,
    missingRoot: () => createMemBackend({ root: 'missing' }),
  },
)

// QA 36: a plugin in JavaScript (no type checker) with a misspelt opt-out, `{ largefile: … }`, opted
// out of nothing, without a word: the test it meant to skip ran (and failed, naming no key).
describe('describeBackend', () => {
  it('refuses a skip key that is no ConformanceFeature, naming the keys there are', () => {
    const skip = { largefile: 'keeps every file in memory' } as Record<string, string>
    expect(() => describeBackend('typo', () => createMemBackend(), { skip })).toThrow(
      'describeBackend("typo"): skip has "largefile", which opts out of nothing: the keys are symlinks, emptyDirs, mode, largeFile,',
    )
  })
})
