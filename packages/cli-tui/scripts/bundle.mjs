#!/usr/bin/env node
// @ts-check
// Bundles the `syncflow` binary; the root `npm run build` runs it after `tsc -b`.
//
//   dist/bin.js                   the binary (replaces tsc's bin.js): flag parsing, then the command
//   dist/chunks/*.js              lazily loaded chunks: one per command, backend and UI part
//
// Why: Node resolves, reads and compiles every ES module on its own, and `rxjs` resolves to its
// CommonJS build (hundreds of files): before bundling, module loading was 37% of a no-op sync of
// 10,000 files and most of a small one. The bundle takes rxjs's ES build (tree-shaken) and the other
// workspace packages from their tsc output (`dist`), so it holds exactly one copy of @syncflow/core,
// shared by every backend (one SyncError class, one engine). Code splitting keeps lazy imports lazy:
// the AWS SDK and gRPC stay outside the bundle and load only for commands that use them; Ink and React
// are bundled into the UI's own chunk (see UI_PACKAGES).
// Every other file in `dist` stays as tsc wrote it, for library users (`import { run } from 'syncflow'`).
//
// A bundle older than the TypeScript build (someone ran `tsc -b` alone after an edit) would run old
// code: the bundle records the tsbuildinfo files it was built from, and bin.ts falls back to tsc's
// modules, saying so, when one has changed since (see src/stale-bundle.ts).

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const PKG = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = path.dirname(PKG)
const DIST = path.join(PKG, 'dist')
const WORKSPACE = ['core', 'backend-local', 'backend-s3', 'backend-grpc', 'cli-tui']

/**
 * Third-party packages bundled: plain JavaScript on the path of most commands. Any other bare import
 * stays an import resolved at run time: the SDKs (AWS, gRPC), sqlite3 (native), and whatever only a
 * lazily loaded part needs. hash-wasm is a 280 KB UMD file: imported by Node as CommonJS it cost
 * ~35 ms of CPU on every command (cjs-module-lexer, then a separate compile); inside the bundle,
 * less. Core imports both wasm hashers on first use, so they land in chunks of their own that only a
 * delta transfer loads.
 */
const BUNDLED = new Set(['rxjs', 'tslib', 'commander', 'ignore', 'xxhash-wasm', 'hash-wasm'])

/**
 * The terminal UI's packages, bundled with everything they import into the chunk that only `syncflow ui`
 * loads: as separate modules, Ink's graph is ~500 files (es-toolkit/compat alone ~415) and took ~0.25 s
 * of CPU to load, against ~0.1 s as one chunk; that was a third of the UI's overhead over `sync --json`
 * (bench/watch). React's production build is picked here (process.env.NODE_ENV is defined below), and
 * Ink's devtools (react-devtools-core, loaded only with DEV=true) stay out.
 */
const UI_PACKAGES = new Set(['ink', 'react', 'strip-ansi'])
const NEVER_BUNDLED = new Set(['react-devtools-core'])

const FAST_STRING_WIDTH = path.join(PKG, 'src/ui/fast-string-width.ts')
const stringWidthEntry = createRequire(path.join(PKG, 'package.json')).resolve('string-width')
const rxjsRoot = path.dirname(createRequire(path.join(PKG, 'package.json')).resolve('rxjs/package.json'))
const hashWasmRoot = path.dirname(
  createRequire(path.join(PACKAGES, 'core', 'package.json')).resolve('hash-wasm/package.json'),
)

/** Folder name → package name of the workspace packages whose tsc output is bundled. */
const workspace = new Map(
  WORKSPACE.map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGES, dir, 'package.json'), 'utf8'))
    // import.meta.url is rebuilt from the package's main entry below: it must be dist/index.js.
    if (pkg.exports?.['.']?.default !== './dist/index.js')
      throw new Error(`${pkg.name}: main entry is not dist/index.js`)
    return [dir, pkg.name]
  }),
)

