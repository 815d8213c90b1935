import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const FIXTURE_CONFIG = fileURLToPath(new URL('fixtures/conformance-fixture.config.ts', import.meta.url))

// QA 30c: the conformance suite passed a backend whose stat() kept a path's first entry, or whose hash() kept a file's first digest after the
// file was written again (each test wrote a path once), and `check -c` against such a target said
// "in sync" of a file whose bytes differed. The suite is run here as a backend author runs it.
describe('the conformance suite', () => {
  it('fails a backend whose stat() keeps the first entry of a path after a rewrite', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', FIXTURE_CONFIG, 'stale-stat', '-t', 'written again'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    )
    const out = `${run.stdout}${run.stderr}`
    expect(out).toMatch(/stale-stat\.conformance\.ts/)
    expect(run.status, out).toBe(1)
    expect(out).toMatch(/stat after the file was written again/)
  }, 120_000)

  it('fails a backend whose hash() keeps a stale digest after a rewrite', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', FIXTURE_CONFIG, 'stale-hash', '-t', 'rewritten'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    )
    const out = `${run.stdout}${run.stderr}`
    expect(out).toMatch(/stale-hash\.conformance\.ts/)
    expect(run.status, out).toBe(1)
    expect(out).toMatch(/hash\(md5\) after the file was written again/)
  }, 120_000)
})
