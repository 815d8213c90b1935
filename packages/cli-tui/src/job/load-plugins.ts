import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BackendPlugin, BackendRegistry } from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'

// `--plugin NAME_OR_PATH` (design §8): third-party backends for the command line. A path (absolute,
// or starting with ./ or ../) is a module file, or a package directory; a bare name is a package,
// looked up in the current directory's node_modules (and its parents'), then in syncflow's own.
// The module's default export, if it is a plugin or an array of plugins, is what it offers; else
// every named export that is one (or an array of them). Nothing else is loaded: a plugin module
// registers nothing at import time (BackendPlugin's contract), so loading one changes nothing else.

/** A URI scheme as `schemeOf` reads it (`json`, `my+scheme`), without `://`. */
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*$/

/**
 * Loads each `--plugin` module and registers its plugins in `registry`, beside the built-ins.
 * @throws SyncError `USAGE` naming the plugin and what to do: a module that cannot be found or
 * loaded, one that exports no plugin, a malformed plugin, or a scheme another backend has.
 */
export async function registerPlugins(
  registry: BackendRegistry,
  specs: readonly string[] | undefined,
  cwd: string = process.cwd(),
): Promise<void> {
  if (specs === undefined || specs.length === 0) return
  /** Scheme → the --plugin that registered it (to name both sides of a clash). */
  const claimed = new Map<string, { spec: string; plugin: BackendPlugin }>()
  const loaded = new Set<string>()
  for (const spec of specs) {
    const file = locate(spec, cwd)
    // The same module twice (a flag and the config file, or two spellings of one path): once.
    if (loaded.has(file)) continue
    loaded.add(file)
    for (const plugin of pluginsOf(spec, await importPlugin(spec, file))) {
      for (const raw of plugin.schemes) {
        const scheme = raw.toLowerCase()
        const mine = claimed.get(scheme)
        if (mine?.plugin === plugin) continue
        const existing = registry.get(scheme)
        if (mine !== undefined || existing !== undefined) {
          const other = mine
            ? `the plugin "${mine.plugin.name}" (--plugin ${mine.spec}) claims it too`
            : `syncflow's built-in "${existing?.name}" backend has it`
          throw usageError(
            `plugin ${spec} ("${plugin.name}") wants the scheme ${scheme}://, but ${other}`,
            'Two backends cannot share a scheme: leave one --plugin out (or out of the config file\'s "plugins"), or use a plugin with a scheme of its own.',
          )
        }
        claimed.set(scheme, { spec, plugin })
      }
      registry.register(plugin)
    }
  }
}

/** True for a spec that names a file or directory rather than a package. */
function isPath(spec: string): boolean {
  return isAbsolute(spec) || /^\.\.?([\\/]|$)/.test(spec)
}

/** The module file a spec names. */
function locate(spec: string, cwd: string): string {
  if (isPath(spec)) {
    const path = resolve(cwd, spec)
    const st = statSync(path, { throwIfNoEntry: false })
    if (st === undefined) {
      throw usageError(
        `plugin ${spec}: no such file (${path})`,
        'A --plugin path is relative to the current directory (in a config file, to that file): check it, or give an installed package name.',
      )
    }
    const entry = st.isDirectory() ? packageEntry(path) : path
    if (entry === undefined) {
      throw usageError(
        `plugin ${spec}: ${path} is a directory without a package.json entry point`,
        'Give the plugin module file itself (./my-backend.mjs), or a package directory whose package.json names its entry (exports or main).',
      )
    }
    return entry
  }
  const own = fileURLToPath(import.meta.url)
  for (const from of [join(cwd, 'package.json'), own]) {
    const found = resolvePackage(spec, from)
    if (found !== undefined) return found
  }
  throw usageError(
    `plugin ${spec}: no package of that name in ${join(cwd, 'node_modules')} (or a parent's), nor beside syncflow`,
    `Install it where you run syncflow (npm install ${spec}), or give the path to its module file (./${spec}.mjs: a path starts with ./, ../ or /).`,
  )
}

/**
 * The entry file of package `name` as resolved from the file `from`: its package.json's `exports`
 * for `import` (a plugin is loaded with import()), else what `require` resolves.
 */
