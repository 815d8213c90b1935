import { SyncError } from '../errors/sync-error.js'
import type { Backend } from './backend.js'
import type { BackendPlugin, OpenOptions } from './backend-plugin.js'

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//
/** A URI scheme as `schemeOf` reads it (`json`, `my+scheme`), without `://`. */
const SCHEME_NAME = /^[a-zA-Z][a-zA-Z0-9+.-]*$/

/** The scheme of a location: `s3` for `s3://b/p`, `file` for a bare path or `file://…`. */
export function schemeOf(uri: string): string {
  const m = SCHEME.exec(uri)
  return m?.[1] !== undefined ? m[1].toLowerCase() : 'file'
}

/** Maps URI schemes to plugins. The CLI uses the default registry; tests may make their own. */
export class BackendRegistry {
  readonly #plugins = new Map<string, BackendPlugin>()

  /**
   * What is wrong with a value meant as a `BackendPlugin`, one phrase per member (`"schemes" must
   * be an array of URI schemes, not the string "flat"`); empty for a well-formed plugin. `register`
   * refuses a plugin with problems; the CLI's `--plugin` loader says the same of a module's export.
   */
  static pluginProblems(value: unknown): string[] {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return [`it is ${describe(value)}, not a plugin object { name, schemes, open }`]
    }
    const { name, schemes, open } = value as Record<string, unknown>
    const problems: string[] = []
    if (name === undefined) problems.push('"name" is missing (a string naming the backend)')
    else if (typeof name !== 'string' || name.trim() === '') {
      problems.push(`"name" must be a non-empty string, not ${describe(name)}`)
    }
    if (schemes === undefined) {
      problems.push('"schemes" is missing (an array of URI schemes without "://", e.g. ["json"] for json://…)')
    } else if (!Array.isArray(schemes)) {
      problems.push(
        `"schemes" must be an array of URI schemes, not ${describe(schemes)}${typeof schemes === 'string' ? ` (write [${JSON.stringify(schemes)}])` : ''}`,
      )
    } else if (schemes.length === 0) {
      problems.push('"schemes" is empty: a plugin has at least one scheme')
    } else {
      for (const scheme of schemes) {
        if (typeof scheme !== 'string' || !SCHEME_NAME.test(scheme)) {
          problems.push(
            `"schemes" has ${typeof scheme === 'string' ? JSON.stringify(scheme) : describe(scheme)}, which is not a URI scheme (a letter, then letters, digits, +, - or ., without "://")`,
          )
        }
      }
    }
    if (open === undefined) problems.push('"open" is missing (a function open(uri, options) resolving to a Backend)')
    else if (typeof open !== 'function') problems.push(`"open" must be a function, not ${describe(open)}`)
    return problems
  }

  /**
   * Adds a plugin for each of its schemes; a later registration of a scheme replaces the earlier.
   * @throws SyncError `USAGE` for a malformed plugin (see `pluginProblems`), registering nothing.
   */
  register(plugin: BackendPlugin): void {
    const problems = BackendRegistry.pluginProblems(plugin)
    if (problems.length > 0) {
      const name = (plugin as { name?: unknown } | null)?.name
      throw new SyncError(
        'USAGE',
        `cannot register the backend plugin${typeof name === 'string' ? ` ${JSON.stringify(name)}` : ''}: ${problems.join('; ')}`,
        {
          hint: 'A BackendPlugin is { name, schemes, open }: schemes are URI schemes without "://" (["json"] for json://…); see "Writing a backend" in CONTRIBUTING.md.',
        },
      )
    }
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

/** A value as a message shows it: `the string "flat"`, `a function`, `undefined`. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (value === null || value === undefined || typeof value !== 'object') return String(value)
  return 'an object'
}

/** The process-wide registry used by `registerBackend` and `openBackend`. */
export const defaultRegistry = new BackendRegistry()

/** Registers a plugin in the default registry. */
export function registerBackend(plugin: BackendPlugin): void {
  defaultRegistry.register(plugin)
}

/**
 * Opens a location with the default registry, which starts empty: only the schemes registered with
 * `registerBackend` open (`memBackend` of this package for `mem://`, `localBackend` of
 * `@syncflow/backend-local` for `./dir` and `file://`, `s3Backend` of `@syncflow/backend-s3`, …).
 */
export function openBackend(uri: string, options?: OpenOptions): Promise<Backend> {
  return defaultRegistry.open(uri, options)
}
