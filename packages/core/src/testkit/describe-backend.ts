import { afterEach, beforeEach, describe } from 'vitest'
import type { Backend } from '../backend/backend.js'
import { atomicityTests } from './conformance/atomicity-tests.js'
import { concurrencyTests } from './conformance/concurrency-tests.js'
import { largeFileTests } from './conformance/large-file-tests.js'
import { listingTests } from './conformance/listing-tests.js'
import { metadataTests } from './conformance/metadata-tests.js'
import { namesTests } from './conformance/names-tests.js'
import { optionalFeatureTests } from './conformance/optional-features-tests.js'
import { pathSafetyTests } from './conformance/path-safety-tests.js'
import { readWriteTests } from './conformance/read-write-tests.js'
import { type ConformanceFeature, suiteContext } from './suite-context.js'

/** A fresh, empty backend for one test, with an optional cleanup run after `close()`. */
export type FreshBackend = Backend | { readonly backend: Backend; readonly cleanup?: () => Promise<void> | void }

/** Makes a fresh, empty backend; called once per test. */
export type BackendFactory = () => FreshBackend | Promise<FreshBackend>

/** Options of `describeBackend`. */
export interface DescribeBackendOptions {
  /**
   * Parts of the suite the backend cannot pass, each with the reason (shown in the skipped test's
   * name, never a silent pass), e.g. `{ symlinks: 'S3 has no symlinks' }`. [none]
   */
  readonly skip?: Partial<Record<ConformanceFeature, string>>
  /** Size of the large-file test; at least 64 MiB for a real backend. [64 MiB] */
  readonly largeFileBytes?: number
  /**
   * Stores a file under a name the contract forbids (a control character: a tab, DEL), bypassing
   * the backend's own checks, so the suite can check that `list` reports it instead of yielding it.
   * [absent: that test is skipped, saying so]
   */
  readonly plantUnsafe?: (backend: Backend, name: string) => Promise<void> | void
}

/** The default size of the large-file test. */
export const DEFAULT_LARGE_FILE_BYTES = 64 * 1024 * 1024

/**
 * Registers the backend conformance suite (vitest): ordering, atomic writes and the `expect`
 * re-check, idempotent remove, metadata round-trips, path safety, empty and large files, odd
 * names, concurrent writes and every optional feature the backend has. Every test gets a fresh
 * backend from `factory`, closed (and cleaned up) after it.
 *
 * @example
 * describeBackend('local', async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'conformance-'))
 *   return { backend: createLocalBackend({ root: dir }), cleanup: () => rm(dir, { recursive: true }) }
 * })
 */
export function describeBackend(name: string, factory: BackendFactory, options: DescribeBackendOptions = {}): void {
  describe(`backend conformance: ${name}`, () => {
    let current: { backend: Backend; cleanup?: () => Promise<void> | void } | undefined

    beforeEach(async () => {
      const fresh = await factory()
      current = 'backend' in fresh && !('uri' in fresh) ? fresh : { backend: fresh as Backend }
    })

    afterEach(async () => {
      const done = current
      current = undefined
      if (!done) return
      try {
        await done.backend.close()
      } finally {
        await done.cleanup?.()
      }
    })

    const s = suiteContext(
      () => {
        if (!current) throw new Error('describeBackend: no backend outside a test')
        return current.backend
      },
      options.skip ?? {},
      options.largeFileBytes ?? DEFAULT_LARGE_FILE_BYTES,
      options.plantUnsafe,
    )
    listingTests(s)
    readWriteTests(s)
    atomicityTests(s)
    metadataTests(s)
    pathSafetyTests(s)
    namesTests(s)
    largeFileTests(s)
    concurrencyTests(s)
    optionalFeatureTests(s)
  })
}
