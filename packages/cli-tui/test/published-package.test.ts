import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url))
const PUBLISHED = ['core', 'backend-local', 'backend-s3', 'backend-grpc', 'cli-tui']

interface Manifest {
  readonly name: string
  readonly engines?: { readonly node?: string }
  readonly bin?: Record<string, string>
  readonly exports?: Record<string, unknown>
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
}

const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8'))

/** A bare specifier: a package name, maybe scoped, maybe with a subpath. */
const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/

/** The package names that the JavaScript files below `dir` import (statically or lazily), builtins left out. */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>()
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.js')) continue
    const code = readFileSync(join(dir, file), 'utf8')
    for (const [, spec = ''] of code.matchAll(/(?<!["'\w])(?:from|import\s*\(?)\s*["']([^"'./][^"'\s]*)["']/g)) {
      if (spec.startsWith('node:') || builtinModules.includes(spec) || !PACKAGE_NAME.test(spec)) continue
      const parts = spec.split('/')
      names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec))
    }
  }
  return names
}

/** The string targets of an `exports` map, whatever the nesting of conditions, with their condition. */
function exportTargets(value: unknown, condition = 'default'): [condition: string, target: string][] {
  if (typeof value === 'string') return [[condition, value]]
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, inner]) => exportTargets(inner, key.startsWith('.') ? condition : key))
}

describe('the packages as published (npm pack)', () => {
  // QA 36: the binary is a bundle of the workspace packages, whose own dependencies it imports from
  // syncflow/dist/chunks. Those resolved only where npm had hoisted them: in a project that already
  // had keyv 4 (got 11 and cacheable-request pull it in), core's keyv 5 and @keyv/sqlite were nested
  // under @syncflow/core, and every sync ended "failed (state store): UNSUPPORTED: … native module
  // does not load", exit 1 (pnpm, which hoists nothing, would break the same way).
  it('the CLI declares every package its built code imports, in the range of the package it comes from', () => {
    const cli = manifestOf('cli-tui')
    const declared = new Map<string, string>()
    for (const dir of PUBLISHED) {
      for (const [name, range] of Object.entries(manifestOf(dir).dependencies ?? {})) declared.set(name, range)
    }
    const missing: string[] = []
    for (const name of importedPackages(join(PACKAGES, 'cli-tui', 'dist'))) {
      // Ink imports it only with DEV=true (React devtools); it is no dependency of Ink's either.
      if (name === 'react-devtools-core') continue
      const range = cli.dependencies?.[name]
      if (range === undefined) missing.push(`${name}@${declared.get(name) ?? '?'}`)
      else if (declared.has(name)) expect(range, `${name}: the CLI's range`).toBe(declared.get(name))
    }
    expect(missing, 'imported by packages/cli-tui/dist but not in its dependencies').toEqual([])
  })

  // The bundle holds third-party code (rxjs under Apache-2.0, commander, Ink and what it imports,
  // …) whose licenses ask that their notice go with every copy: the package shipped none of them.
  it('the CLI ships the license of every third-party package its bundle holds code of', () => {
    const dist = join(PACKAGES, 'cli-tui', 'dist')
    const bundled = new Set<string>()
    for (const file of ['bin.js', ...readdirSync(join(dist, 'chunks')).map((f) => `chunks/${f}`)]) {
      // esbuild heads each module's code with its path: `// node_modules/rxjs/dist/esm/…`.
      for (const [, name = ''] of readFileSync(join(dist, file), 'utf8').matchAll(
        /^\/\/ (?:\S*\/)?node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm,
      )) {
        bundled.add(name)
      }
    }
    expect(bundled.has('rxjs'), 'the bundle holds rxjs').toBe(true)
    const notices = readFileSync(join(dist, 'THIRD-PARTY-LICENSES.md'), 'utf8')
    const missing = [...bundled].filter((name) => !notices.includes(`\n## ${name}@`))
    expect(missing, 'bundled, without their license in dist/THIRD-PARTY-LICENSES.md').toEqual([])
    expect(notices).toContain('Apache License')
  })

  // npm links a workspace's binary only if its file exists when it installs: a fresh clone has no
  // dist/ then, so `npx syncflow` said "not found" even after the build. The binary is a committed
  // file that imports the built one.
  it('the binary npm links runs the built CLI, and says it is not built yet where dist/ is missing', () => {
    const manifest = manifestOf('cli-tui') as Manifest & { version: string }
    const bin = manifest.bin?.syncflow ?? ''
    expect(bin.startsWith('./dist/'), 'a bin inside dist/ is missing when npm installs a fresh clone').toBe(false)
    const version = execFileSync(process.execPath, [join(PACKAGES, 'cli-tui', bin), '--version'], { encoding: 'utf8' })
    expect(version.trim()).toBe(manifest.version)
    const unbuilt = mkdtempSync(join(tmpdir(), 'syncflow-unbuilt-'))
    try {
      mkdirSync(join(unbuilt, 'bin'))
      copyFileSync(join(PACKAGES, 'cli-tui', bin), join(unbuilt, 'bin', 'syncflow.js'))
      const run = spawnSync(process.execPath, [join(unbuilt, 'bin', 'syncflow.js'), '--version'], { encoding: 'utf8' })
      expect(run.status).toBe(2)
      expect(run.stderr).toMatch(/^syncflow: not built yet .*\n {2}Run `npm run build`/)
      expect(run.stderr).not.toMatch(/\n\s+at /)
    } finally {
      rmSync(unbuilt, { recursive: true, force: true })
    }
  })

  for (const dir of PUBLISHED) {
    it(`${dir}: ships README.md, LICENSE and what its exports and bin name; says which Node it needs`, () => {
      const manifest = manifestOf(dir)
      const packed = JSON.parse(
        execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
          cwd: join(PACKAGES, dir),
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as [{ files: { path: string }[] }]
      const files = new Set(packed[0].files.map((f) => f.path))
      expect(files.has('README.md'), `${manifest.name} has no README.md (the registry's page for it)`).toBe(true)
      expect(files.has('LICENSE'), `${manifest.name} has no LICENSE`).toBe(true)
      expect(manifest.engines?.node).toBe('>=20.19')
      // The `source` condition too (a toolchain that sets it, as this repository's does, resolves
      // there), and the sources the declaration maps name (an editor's "go to definition").
      const targets = [
        ...exportTargets(manifest.exports ?? {}),
        ...Object.values(manifest.bin ?? {}).map((target): [string, string] => ['bin', target]),
      ]
      for (const [condition, target] of targets) {
        expect(files.has(target.replace(/^\.\//, '')), `${manifest.name}: ${condition} ${target} is not packed`).toBe(
          true,
        )
      }
      const unpackedSources = [...files]
        .filter((f) => f.endsWith('.map'))
        .flatMap((map) => {
          const { sources } = JSON.parse(readFileSync(join(PACKAGES, dir, map), 'utf8')) as { sources: string[] }
          return sources.map((source) => posix.join(posix.dirname(map), source)).filter((f) => !files.has(f))
        })
      expect(unpackedSources, `${manifest.name}: sources its maps name but it does not pack`).toEqual([])
    }, 60_000)
  }
})
