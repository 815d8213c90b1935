import { execFileSync } from 'node:child_process'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, runCli, tempDir, writeTree } from './helpers/cli.js'

// Review of the state store: a state file this user may not write, or its SQLite journals (-wal,
// -shm) left by a killed run as another user (`sudo syncflow sync …` sharing the state directory),
// was found only when the run came to record what it had transferred: every run then copied
// everything it had to, and exited 1 with "SQLITE_READONLY: attempt to write a readonly database"
// and the hint "Check that the state directory exists and is writable" (it was), naming the state
// file, never the journal in the way. It is refused when the store opens, naming that file.
describe('a state file, or its SQLite journal, this user may not write', () => {
  beforeAll(() => buildCli())
  afterAll(() => cleanupTempDirs())

  it.skipIf(process.getuid?.() !== 0)('is refused at the start (exit 2), naming the file', async () => {
    const root = await tempDir('state-unwritable')
    const src = join(root, 'src')
    const dst = join(root, 'dst')
    await writeTree(src, { a: 'a' })
    await mkdir(join(root, 'st'))
    execFileSync('chown', ['-R', '65534:65534', root])
    const user = { uid: 65534, gid: 65534 }
    const state = join(root, 'st', 'job.sqlite')
    const run = () =>
      runCli(['sync', src, dst, '--state', state], { env: { SYNCFLOW_STATE_DIR: join(root, 'lock') }, ...user })
    const first = await run()
    expect(first.code, first.stderr).toBe(0)

    // Journals another user (root) left behind.
    await writeFile(join(root, 'st', 'job.sqlite-wal'), '')
    await writeFile(join(root, 'st', 'job.sqlite-shm'), '')
    await writeFile(join(src, 'a'), 'a2')
    const r = await run()
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.stderr).toContain(`${state}-wal`)
    expect(r.stderr).not.toContain('bug in syncflow')
    expect(r.stdout).not.toMatch(/^updated/m)
    expect(await readFile(join(dst, 'a'), 'utf8')).toBe('a')

    // The state file itself read-only.
    execFileSync('rm', [join(root, 'st', 'job.sqlite-wal'), join(root, 'st', 'job.sqlite-shm')])
    await chmod(state, 0o444)
    const ro = await run()
    expect(ro.code, ro.stdout + ro.stderr).toBe(2)
    expect(ro.stderr).toContain(`${JSON.stringify(state)}`)
    expect(ro.stdout).not.toMatch(/^updated/m)
  })

  // A two-way dry run only reads the records: a state file it may not write is no reason to refuse it.
  it.skipIf(process.getuid?.() !== 0)('is read by a two-way dry run all the same', async () => {
    const root = await tempDir('state-readonly-dry')
    const [a, b] = [join(root, 'a'), join(root, 'b')]
    await writeTree(a, { x: 'x' })
    await mkdir(b)
    await mkdir(join(root, 'st'))
    execFileSync('chown', ['-R', '65534:65534', root])
    const user = { uid: 65534, gid: 65534 }
    const state = join(root, 'st', 'job.sqlite')
    const run = (...flags: string[]) =>
      runCli(['bisync', a, b, '--state', state, ...flags], { env: { SYNCFLOW_STATE_DIR: join(root, 'lock') }, ...user })
    const first = await run()
    expect(first.code, first.stderr).toBe(0)
    await chmod(state, 0o444)
    await writeFile(join(a, 'y'), 'y')
    execFileSync('chown', ['65534:65534', join(a, 'y')])
    const dry = await run('-n')
    expect(dry.code, dry.stdout + dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/^would copy\s+y/m)
    // The real run is refused, naming the file.
    const real = await run()
    expect(real.code, real.stdout + real.stderr).toBe(2)
    expect(real.stderr).toContain(JSON.stringify(state))
  })
})
