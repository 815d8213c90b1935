import { describe, expect, it } from 'vitest'
import { type CliResult, readTree, startCli, tempDir, writeTree } from './helpers/cli.js'

/** The binary run under an open-files limit of `limit`; `whileRunning` may stop it (SIGINT) meanwhile. */
function runLimited(
  limit: number,
  args: readonly string[],
  env: Record<string, string>,
  whileRunning?: (stderr: () => string, stop: () => void) => Promise<void>,
): Promise<CliResult> {
  const run = startCli(args, { env, openFiles: limit })
  if (whileRunning === undefined) return run.exited
  return whileRunning(run.stderr, () => run.child.kill('SIGINT')).then(
    () => run.exited,
    (err) => {
      run.child.kill('SIGKILL')
      throw err
    },
  )
}

// QA 22 #15: under `ulimit -n 128` (a container, a service) a tree of small files failed with EMFILE
// on every try, and the state store said its package was missing or "a bug in syncflow".
describe('a low open-files limit', () => {
  it('runs fewer actions at once and completes, where it failed with EMFILE', async () => {
    const src = await tempDir()
    const dst = await tempDir()
    const state = await tempDir()
    const files: Record<string, string> = {}
    for (let d = 0; d < 20; d++) for (let f = 0; f < 150; f++) files[`d${d}/f${f}`] = `${d}.${f}\n`
    await writeTree(src, files)
    const r = await runLimited(128, ['sync', src, dst, '-q'], { SYNCFLOW_STATE_DIR: state })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(Object.keys(await readTree(dst)).length).toBe(3000)
  }, 60_000)

  it('says so when the --concurrency given is more than the limit allows', async () => {
    const src = await tempDir()
    const dst = await tempDir()
    await writeTree(src, { a: 'a' })
    const r = await runLimited(128, ['sync', src, dst, '--no-state', '--concurrency', '200'], {})
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('note: 44 actions at once, not 200: this process may have 128 files open (ulimit -n)')
    expect(r.stderr).toContain('Raise the limit (ulimit -n')
  })

  it('says so once in a watch, not again in every cycle', async () => {
    const src = await tempDir()
    const dst = await tempDir()
    await writeTree(src, { a: 'a' })
    const cycles = (err: string) => err.match(/^\d\d:\d\d:\d\d /gm)?.length ?? 0
    const r = await runLimited(
      128,
      ['watch', src, dst, '--no-state', '--concurrency', '200'],
      {},
      async (stderr, stop) => {
        await expect.poll(() => cycles(stderr()), { timeout: 20_000 }).toBe(1)
        await writeTree(src, { b: 'b' })
        await expect.poll(() => cycles(stderr()), { timeout: 20_000 }).toBe(2)
        await writeTree(src, { c: 'c' })
        await expect.poll(() => cycles(stderr()), { timeout: 20_000 }).toBe(3)
        stop()
      },
    )
    expect(r.stderr.match(/actions at once, not 200/g)).toHaveLength(1)
    expect(await readTree(dst)).toEqual({ a: 'a', b: 'b', c: 'c' })
  }, 60_000)

  // Review 22 F5: under about 37 the run died loading its own modules, with a Node stack trace.
  it('below the least limit syncflow runs under: one clear message, exit 2, no stack trace', async () => {
    const src = await tempDir()
    const dst = await tempDir()
    const r = await runLimited(32, ['sync', src, dst, '--no-state'], {})
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'syncflow: this process may have only 32 files open (ulimit -n); syncflow needs at least 48\n  Raise the limit (ulimit -n 1024, LimitNOFILE= of a systemd service) and run it again.\n',
    )
  })
})