/** @type {import('esbuild').Plugin} */
const resolveForBundle = {
  name: 'syncflow-bundle',
  setup(b) {
    // string-width, for every importer (Ink, wrap-ansi's own copy, the UI), is the UI's fast path in
    // front of the real one (see src/ui/fast-string-width.ts), which alone imports the package itself.
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      args.importer === FAST_STRING_WIDTH ? { path: stringWidthEntry } : { path: FAST_STRING_WIDTH },
    )
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true }
      const parts = args.path.split('/')
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '')
      if (name === 'rxjs') {
        // Its `node` export condition is the CommonJS build; the ES2015 build is the one that tree-shakes.
        return { path: path.join(rxjsRoot, 'dist/esm', ...parts.slice(1), 'index.js') }
      }
      if (name === 'hash-wasm') {
        // Its ES build (the package's `module`; `main` is a UMD file): imported lazily by core, a
        // chunk of its own must export the functions by name, which a CommonJS chunk does only as
        // `default` (a delta upload then failed: "createXXHash128 is not a function").
        return { path: path.join(hashWasmRoot, 'dist/index.esm.js') }
      }
      if (name.startsWith('@syncflow/') || BUNDLED.has(name)) return undefined
      // What a bundled third-party package imports is bundled with it (the UI packages' dependencies).
      const fromPackage = /[\\/]node_modules[\\/]/.test(args.importer)
      if (!NEVER_BUNDLED.has(name) && (UI_PACKAGES.has(name) || fromPackage)) return undefined
      return { external: true }
    })
    // yoga-layout (Ink's layout engine) reads its WebAssembly from an inline data: URL with fetch()
    // when fetch exists, which makes Node load its HTTP client (undici): ~20 ms of CPU, a quarter of
    // the UI chunk's load. It decodes the same base64 itself when told there is no fetch.
    // commander requires child_process at load, for executable subcommands (`git-style`), which
    // syncflow has none of; child_process loads net and more: ~3 ms of every command's startup. Its
    // only use is `childProcess.spawn(…)`, so a getter that requires it on first use is equivalent.
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8')
      const eager = "const childProcess = require('node:child_process');"
      if (!contents.includes(eager)) {
        console.warn(`bundle.mjs: ${args.path} changed; child_process is loaded at startup again`)
        return undefined
      }
      const lazy = "const childProcess = { get spawn() { return require('node:child_process').spawn; } };"
      return { contents: contents.replace(eager, lazy), loader: 'js' }
    })
    b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8')
      const fetched = 'return w||"function"!=typeof fetch?'
      if (!contents.includes(fetched)) {
        console.warn(`bundle.mjs: ${args.path} changed; its wasm is loaded through fetch() again`)
        return undefined
      }
      return { contents: contents.replace(fetched, 'return true?'), loader: 'js' }
    })
    // Modules of the other packages that find files next to themselves (backend-grpc's .proto file,
    // its package.json) see the URL of their tsc output, wherever their code lands in the bundle. It is
    // derived at run time from the package's entry, so it holds in the workspace and once installed.
    // The CLI's own sources keep their chunk's URL.
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8')
      if (!contents.includes('import.meta.url')) return undefined
      const [dir = '', sub, ...file] = path.relative(PACKAGES, args.path).split(path.sep)
      const name = workspace.get(dir)
      if (name === undefined || sub !== 'dist') return undefined
      const url = `new URL(${JSON.stringify(`./${file.join('/')}`)}, import.meta.resolve(${JSON.stringify(name)})).href`
      return { contents: contents.replaceAll('import.meta.url', url), loader: 'js' }
    })
  },
}

/** The tsbuildinfo files of the build this bundle is made from (relative to dist/bin.js), with their mtimes. */
const inputs = WORKSPACE.map((dir) => {
  const file = path.join(PACKAGES, dir, 'tsconfig.tsbuildinfo')
  return [path.relative(DIST, file).split(path.sep).join('/'), statSync(file).mtimeMs]
})

const result = await build({
  entryPoints: [{ in: path.join(PKG, 'src/bin.ts'), out: 'bin' }],
  outdir: DIST,
  write: false,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  tsconfig: path.join(PKG, 'tsconfig.json'),
  plugins: [resolveForBundle],
  // A string: esbuild inlines primitives, while an object literal would become a module of its own.
  // React and Ink read NODE_ENV to pick their production code: the UI always runs that (see UI_PACKAGES).
  define: {
    SYNCFLOW_BUNDLE_INPUTS: JSON.stringify(JSON.stringify(inputs)),
    SYNCFLOW_VERSION: JSON.stringify(JSON.parse(readFileSync(path.join(PKG, 'package.json'), 'utf8')).version),
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  // CommonJS modules in the bundle (commander) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __syncflowRequire } from 'node:module'; const require = __syncflowRequire(import.meta.url);",
  },
  // Names and whitespace kept: stack traces under -v stay readable; minifying saved under 2 ms.
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
})

