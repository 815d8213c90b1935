import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'

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
  // QA 36: a backend that listed out of order failed the ordering test with a bare array diff, and
  // the mode, size and name tests too, as if those values were wrong; one that never called
  // onProgress failed with "expected 0 to be greater than 0".
  it('says that a listing is out of order, in every test that lists', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', FIXTURE_CONFIG, 'unsorted', '-t', 'mode|sizes'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    )
    const out = `${run.stdout}${run.stderr}`
    expect(out).toMatch(/unsorted\.conformance\.ts/)
    expect(run.status, out).toBe(1)
    const failures = out.match(
      /list\(\) yielded "[^"]+" after "[^"]+": a listing yields each entry once, in ascending UTF-8 byte order/g,
    )
    // "mode (permission bits) through write, stat and list" and "lists sizes, and only valid RelPaths".
    expect(failures?.length, out).toBeGreaterThanOrEqual(2)
    expect(out).not.toMatch(/to deeply equal/)
  }, 120_000)

  // QA 36: against a backend that let `../x` through to its directory before failing, the
  // path-safety test wrote `pwned` outside the backend's root (`/tmp/x` for a root in /tmp), and a
  // later member of the list was `../../etc/passwd`: a conformance suite must harm nothing.
  it('keeps a path a backend lets out of its root inside a directory of its own, and names where it went', () => {
    // The fixture's vitest gets a temp directory of its own, which must be empty again after it.
    const tmp = mkdtempSync(join(tmpdir(), 'syncflow-escaping-'))
    onTestFinished(() => rmSync(tmp, { recursive: true, force: true }))
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', FIXTURE_CONFIG, 'escaping', '-t', 'write rejects'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true', TMPDIR: tmp } },
    )
    const out = `${run.stdout}${run.stderr}`
    expect(out).toMatch(/escaping\.conformance\.ts/)
    expect(run.status, out).toBe(1)
    expect(out).toMatch(
      /write\("\.\.\/syncflow-testkit-escaped"\) reached outside the backend's root \(\S+\/outside\/root\): changed \S+\/outside\/syncflow-testkit-escaped/,
    )
    expect(readdirSync(tmp), 'left in the temp directory').toEqual([])
  }, 120_000)

  it('says that write() never called onProgress', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', FIXTURE_CONFIG, 'no-progress', '-t', 'progress'],
      { cwd: REPO, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    )
    const out = `${run.stdout}${run.stderr}`
    expect(out).toMatch(/no-progress\.conformance\.ts/)
    expect(run.status, out).toBe(1)
    expect(out).toMatch(/write\(\) never called opts\.onProgress/)
  }, 120_000)
})
