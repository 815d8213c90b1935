import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type BackendPlugin, BackendRegistry, guardPlugin } from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'

// `--plugin NAME_OR_PATH` (design §8): third-party backends for the command line. A path (absolute,
// or starting with ./ or ../) is a module file, or a package directory; a bare name is a package,
// looked up in the current directory's node_modules (and its parents'), then in syncflow's own.
// The module's default export, if it is a plugin or an array of plugins, is what it offers; else
// every named export that is one (or an array of them). Nothing else is loaded: a plugin module
// registers nothing at import time (BackendPlugin's contract), so loading one changes nothing else.
// An export that looks meant as a plugin but is malformed is an error naming what is wrong with it,
// never skipped; the checks are the registry's own (`BackendRegistry.pluginProblems`).

/**
 * Loads each `--plugin` module and registers its plugins in `registry`, beside the built-ins.
 * @throws SyncError `USAGE` naming the plugin and what to do: a module that cannot be found or
 * loaded, one that exports no plugin, a malformed plugin, or a scheme another backend has.
 */
export async function registerPlugins(
  registry: BackendRegistry,
  specs: readonly string[] | undefined,
  cwdGiven?: string,
): Promise<void> {
  if (specs === undefined || specs.length === 0) return
  // Read only with a plugin to find: a run from a directory since deleted (process.cwd() throws
  // ENOENT) failed as "a bug in syncflow", absolute paths and no plugin at all (QA 25d).
  const cwd = cwdGiven ?? process.cwd()
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
      registry.register(guardPlugin(plugin, spec))
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
    if (!st.isDirectory()) return path
    const entry = packageEntry(path)
    if (typeof entry !== 'string') throw entryError(spec, path, entry)
    return entry
  }
  const own = fileURLToPath(import.meta.url)
  let unbuilt: NoEntry | undefined
  for (const from of [join(cwd, 'package.json'), own]) {
    const found = resolvePackage(spec, from)
    if (typeof found === 'string') return found
    unbuilt ??= found
  }
  throw unbuilt !== undefined ? entryError(spec, unbuilt.dir, unbuilt) : notInstalled(spec, cwd)
}

/** The usage error for a bare name no package answers to; a file of that name is what was meant. */
function notInstalled(spec: string, cwd: string): Error {
  const where = `no package of that name in ${join(cwd, 'node_modules')} (or a parent's), nor beside syncflow`
  const asPath = `./${spec}`
  if (statSync(resolve(cwd, spec), { throwIfNoEntry: false }) !== undefined) {
    return usageError(
      `plugin ${spec}: ${where}; did you mean ${asPath}?`,
      `A bare name is a package; a path starts with ./, ../ or /: --plugin ${asPath} loads the file in this directory.`,
    )
  }
  if (spec.startsWith('~')) {
    return usageError(
      `plugin ${spec}: ${where}`,
      'A ~ is expanded by your shell, not by syncflow (nor in a config file, nor after --plugin=): give the full path (/home/me/…), or write --plugin ~/… unquoted.',
    )
  }
  // A spec that looks like a file (it has a module's extension, or a directory in it) is not installed with npm.
  const scoped = /^@[^/\\]+\/[^/\\]+$/.test(spec)
  if (/\.[cm]?[jt]s$/i.test(spec) || (!scoped && /[/\\]/.test(spec))) {
    return usageError(
      `plugin ${spec}: ${where}, and no file ${resolve(cwd, spec)}`,
      `A path to a module file starts with ./, ../ or / (${asPath}, relative to the current directory); a bare name is an installed package.`,
    )
  }
  return usageError(
    `plugin ${spec}: ${where}`,
    `Install it where you run syncflow (npm install ${spec}), or give the path to its module file (./my-backend.mjs: a path starts with ./, ../ or /).`,
  )
}

/** Why a package directory gives no module to import (see `packageEntry`). */
interface NoEntry {
  readonly dir: string
  /** No package.json; one that cannot be read; one whose entry is not a file. */
  readonly why: 'no-package-json' | 'unreadable' | 'missing-entry'
  /** The entry as package.json names it (`./dist/index.js`), or `index.js` by default. */
  readonly named?: string
  /** Which field named it. */
  readonly field?: 'exports' | 'main' | 'default'
  readonly detail?: string
}

/** The usage error for a package directory without a module to import. */
function entryError(spec: string, dir: string, no: NoEntry): Error {
  const giveFile =
    'Give the plugin module file itself (./my-backend.mjs), or a package directory whose package.json names its entry (exports or main).'
  switch (no.why) {
    case 'no-package-json':
      return usageError(`plugin ${spec}: ${dir} is a directory without a package.json`, giveFile)
    case 'unreadable':
      return usageError(`plugin ${spec}: ${join(dir, 'package.json')} cannot be read: ${no.detail ?? ''}`, giveFile)
    case 'missing-entry':
      return usageError(
        no.field === 'default'
          ? `plugin ${spec}: the package.json in ${dir} names no entry (exports or main), and there is no ${no.named}`
          : `plugin ${spec}: its package.json (in ${dir}) names ${no.named} (its "${no.field}"), which does not exist`,
        no.field === 'default'
          ? giveFile
          : `If the package is built (dist/), build it first (npm run build in ${dir}); else fix "${no.field}" in its package.json.`,
      )
  }
}

