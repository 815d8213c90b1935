import { describeBackend } from '@syncflow/core/testkit'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'

// The testkit tests itself against the in-memory backend (as keyv's test-suite does).
describeBackend('mem', () => createMemBackend(), {
  plantUnsafe: (backend, name) => (backend as MemBackend).plantUnsafe(name),
})
