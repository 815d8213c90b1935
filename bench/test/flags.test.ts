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

  // grpc and watch filtered an unknown name out without a word: `--only nope` ran nothing (grpc after
  // generating 3 GiB of data), exit 0.
  it.each([
    ['bench/grpc/run.mjs', 'overwrite, insert, rename, small, resume'],
    ['bench/watch/run.mjs', 'latency, burst, ui'],
  ])('%s: an unknown scenario is named, with the known ones (exit 2)', (script, known) => {
    // (--size-mib 1 keeps a regression's grpc data small; --no-build is watch's.)
    const args = script.includes('grpc') ? ['--size-mib', '1', '--rename-mib', '1'] : ['--no-build']
    const r = run(script, '--only', 'nope', ...args)
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`bench: --only: unknown scenario nope; known: ${known}\n`)
  })

  it('an unknown scenario is named, with the known ones (exit 2)', () => {
    const bad = run('bench/run.mjs', '--only', 'nope', '--no-install', '--no-build')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe(
      'bench: --only: unknown scenario nope; known: initial, noop, change, delete, mixed, rename, snapshot, move, large\n',
    )
  })

  // The suites empty --data first: a directory of the user's (`--data .`, `--data ~`) must be
  // refused before anything is removed, not deleted without a word. The check comes right after
  // the flags are read, before the scenarios are: `--only nope` then tells a directory taken (the
  // unknown scenario is the error) from one refused, and runs no benchmark either way.
  it.each([
    ['bench/run.mjs', '--no-install', '--no-build'],
    ['bench/s3/run.mjs', '--no-install', '--no-build'],
    ['bench/watch/run.mjs', '--no-build'],
  ])(
    '%s: a --data directory holding files no benchmark made is refused (exit 2) and left as it is',
    (script, ...extra) => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-data-'))
      const probe = (data: string) => run(script, '--data', data, '--only', 'nope', ...extra)
      try {
        const mine = join(dir, 'thesis.tex')
        writeFileSync(mine, 'years of work')
        const bad = probe(dir)
        expect(bad.status).toBe(2)
        expect(bad.stderr).toMatch(
          /^bench: --data .*: the benchmark empties its data directory first, and this one holds files it did not make/,
        )
        expect(existsSync(mine)).toBe(true)
        // A new directory, or one a benchmark marked, is taken.
        expect(probe(join(dir, 'new')).stderr).toMatch(/^bench: --only: unknown scenario nope/)
        mkdirSync(join(dir, 'marked'))
        writeFileSync(join(dir, 'marked', '.syncflow-bench-data'), '')
        writeFileSync(join(dir, 'marked', 'results.md'), '')
        expect(probe(join(dir, 'marked')).stderr).toMatch(/^bench: --only: unknown scenario nope/)
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
    ['bench/watch/run.mjs', '--reps', '2.5', '--only', 'latency', '--no-build'],
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
