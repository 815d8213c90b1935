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
import { ScratchDir } from './scratch-dir.js'
import {
  asFresh,
  CONFORMANCE_FEATURES,
  type ConformanceFeature,
  type SuiteHooks,
  suiteContext,
} from './suite-context.js'

/** A fresh, empty backend for one test, with an optional cleanup run after `close()`. */
export type FreshBackend<B extends Backend = Backend> =
  | B
  | { readonly backend: B; readonly cleanup?: () => Promise<void> | void }

/** What the suite gives `BackendFactory` for each test. */
export interface BackendFactoryContext {
  /**
   * An empty directory the suite made for this test, and removes after it (after the factory's
   * cleanup). A backend that keeps its files in a local directory, or serves one, should keep them
   * here: it lies two levels down in a scratch directory of the suite's own, so a path the backend
   * fails to refuse (`../x`, `/x`) lands there, where the path-safety tests find it and fail naming
   * it, and not elsewhere on the machine that runs the suite.
   */
  readonly root: string
}

/** Makes a fresh, empty backend (in `ctx.root` where it keeps files in a directory); called once per test. */
export type BackendFactory<B extends Backend = Backend> = (
  ctx: BackendFactoryContext,
) => FreshBackend<B> | Promise<FreshBackend<B>>

/**
 * Options of `describeBackend`. The hooks reach into the backend's own storage, behind its back;
 * each one that is absent makes its tests visible skips that name it, never silent passes.
 * `B` is the factory's backend type, so a hook gets the backend as its own class.
 */
export interface DescribeBackendOptions<B extends Backend = Backend> {
  /**
   * Parts of the suite the backend cannot pass, each with the reason (shown in the skipped test's
   * name, never a silent pass), e.g. `{ symlinks: 'S3 has no symlinks' }`. [none]
   */
  readonly skip?: Partial<Record<ConformanceFeature, string>>
  /** Size of the large-file test; at least 64 MiB for a real backend. [64 MiB] */
  readonly largeFileBytes?: number
  /**
   * Stores a file under a name the contract forbids (a control character: a tab, DEL), bypassing
   * the backend's own checks, so the suite can check that `list` reports it instead of yielding it,
   * and skips it without a word when `opts.excluded` excludes it.
   * [absent: those tests are skipped, saying so]
   */
  readonly plantUnsafe?: (backend: B, name: string) => Promise<void> | void
  /**
   * Makes the directory `dir` (relative to the root; it holds files) unreadable to the backend, as a
   * directory without read permission is, so the suite can check that `list` reports it to
   * `onError` (`PERMISSION`, naming `dir`) and lists the rest, or throws without `onError`: a
   * dropped sub-tree reads as "no files" and makes the engine delete the target's copies. Undone by
   * the factory's cleanup. (As root, `chmod 000` denies nothing: inject the failure where the
   * backend reads.) [absent: those tests are skipped, saying so; `skip.unreadable` gives the reason
   * when no part of the tree can be unreadable on its own]
   */
  readonly makeUnreadable?: (backend: B, dir: string) => Promise<void> | void
  /**
   * A backend of the same kind whose root does not exist (a missing directory, bucket or prefix),
   * closed and cleaned up after the test: its `rootExists()` must be false, or a missing source
   * reads as an empty tree and a mirror empties the target. [absent: that test is skipped, saying so]
   */
  readonly missingRoot?: () => FreshBackend | Promise<FreshBackend>
  /**
   * The files (objects) the backend's storage holds below its root, as raw names, including what
   * `list` never shows: temp files, unfinished multipart uploads (e.g. the files of a recursive
   * readdir of the root, or the keys and the uploads under the prefix). The suite checks that a
   * write whose body fails, or that is aborted, adds nothing to them. [absent: that test is
   * skipped, saying so]
   */
  readonly listRaw?: (backend: B) => Promise<readonly string[]> | readonly string[]
}

/** The default size of the large-file test. */
export const DEFAULT_LARGE_FILE_BYTES = 64 * 1024 * 1024

/**
 * Registers the backend conformance suite (vitest): ordering, atomic writes and the `expect`
 * re-check, idempotent remove, metadata round-trips, path safety, empty and large files, odd
 * names, concurrent writes, listing errors, `rootExists` and every optional feature the backend
 * has. Every test gets a fresh backend from `factory`, closed (and cleaned up) after it.
 *
 * @example
 * describeBackend('local', ({ root }) => createLocalBackend({ root }), {
 *   missingRoot: () => createLocalBackend({ root: join(tmpdir(), 'no-such-dir') }),
 * })
 */
export function describeBackend<B extends Backend>(
  name: string,
  factory: BackendFactory<B>,
  options: DescribeBackendOptions<B> = {},
): void {
  const unknown = Object.keys(options.skip ?? {}).filter((key) => !Object.hasOwn(CONFORMANCE_FEATURES, key))
  if (unknown.length > 0) {
    throw new Error(
      `describeBackend(${JSON.stringify(name)}): skip has ${unknown.map((k) => JSON.stringify(k)).join(', ')}, which ` +
        `opts out of nothing: the keys are ${Object.keys(CONFORMANCE_FEATURES).join(', ')} (ConformanceFeature)`,
    )
  }
  describe(`backend conformance: ${name}`, () => {
    let current: { backend: B; cleanup?: () => Promise<void> | void } | undefined
    let scratch: ScratchDir | undefined

    beforeEach(async () => {
      scratch = await ScratchDir.make()
      current = asFresh(await factory({ root: scratch.root }))
    })

    afterEach(async () => {
      const done = current
      const dir = scratch
      current = undefined
      scratch = undefined
      try {
        if (!done) return
        try {
          await done.backend.close()
        } finally {
          await done.cleanup?.()
        }
      } finally {
        await dir?.remove()
      }
    })

    // The suite calls each hook with the backend the factory made, so the casts are sound.
    const hooks: SuiteHooks = {
      plantUnsafe: options.plantUnsafe as SuiteHooks['plantUnsafe'],
      makeUnreadable: options.makeUnreadable as SuiteHooks['makeUnreadable'],
      missingRoot: options.missingRoot,
      listRaw: options.listRaw as SuiteHooks['listRaw'],
    }
    const s = suiteContext(
      () => {
        if (!current) throw new Error('describeBackend: no backend outside a test')
        return current.backend
      },
      options.skip ?? {},
      options.largeFileBytes ?? DEFAULT_LARGE_FILE_BYTES,
      hooks,
      () => {
        if (!scratch) throw new Error('describeBackend: no scratch directory outside a test')
        return scratch
      },
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
