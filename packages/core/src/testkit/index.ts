// @syncflow/core/testkit: the backend conformance suite and helpers for backend tests.
// Needs vitest (an optional peer dependency of @syncflow/core).
export {
  collectStream,
  DEFAULT_TEST_MTIME_MS,
  hashStream,
  listAll,
  listFiles,
  listKeys,
  readBytes,
  readText,
  rejectionOf,
  writeText,
} from './backend-io.js'
export type { BackendFactory, BackendFactoryContext, DescribeBackendOptions, FreshBackend } from './describe-backend.js'
export { DEFAULT_LARGE_FILE_BYTES, describeBackend } from './describe-backend.js'
export { HOSTILE_PATHS, NORMALIZATION_PAIR, ODD_NAMES, ORDER_NAMES } from './names.js'
export { Prng, prngBytes, prngStream } from './prng-stream.js'
export type { ConformanceFeature } from './suite-context.js'
