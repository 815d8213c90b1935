import {
  type Backend,
  type BackendPlugin,
  BackendRegistry,
  type OpenOptions,
  SyncError,
  schemeOf,
} from '@syncflow/core'

/** A backend shipped with syncflow, loaded on first use so local-only runs never import an SDK. */
interface BuiltinBackend {
  readonly name: string
  readonly schemes: readonly string[]
  /** The package that holds the plugin object. */
  readonly pkg: string
  /** The plugin object's export name. */
  readonly exportName: string
}

/** The built-in backends: scheme → package. A package that is not installed gives a USAGE error. */
export const BUILTIN_BACKENDS: readonly BuiltinBackend[] = [
  { name: 'local', schemes: ['file'], pkg: '@syncflow/backend-local', exportName: 'localBackend' },
  { name: 's3', schemes: ['s3'], pkg: '@syncflow/backend-s3', exportName: 's3Backend' },
  { name: 'grpc', schemes: ['grpc', 'grpcs'], pkg: '@syncflow/backend-grpc', exportName: 'grpcBackend' },
  { name: 'mem', schemes: ['mem'], pkg: '@syncflow/core', exportName: 'memBackend' },
]

/** A registry entry whose `open` imports the real plugin on first use (memoized). */
export function lazyPlugin(spec: BuiltinBackend): BackendPlugin {
  let loaded: Promise<BackendPlugin> | undefined
  const load = async (scheme: string): Promise<BackendPlugin> => {
    let mod: Record<string, unknown>
    try {
      mod = (await import(spec.pkg)) as Record<string, unknown>
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

/** A registry with every built-in backend registered lazily. */
export function createBuiltinRegistry(): BackendRegistry {
  const registry = new BackendRegistry()
  for (const spec of BUILTIN_BACKENDS) registry.register(lazyPlugin(spec))
  return registry
}
