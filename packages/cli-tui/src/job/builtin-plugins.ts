import {
  type Backend,
  type BackendPlugin,
  BackendRegistry,
  type OpenOptions,
  SyncError,
  schemeOf,
} from '@syncflow/core'
import { remoteLookalike } from './remote-lookalike.js'

/** A backend shipped with syncflow, loaded on first use so local-only runs never import an SDK. */
interface BuiltinBackend {
  readonly name: string
  readonly schemes: readonly string[]
  /** The package that holds the plugin object. */
  readonly pkg: string
  /** The plugin object's export name. */
  readonly exportName: string
  /**
   * Imports the package. Built-ins spell the specifier out (`import('@syncflow/backend-s3')`) so that
   * the CLI bundle splits each backend into its own lazily loaded chunk sharing one copy of core; a
   * computed `import(pkg)` would load the package's own build, a second copy of core. [import(pkg)]
   */
  readonly load?: () => Promise<Record<string, unknown>>
}

/** The built-in backends: scheme → package. A package that is not installed gives a USAGE error. */
export const BUILTIN_BACKENDS: readonly BuiltinBackend[] = [
  {
    name: 'local',
    schemes: ['file'],
    pkg: '@syncflow/backend-local',
    exportName: 'localBackend',
    load: () => import('@syncflow/backend-local'),
  },
  {
    name: 's3',
    schemes: ['s3'],
    pkg: '@syncflow/backend-s3',
    exportName: 's3Backend',
    load: () => import('@syncflow/backend-s3'),
  },
  {
    name: 'grpc',
    schemes: ['grpc', 'grpcs'],
    pkg: '@syncflow/backend-grpc',
    exportName: 'grpcBackend',
    load: () => import('@syncflow/backend-grpc'),
  },
  {
    name: 'mem',
    schemes: ['mem'],
    pkg: '@syncflow/core',
    exportName: 'memBackend',
    load: () => import('@syncflow/core'),
  },
]

/**
 * True when a built-in backend opens `location` (a bare path, file://, s3://, grpc(s)://, mem://);
 * false for a `--plugin`'s scheme (or an unknown one), whose URIs syncflow knows nothing about.
 */
export function isBuiltinLocation(location: string): boolean {
  const scheme = schemeOf(location)
  return BUILTIN_BACKENDS.some((b) => b.schemes.includes(scheme))
}

/** A registry entry whose `open` imports the real plugin on first use (memoized). */
export function lazyPlugin(spec: BuiltinBackend): BackendPlugin {
  let loaded: Promise<BackendPlugin> | undefined
  const load = async (scheme: string): Promise<BackendPlugin> => {
    let mod: Record<string, unknown>
    try {
      mod = await (spec.load ? spec.load() : (import(spec.pkg) as Promise<Record<string, unknown>>))
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err
      throw new SyncError('USAGE', `${scheme}:// locations need the package ${spec.pkg}, which is not available`, {
        cause: err,
        hint: `Install it beside syncflow (npm install ${spec.pkg}), or build the workspace (npm run build).`,
      })
    }
    const plugin = mod[spec.exportName] as BackendPlugin | undefined
    if (typeof plugin?.open !== 'function') {
      throw new SyncError('UNSUPPORTED', `${spec.pkg} has no backend plugin "${spec.exportName}" for ${scheme}://`, {
        hint: `The installed ${spec.pkg} does not match this syncflow; install matching versions.`,
      })
    }
    return plugin
  }
  return {
    name: spec.name,
    schemes: spec.schemes,
    async open(uri: string, options: OpenOptions): Promise<Backend> {
      loaded ??= load(schemeOf(uri))
      return (await loaded).open(uri, options)
    },
  }
}

/** The CLI's registry: an unknown scheme's message speaks of `--plugin`, not of registerBackend. */
class CliRegistry extends BackendRegistry {
  override async open(uri: string, options: OpenOptions = {}): Promise<Backend> {
    const lookalike = remoteLookalike(uri, (name) => this.get(name) !== undefined)
    if (lookalike) throw lookalike
    const scheme = schemeOf(uri)
    if (uri !== '' && this.get(scheme) === undefined) {
      throw new SyncError('USAGE', `no backend for "${scheme}://" in location ${JSON.stringify(uri)}`, {
        // (Not mem: an in-memory store keeps nothing, and no location of the command line may be one.)
        hint: `Known schemes: ${this.schemes()
          .filter((s) => s !== 'mem')
          .join(
            ', ',
          )}. Check the spelling; a backend plugin adds more: --plugin NAME_OR_PATH (or "plugins" in the --config file).`,
      })
    }
    return super.open(uri, options)
  }
}

/** A registry with every built-in backend registered lazily. */
export function createBuiltinRegistry(): BackendRegistry {
  const registry = new CliRegistry()
  for (const spec of BUILTIN_BACKENDS) registry.register(lazyPlugin(spec))
  return registry
}
