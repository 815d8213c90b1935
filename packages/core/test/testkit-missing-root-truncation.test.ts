import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const FIXTURE_CONFIG = fileURLToPath(new URL('fixtures/conformance-fixture.config.ts', import.meta.url))

// Plugin-API review: `missingRoot` was used only for rootExists(); a backend whose list() throws
// NOT_FOUND on a root that does not exist yet passed the suite, and then failed every first
// `syncflow sync SRC plugin://new-location` with exit 2 ("NOT_FOUND: … no such directory").
describe('the conformance suite', () => {
  it('fails a backend whose list() of a missing root throws instead of listing nothing', () => {
    const run = spawnSync(
      process.execPath,
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        '--config',
        FIXTURE_CONFIG,
        'missing-root-list',
        '-t',
        'root does not exist',
      ],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    )
    const out = `${run.stdout}${run.stderr}`
    expect(out).toMatch(/missing-root-list\.conformance\.ts/)
    expect(run.status, out).toBe(1)
    expect(out).toMatch(/lists nothing/)
  }, 120_000)

  // Plugin-API review: with largeFile skipped (as a memory-bound backend skips it), no test read back
  // a file over 300 KB: a backend whose read() gave only the first MiB of a file passed the suite.
  it('fails a backend whose read() loses what follows the first MiB, with largeFile skipped', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', FIXTURE_CONFIG, 'truncating'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    )
    const out = `${run.stdout}${run.stderr}`
    expect(out).toMatch(/truncating\.conformance\.ts/)
    expect(run.status, out).toBe(1)
  }, 120_000)
})
