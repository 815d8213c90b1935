import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { cwd: REPO, encoding: 'utf8', timeout: 30_000 })

describe('benchmark flags', () => {
  it.each(['bench/run.mjs', 'bench/s3/run.mjs', 'bench/grpc/run.mjs', 'bench/watch/run.mjs'])(
    '%s: --help lists the flags (exit 0); an unknown flag is one message and the usage (exit 2), no stack trace',
    (script) => {
      const help = run(script, '--help')
      expect(help.status, help.stderr).toBe(0)
      expect(help.stdout).toMatch(/^usage: node bench\//)
      expect(help.stdout).toMatch(/--\w[\w-]* VALUE/)
      const bad = run(script, '--no-such-flag')
      expect(bad.status).toBe(2)
      expect(bad.stderr).toMatch(/^bench: Unknown option '--no-such-flag'\nusage: /)
      expect(bad.stderr).not.toMatch(/\n\s+at /)
    },
  )

  it('an unknown scenario is named, with the known ones (exit 2)', () => {
    const bad = run('bench/run.mjs', '--only', 'nope', '--no-install', '--no-build')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe(
      'bench: --only: unknown scenario nope; known: initial, noop, change, delete, mixed, large\n',
    )
  })

  // The suites empty --data first: a directory of the user's (`--data .`, `--data ~`) must be
  // refused before anything is removed, not deleted without a word. `refused` are arguments that
  // keep a regression from running a whole benchmark here (one scenario and no tool, or none);
  // `taken` reaches no benchmark either: with a fixed check, local and s3 stop at the unknown
  // scenario (after the check), watch runs no scenario of that name and ends (exit 0).
  it.each([
    {
      script: 'bench/run.mjs',
      refused: ['--only', 'noop', '--reps', '1', '--tools', 'none', '--no-install', '--no-build'],
      taken: ['--only', 'nope', '--no-install', '--no-build'],
    },
    {
      script: 'bench/s3/run.mjs',
      refused: ['--only', 'noop', '--reps', '1', '--tools', 'none', '--no-install', '--no-build'],
      taken: ['--only', 'nope', '--no-install', '--no-build'],
    },
    {
      script: 'bench/watch/run.mjs',
      refused: ['--only', 'nope', '--no-build'],
      taken: ['--only', 'nope', '--no-build'],
    },
  ])(
    '$script: a --data directory holding files no benchmark made is refused (exit 2) and left as it is',
    ({ script, refused, taken }) => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-data-'))
      try {
        const mine = join(dir, 'thesis.tex')
        writeFileSync(mine, 'years of work')
        const bad = run(script, '--data', dir, ...refused)
        expect(bad.status).toBe(2)
        expect(bad.stderr).toMatch(
          /^bench: --data .*: the benchmark empties its data directory first, and this one holds files it did not make/,
        )
        expect(existsSync(mine)).toBe(true)
        // A new directory, or one a benchmark marked, is taken.
        const fresh = run(script, '--data', join(dir, 'new'), ...taken)
        expect(fresh.stderr).not.toMatch(/--data/)
        mkdirSync(join(dir, 'marked'))
        writeFileSync(join(dir, 'marked', '.syncflow-bench-data'), '')
        writeFileSync(join(dir, 'marked', 'results.md'), '')
        const marked = run(script, '--data', join(dir, 'marked'), ...taken)
        expect(marked.stderr).not.toMatch(/--data/)
        expect(marked.status === 0 || /unknown scenario/.test(marked.stderr)).toBe(true)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  // `Number('5x')` was NaN, and `rep < NaN` ran no repetition: a typo cost the data generation,
  // then printed a table of nothing (exit 0). (--data in a temp dir, one scenario: a regression
  // here generates one small tree, no more.)
  it.each([
    ['bench/run.mjs', '--reps', '5x', '--only', 'noop', '--tools', 'rsync', '--no-install', '--no-build'],
    ['bench/run.mjs', '--big-reps', '0', '--only', 'noop', '--tools', 'rsync', '--no-install', '--no-build'],
    ['bench/s3/run.mjs', '--reps', 'three', '--only', 'nope', '--no-install', '--no-build'],
    ['bench/grpc/run.mjs', '--runs', '0', '--only', 'nope', '--size-mib', '1', '--rename-mib', '1'],
    ['bench/watch/run.mjs', '--reps', '2.5', '--only', 'nope', '--no-build'],
  ])(
    '%s %s %s: not a whole number of at least 1, refused (exit 2) before anything runs',
    (script, flag, value, ...rest) => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-reps-'))
      try {
        const r = run(script, flag, value, ...rest, ...(script.includes('grpc') ? [] : ['--data', join(dir, 'data')]))
        expect(r.status).toBe(2)
        expect(r.stderr).toBe(`bench: ${flag} ${value}: give a whole number, at least 1\n`)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )
})