function resolvePackage(name: string, from: string): string | undefined {
  const require = createRequire(from)
  if (!name.startsWith('.') && !name.includes('/', name.startsWith('@') ? name.indexOf('/') + 1 : 0)) {
    for (const dir of require.resolve.paths(name) ?? []) {
      const pkgDir = join(dir, name)
      if (!existsSync(join(pkgDir, 'package.json'))) continue
      const entry = packageEntry(pkgDir)
      if (entry !== undefined) return entry
      break
    }
  }
  try {
    return require.resolve(name)
  } catch {
    return undefined // not there, or it exports nothing to require: not found from here
  }
}

/** The file a package directory's package.json points an `import` at; undefined without one. */
function packageEntry(dir: string): string | undefined {
  let pkg: { exports?: unknown; main?: unknown }
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg
  } catch {
    return undefined
  }
  const target = exportFor(pkg.exports, true) ?? (typeof pkg.main === 'string' ? pkg.main : 'index.js')
  const file = resolve(dir, target)
  return statSync(file, { throwIfNoEntry: false })?.isFile() ? file : undefined
}

/** The target of an `exports` value for the package root under Node's import conditions. */
function exportFor(exports: unknown, top: boolean): string | undefined {
  if (typeof exports === 'string') return exports
  if (Array.isArray(exports)) {
    for (const item of exports) {
      const found = exportFor(item, false)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof exports !== 'object' || exports === null) return undefined
  const map = exports as Record<string, unknown>
  if (top && Object.keys(map).some((k) => k.startsWith('.'))) return exportFor(map['.'], false)
  // Conditions in the package's order; the first Node's import() would take wins.
  for (const [condition, value] of Object.entries(map)) {
    if (condition === 'import' || condition === 'node' || condition === 'default') {
      const found = exportFor(value, false)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** Imports a plugin module; its own failure becomes a USAGE error that names it. */
async function importPlugin(spec: string, file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(why)?.[1]
    throw usageError(
      `plugin ${spec} could not be loaded: ${why.split('\n')[0]}`,
      missing !== undefined
        ? `The plugin imports ${missing}, which is not installed where the plugin is: run npm install ${missing} beside it (a plugin's own node_modules or a parent's).`
        : `Fix the module (${file}), or leave --plugin ${spec} out.`,
    )
  }
}

/** True for a value shaped like a BackendPlugin: `{ name, schemes, open }`. */
function isPlugin(value: unknown): value is BackendPlugin {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<BackendPlugin>
  return typeof v.name === 'string' && Array.isArray(v.schemes) && typeof v.open === 'function'
}

/** The plugins a value offers: itself, or the plugins of an array. */
function pluginsIn(value: unknown): BackendPlugin[] {
  if (isPlugin(value)) return [value]
  return Array.isArray(value) ? value.filter(isPlugin) : []
}

/** What a module offers: its default export's plugins, else its named exports' (a CommonJS module's too). */
function pluginsOf(spec: string, mod: Record<string, unknown>): BackendPlugin[] {
  let plugins = pluginsIn(mod.default)
  if (plugins.length === 0) {
    const named = Object.entries(mod).filter(([k]) => k !== 'default')
    // A CommonJS module's exports object is its default; its names may not all be detected as named exports.
    const cjs = typeof mod.default === 'object' && mod.default !== null ? Object.entries(mod.default) : []
    plugins = [...new Set([...named, ...cjs].flatMap(([, v]) => pluginsIn(v)))]
  }
  if (plugins.length === 0) {
    throw usageError(
      `plugin ${spec} exports no backend plugin`,
      'A plugin module exports { name, schemes, open } (its default export, or a named one): see "Writing a backend" in CONTRIBUTING.md.',
    )
  }
  for (const plugin of plugins) {
    const bad = plugin.schemes.find((s) => typeof s !== 'string' || !SCHEME.test(s))
    if (plugin.schemes.length === 0 || bad !== undefined) {
      throw usageError(
        `plugin ${spec} ("${plugin.name}") has ${bad === undefined ? 'no scheme' : `the scheme ${JSON.stringify(bad)}, which is not a URI scheme`}`,
        'Its schemes are URI schemes without "://", e.g. schemes: ["json"] for json://…: fix the plugin.',
      )
    }
  }
  return plugins
}