/**
 * The entry file of package `name` as resolved from the file `from`: its package.json's `exports`
 * for `import` (a plugin is loaded with import()), else what `require` resolves. A NoEntry for an
 * installed package whose package.json names no file that exists.
 */
function resolvePackage(name: string, from: string): string | NoEntry | undefined {
  const require = createRequire(from)
  let missing: NoEntry | undefined
  if (!name.startsWith('.') && !name.includes('/', name.startsWith('@') ? name.indexOf('/') + 1 : 0)) {
    for (const dir of require.resolve.paths(name) ?? []) {
      const pkgDir = join(dir, name)
      if (!existsSync(join(pkgDir, 'package.json'))) continue
      const entry = packageEntry(pkgDir)
      if (typeof entry === 'string') return entry
      if (entry.why === 'missing-entry') missing = entry
      break
    }
  }
  try {
    return require.resolve(name)
  } catch {
    // Not there, or it exports nothing to require: not found from here; or installed, but its entry is not built.
    return missing
  }
}

/** The file a package directory's package.json points an `import` at, or why there is none. */
function packageEntry(dir: string): string | NoEntry {
  let pkg: { exports?: unknown; main?: unknown }
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { dir, why: 'no-package-json' }
    return { dir, why: 'unreadable', detail: err instanceof Error ? err.message : String(err) }
  }
  const exported = exportFor(pkg.exports, true)
  const [named, field] =
    exported !== undefined
      ? [exported, 'exports' as const]
      : typeof pkg.main === 'string'
        ? [pkg.main, 'main' as const]
        : ['index.js', 'default' as const]
  const file = resolve(dir, named)
  return statSync(file, { throwIfNoEntry: false })?.isFile() ? file : { dir, why: 'missing-entry', named, field }
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
    const failed = `plugin ${spec} could not be loaded`
    const missing = missingImport(err)
    switch (missing?.kind) {
      case 'file':
        // npm installs packages, not a file the plugin's own code names (QA F9).
        throw usageError(
          `${failed}: ${missing.importer === undefined ? 'it imports' : `its file ${missing.importer} imports`} ${missing.file}, which does not exist`,
          `Add ${missing.file}, or fix the import${missing.importer === undefined ? '' : ` in ${missing.importer}`} (a relative import is resolved from the directory of the file that has it; in an ES module it names the file with its extension).${missing.didYouMean === undefined ? '' : ` There is ${missing.didYouMean}: import it with its extension.`}`,
        )
      case 'package-file':
        throw usageError(
          `${failed}: the installed package ${missing.name} has no file ${missing.file}${missing.importer === undefined ? '' : ` (imported from ${missing.importer})`}`,
          `The package is installed incompletely or not built (install it again, npm install ${missing.name}, where the plugin finds it, or build it), or the import${missing.importer === undefined ? '' : ` in ${missing.importer}`} names a file the package does not have.`,
        )
      case 'package':
        throw usageError(
          `${failed}: ${why.split('\n')[0]}`,
          `The plugin imports ${missing.name}, which is not installed where the plugin is: install it beside the plugin (its own node_modules or a parent's)${missing.name.startsWith('@syncflow/') ? `; from a checkout of syncflow, npm install /path/to/syncflow/packages/${missing.name.slice('@syncflow/'.length)} (see "How a user loads it" in CONTRIBUTING.md)` : `, npm install ${missing.name}`}.`,
        )
    }
    throw usageError(`${failed}: ${why.split('\n')[0]}`, `Fix the module (${file}), or leave --plugin ${spec} out.`)
  }
}

/** What a module that cannot be found is: a package, a file in an installed package, or a file of the plugin's own. */
type MissingImport =
  | { readonly kind: 'package'; readonly name: string }
  | { readonly kind: 'package-file'; readonly name: string; readonly file: string; readonly importer?: string }
  | {
      readonly kind: 'file'
      readonly file: string
      readonly importer?: string /** The file with an extension, when that exists. */
      readonly didYouMean?: string
    }

/**
 * What Node could not find, from its error: ESM's `Cannot find package 'NAME' imported from FILE`
 * or `Cannot find module '/ABS/PATH' imported from FILE` (its `url` the file's), CommonJS's
 * `Cannot find module 'SPECIFIER'` with a `requireStack` (the requiring file first).
 */
