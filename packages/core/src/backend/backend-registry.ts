import { SyncError } from '../errors/sync-error.js'
import type { Backend } from './backend.js'
import type { BackendPlugin, OpenOptions } from './backend-plugin.js'

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//

/** The scheme of a location: `s3` for `s3://b/p`, `file` for a bare path or `file://…`. */
export function schemeOf(uri: string): string {
  const m = SCHEME.exec(uri)
  return m?.[1] !== undefined ? m[1].toLowerCase() : 'file'
}

/** Maps URI schemes to plugins. The CLI uses the default registry; tests may make their own. */
export class BackendRegistry {
  readonly #plugins = new Map<string, BackendPlugin>()

  /** Adds a plugin for each of its schemes; a later registration of a scheme replaces the earlier. */
  register(plugin: BackendPlugin): void {
    for (const scheme of plugin.schemes) this.#plugins.set(scheme.toLowerCase(), plugin)
  }

  /** The plugin for a scheme, if any. */
  get(scheme: string): BackendPlugin | undefined {
    return this.#plugins.get(scheme.toLowerCase())
  }

  /** Registered schemes. */
  schemes(): string[] {
    return [...this.#plugins.keys()].sort()
  }

  /**
   * Opens a location with the plugin registered for its scheme.
   * @throws SyncError `USAGE` when no plugin handles the scheme.
   */
  async open(uri: string, options: OpenOptions = {}): Promise<Backend> {
    if (typeof uri !== 'string' || uri.length === 0) {
      throw new SyncError('USAGE', 'empty location', { hint: 'Give a path, or a URI such as s3://bucket/prefix.' })
    }
    const scheme = schemeOf(uri)
    const plugin = this.get(scheme)
    if (!plugin) {
      throw new SyncError('USAGE', `no backend for "${scheme}://" in location ${JSON.stringify(uri)}`, {
        hint: `Known schemes: ${this.schemes().join(', ') || '(none)'}. Check the spelling; a backend plugin adds more (registerBackend).`,
      })
    }
    return plugin.open(uri, options)
  }
}

/** The process-wide registry used by `registerBackend` and `openBackend`. */
export const defaultRegistry = new BackendRegistry()

/** Registers a plugin in the default registry. */
export function registerBackend(plugin: BackendPlugin): void {
  defaultRegistry.register(plugin)
}

/** Opens a location (`./dir`, `file:///x`, `s3://b/p`, `mem://x`, …) with the default registry. */
export function openBackend(uri: string, options?: OpenOptions): Promise<Backend> {
  return defaultRegistry.open(uri, options)
}
