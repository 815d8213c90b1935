import type { Backend } from './backend.js'

/**
 * Options passed to `BackendPlugin.open`. Common keys are typed; backends read their own keys
 * (e.g. `s3Endpoint`, `token`, `symlinks`) and ignore the rest.
 */
export interface OpenOptions {
  /** Symlink policy for backends with symlinks: `preserve` (default), `follow`, `skip`. */
  readonly symlinks?: 'skip' | 'follow' | 'preserve'
  /** The run writes nothing: backends must not clean up either (stale temps, abandoned uploads). */
  readonly dryRun?: boolean
  /** Extra verbosity for diagnostics. */
  readonly verbose?: boolean
  /**
   * I/O timeout, ms (the CLI's `--timeout`): a network backend fails a call `TRANSIENT` when its
   * server sends or takes nothing for this long while it waits on it. [the backend's default]
   */
  readonly ioTimeoutMs?: number
  /** Connection timeout, ms (the CLI's `--contimeout`): give up connecting after this long. [the backend's default] */
  readonly connectTimeoutMs?: number
  readonly [key: string]: unknown
}

/**
 * A backend plugin: a plain object that registers nothing at import time.
 * `schemes` are URI schemes without `:` (`s3`, `grpc`); the local backend also claims `file`.
 */
export interface BackendPlugin {
  readonly name: string
  readonly schemes: readonly string[]
  open(uri: string, options: OpenOptions): Promise<Backend>
}
