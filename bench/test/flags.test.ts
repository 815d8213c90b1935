import { spawnSync } from 'node:child_process'
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
})
