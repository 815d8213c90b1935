import { describe, it } from 'vitest'
import type { Backend } from '../backend/backend.js'
import type { FreshBackend } from './describe-backend.js'
import type { ScratchDir } from './scratch-dir.js'

/** Parts of the suite a backend can opt out of; the value of each opt-out is the reason, shown in the skip. */
export type ConformanceFeature =
  /** Symlink tests (also skipped at run time when `capabilities.symlinks` is false or `symlink()` is missing). */
  | 'symlinks'
  /** Directory tests (also skipped at run time when `capabilities.emptyDirs` is false or `mkdir()` is missing). */
  | 'emptyDirs'
  /** Permission bits (also skipped at run time when `capabilities.permissions` is false). */
  | 'mode'
  /** The large-file round trip. */
  | 'largeFile'
  /** NFC and NFD forms of a name kept as two files (a normalizing filesystem cannot). */
  | 'normalization'
  /** A file below a file, or a file over a directory, is `CONFLICT` (flat key spaces allow both). */
  | 'typeClash'
  /** Many writes at once. */
  | 'concurrentWrites'
  /**
   * An unreadable sub-tree is reported, not dropped (also skipped at run time without the
   * `makeUnreadable` option): opt out when no part of the tree can be unreadable on its own.
   */
  | 'unreadable'
  /** An unsafe name that `opts.excluded` excludes is skipped without an error (needs `plantUnsafe`). */
  | 'excludedNames'
  /**
   * `read(path, range, { expect })` of a file replaced since it was listed is `CONFLICT`, not the
   * new bytes under the old entry (checklist item 5): opt out where no check is cheap.
   */
  | 'readExpect'

/**
 * Every `ConformanceFeature`, for the check of `skip`'s keys at run time: a plugin written in
 * JavaScript has no type checker to catch `{ largefile: … }`, which would opt out of nothing.
 */
export const CONFORMANCE_FEATURES: Readonly<Record<ConformanceFeature, true>> = {
  symlinks: true,
  emptyDirs: true,
  mode: true,
  largeFile: true,
  normalization: true,
  typeClash: true,
  concurrentWrites: true,
  unreadable: true,
  excludedNames: true,
  readExpect: true,
}

/** Hooks of `describeBackend` into the backend's own storage (see `DescribeBackendOptions`). */
export interface SuiteHooks {
  readonly plantUnsafe?: ((backend: Backend, name: string) => Promise<void> | void) | undefined
  readonly makeUnreadable?: ((backend: Backend, dir: string) => Promise<void> | void) | undefined
  readonly missingRoot?: (() => FreshBackend | Promise<FreshBackend>) | undefined
  readonly listRaw?: ((backend: Backend) => Promise<readonly string[]> | readonly string[]) | undefined
}

/** What the suite needs while registering tests. */
export interface SuiteContext extends SuiteHooks {
  /** The fresh backend of the running test. */
  backend(): Backend
  /** The running test's scratch directory, whose `root` the factory was given. */
  scratch(): ScratchDir
  /** Registers a test, or a visible skip naming the reason when one of `needs` is opted out. */
  test(title: string, fn: SuiteTest, opts?: { needs?: readonly ConformanceFeature[]; timeout?: number }): void
  /** Registers a group, or a visible skipped group naming the reason when `need` is opted out. */
  group(title: string, body: () => void, need?: ConformanceFeature): void
  /** Bytes of the large-file test. */
  readonly largeFileBytes: number
}

/** A test body: gets the fresh backend and a `skip(reason)` for capabilities found missing at run time. */
export type SuiteTest = (backend: Backend, t: { skip(reason: string): never }) => Promise<void>

/** Builds the context of one `describeBackend` call. */
export function suiteContext(
  backend: () => Backend,
  skip: Partial<Record<ConformanceFeature, string>>,
  largeFileBytes: number,
  hooks: SuiteHooks,
  scratch: () => ScratchDir,
): SuiteContext {
  const reasonFor = (needs: readonly ConformanceFeature[] = []): string | undefined => {
    for (const need of needs) {
      const reason = skip[need]
      if (reason !== undefined) return `${need}: ${reason}`
    }
    return undefined
  }
  return {
    backend,
    scratch,
    largeFileBytes,
    plantUnsafe: hooks.plantUnsafe,
    makeUnreadable: hooks.makeUnreadable,
    missingRoot: hooks.missingRoot,
    listRaw: hooks.listRaw,
    test(title, fn, opts = {}) {
      const reason = reasonFor(opts.needs)
      if (reason !== undefined) {
        it.skip(`${title} [skipped: ${reason}]`, () => {})
        return
      }
      it(title, (ctx) => fn(backend(), { skip: (note: string) => ctx.skip(note) }), opts.timeout)
    },
    group(title, body, need) {
      const reason = need === undefined ? undefined : reasonFor([need])
      if (reason !== undefined) describe.skip(`${title} [skipped: ${reason}]`, body)
      else describe(title, body)
    },
  }
}

/** A factory's result as `{ backend, cleanup? }` (a Backend has a `uri`; the wrapper has none). */
export function asFresh<B extends Backend>(
  fresh: FreshBackend<B>,
): { backend: B; cleanup?: () => Promise<void> | void } {
  return 'backend' in fresh && !('uri' in fresh) ? fresh : { backend: fresh as B }
}