/**
 * The license of a package that ships no license file (yoga-layout): its sources' copyright
 * comment, under the text of its license, which must be MIT (the terms of syncflow's own LICENSE)
 * for this to know it.
 */
function licenseFromSources(pkg, inputs) {
  const notice = inputs
    .flatMap((file) => readFileSync(file, 'utf8').match(/\/\*[\s\S]*?\*\//g) ?? [])
    .find((comment) => /Copyright/.test(comment))
  if (pkg.license !== 'MIT' || notice === undefined) {
    throw new Error(`bundle.mjs: ${pkg.name} (${pkg.license}) ships no license file: give its notice here by hand`)
  }
  const mit = readFileSync(path.join(PKG, 'LICENSE'), 'utf8')
    .replace(/^Copyright .*$/m, '')
    .replace(/^MIT License\s*/, '')
  const copyright = notice
    .split('\n')
    .map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').trimEnd())
    .filter((l) => /Copyright/.test(l))
  return `(The package ships no license file; its sources say "${copyright.join(' ')}", under the MIT license.)\n\nMIT License\n\n${copyright.join('\n')}\n\n${mit.trim()}`
}

/**
 * The licenses of the third-party packages whose code is in the bundle (rxjs, commander, Ink and
 * what it imports, …): the package ships their code, so it ships their notices too, as their
 * licenses ask (MIT: "included in all copies or substantial portions"; rxjs's Apache-2.0, §4).
 * A package is listed when any of its bytes landed in an output (the metafile's outputs say so).
 */
function thirdPartyLicenses(metafile) {
  /** Package root → the bundled files of it. */
  const roots = new Map()
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const at = path.resolve(input)
      const i = at.lastIndexOf(`${path.sep}node_modules${path.sep}`)
      if (bytesInOutput === 0 || i < 0) continue
      const rest = at.slice(i + '/node_modules/'.length).split(path.sep)
      const root = path.join(at.slice(0, i), 'node_modules', ...rest.slice(0, rest[0]?.startsWith('@') ? 2 : 1))
      roots.set(root, [...(roots.get(root) ?? []), at])
    }
  }
  const sections = [...roots]
    .map(([root, inputs]) => {
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
      const files = readdirSync(root)
        .filter((f) => /^(licen[cs]e|copying|notice)([.-].*)?$/i.test(f))
        .sort()
      const texts = files.map((f) => readFileSync(path.join(root, f), 'utf8').trim())
      if (texts.length === 0) texts.push(licenseFromSources(pkg, inputs))
      return {
        id: `${pkg.name}@${pkg.version}`,
        text: `## ${pkg.name}@${pkg.version} (${pkg.license})\n\n${texts.join('\n\n')}\n`,
      }
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    // (Copies of one version nested below several packages: listed once.)
    .filter((section, i, all) => all[i - 1]?.id !== section.id)
  const head =
    '# Third-party code in this package\n\nThe files in `dist/bin.js` and `dist/chunks/` hold code of the packages below ' +
    '(bundled into them when syncflow was built), each under its own license, given here in full.\n\n'
  return Buffer.from(head + sections.map((s) => s.text).join('\n'))
}

// Test files build the CLI in parallel while others already run it: each file is replaced atomically
// (temp + rename) and only when its content changed, chunks before the entry that imports them, so a
// running binary never reads a half-written chunk. Chunk names carry a content hash.
const written = new Set()
const outputs = [
  ...result.outputFiles,
  { path: path.join(DIST, 'THIRD-PARTY-LICENSES.md'), contents: thirdPartyLicenses(result.metafile) },
].sort((a, b) => Number(a.path === path.join(DIST, 'bin.js')) - Number(b.path === path.join(DIST, 'bin.js')))
for (const file of outputs) {
  written.add(file.path)
  let current
  try {
    current = readFileSync(file.path)
  } catch {}
  if (current?.equals(file.contents)) continue
  mkdirSync(path.dirname(file.path), { recursive: true })
  const tmp = `${file.path}.${process.pid}.tmp`
  writeFileSync(tmp, file.contents, { mode: file.path.endsWith('bin.js') ? 0o755 : 0o644 })
  renameSync(tmp, file.path)
}
for (const name of readdirSync(path.join(DIST, 'chunks'))) {
  const file = path.join(DIST, 'chunks', name)
  // Another build's temp file is left alone (it is renamed in a moment).
  if (!written.has(file) && !name.endsWith('.tmp')) rmSync(file, { force: true })
}