function missingImport(err: unknown): MissingImport | undefined {
  const { code, url, requireStack } = (err ?? {}) as { code?: unknown; url?: unknown; requireStack?: unknown }
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined
  const message = err instanceof Error ? err.message : ''
  const m = /^Cannot find (package|module) '([^']+)'(?: imported from (.+))?/.exec(message)
  if (m === null) return undefined
  const [, what, specifier = '', from] = m
  const importer =
    from ?? (Array.isArray(requireStack) && typeof requireStack[0] === 'string' ? requireStack[0] : undefined)
  const isFile =
    what === 'module' && (isAbsolute(specifier) || /^\.\.?([\\/]|$)/.test(specifier) || specifier.startsWith('file:'))
  if (!isFile) return { kind: 'package', name: packageName(specifier) }
  const file =
    typeof url === 'string' && url.startsWith('file:')
      ? fileURLToPath(url)
      : specifier.startsWith('file:')
        ? fileURLToPath(specifier)
        : resolve(importer === undefined ? process.cwd() : dirname(importer), specifier)
  // A file missing inside node_modules is the installed package's, not the plugin's own.
  const at = file.lastIndexOf(`${sep}node_modules${sep}`)
  if (at >= 0) {
    const name = packageName(
      file
        .slice(at + `${sep}node_modules${sep}`.length)
        .split(sep)
        .join('/'),
    )
    return { kind: 'package-file', name, file, ...(importer ? { importer } : {}) }
  }
  // An ES module's import names the file with its extension (Node suggests one only for some).
  const didYouMean = ['.js', '.mjs', '.cjs', '.json']
    .map((ext) => file + ext)
    .find((f) => statSync(f, { throwIfNoEntry: false })?.isFile())
  return { kind: 'file', file, ...(importer ? { importer } : {}), ...(didYouMean ? { didYouMean } : {}) }
}

/** The package a bare specifier names: `lodash` of `lodash/fp`, `@scope/pkg` of `@scope/pkg/sub`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier)
}

/** An export meant as a plugin, and where the module has it (for messages). */
interface Candidate {
  readonly value: unknown
  /** `the default export`, `the export "typo"`, `element 1 of the default export`. */
  readonly where: string
}

/**
 * True for a value meant as a plugin: an object with `schemes` or `open`; in the default export
 * (`loose`), also one with only a `name`. Functions (a class, a factory) are never plugins.
 */
function meantAsPlugin(value: unknown, loose: boolean): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return 'schemes' in value || 'open' in value || (loose && 'name' in value)
}

/** The plugins `value` offers: itself, or every element of an array where one is meant as a plugin. */
function candidatesIn(value: unknown, where: string, loose: boolean): Candidate[] {
  if (meantAsPlugin(value, loose)) return [{ value, where }]
  if (!Array.isArray(value) || !value.some((v) => meantAsPlugin(v, loose))) return []
  return value.map((v, i) => ({ value: v, where: `element ${i} of ${where}` }))
}

/** What a module offers: its default export's plugins, else its named exports' (a CommonJS module's too). */
function pluginsOf(spec: string, mod: Record<string, unknown>): BackendPlugin[] {
  let found = candidatesIn(mod.default, 'the default export', true)
  if (found.length === 0) {
    const named = Object.entries(mod).filter(([k]) => k !== 'default')
    // A CommonJS module's exports object is its default; its names may not all be detected as named exports.
    const cjs = typeof mod.default === 'object' && mod.default !== null ? Object.entries(mod.default) : []
    const seen = new Set<unknown>()
    found = [...named, ...cjs]
      .filter(([, v]) => !seen.has(v) && seen.add(v))
      .flatMap(([k, v]) => candidatesIn(v, `the export ${JSON.stringify(k)}`, false))
  }
  if (found.length === 0) {
    if (typeof mod.default === 'function') {
      const fn = (mod.default as { name?: string }).name
      const call = fn && fn !== 'default' ? `${fn}()` : 'the function'
      throw usageError(
        `plugin ${spec} exports no backend plugin: its default export is a function${fn && fn !== 'default' ? ` (${fn})` : ''}, not a plugin object`,
        `Export the plugin object { name, schemes, open } itself: if ${call} makes it, export what it returns${call === 'the function' ? '' : ` (export default ${call})`}. See "Writing a backend" in CONTRIBUTING.md.`,
      )
    }
    throw usageError(
      `plugin ${spec} exports no backend plugin`,
      'A plugin module exports { name, schemes, open } (its default export, or a named one): see "Writing a backend" in CONTRIBUTING.md.',
    )
  }
  const seen = new Set<unknown>()
  const plugins: BackendPlugin[] = []
  for (const { value, where } of found) {
    if (seen.has(value)) continue
    seen.add(value)
    const problems = BackendRegistry.pluginProblems(value)
    if (problems.length > 0) {
      const name = (value as { name?: unknown } | null)?.name
      const which = typeof name === 'string' ? ` ("${name}")` : ''
      const place = where === 'the default export' ? '' : `, ${where}${which}`
      throw usageError(
        `plugin ${spec}${place === '' ? which : place}: ${problems.join('; ')}`,
        'A plugin is { name, schemes, open }: a name, its URI schemes without "://" (schemes: ["json"] for json://…) and open(uri, options) resolving to a Backend. Fix the plugin: see "Writing a backend" in CONTRIBUTING.md.',
      )
    }
    plugins.push(value as BackendPlugin)
  }
  return plugins
}
