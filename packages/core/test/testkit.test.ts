import { describeBackend } from '@syncflow/core/testkit'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'

// The testkit tests itself against the in-memory backend (as keyv's test-suite does)…
describeBackend('mem', () => createMemBackend(), {
  plantUnsafe: (backend, name) => (backend as MemBackend).plantUnsafe(name),
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
    plantUnsafe: (backend, name) => (backend as MemBackend).plantUnsafe(name),
  },
)
