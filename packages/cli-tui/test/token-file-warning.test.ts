import { chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTempDirs, killedAfterEach, readTree, runCli, startServe, tempDir, writeTree } from './helpers/cli.js'

// QA 30a #4: serve warns of a --token-file other users may read (QA 26j), but a client read the
// same token from such a file without a word (rsync refuses a --password-file so, ssh a key).

const servers = killedAfterEach()
afterEach(cleanupTempDirs)

describe('a client --token-file other users may read', () => {
  it('is warned of (and still used); one only its owner reads is not', async () => {
    const dir = await tempDir('token-file-warning-')
    await writeTree(dir, { 'root/.keep': '', 'src/a.txt': 'alpha', 'open.token': 'tok\n', 'private.token': 'tok\n' })
    await chmod(join(dir, 'open.token'), 0o644)
    await chmod(join(dir, 'private.token'), 0o600)
    const { server, port } = await startServe(join(dir, 'root'), {}, ['--token', 'tok'])
    servers.push(server)

    const open = await runCli([
      'sync',
      join(dir, 'src'),
      `grpc://127.0.0.1:${port}/a`,
      '--token-file',
      join(dir, 'open.token'),
      '--no-state',
    ])
    expect(open.code, open.stderr).toBe(0)
    expect(open.stderr).toContain(
      `syncflow: warning: --token-file ${join(dir, 'open.token')} is readable by other users (mode 0644)`,
    )
    expect(await readTree(join(dir, 'root/a'))).toEqual({ 'a.txt': 'alpha' })

    const closed = await runCli([
      'sync',
      join(dir, 'src'),
      `grpc://127.0.0.1:${port}/b`,
      '--token-file',
      join(dir, 'private.token'),
      '--no-state',
    ])
    expect(closed.code, closed.stderr).toBe(0)
    expect(closed.stderr).not.toContain('readable by other users')
  })

  it('is warned of when only the --backup-dir is a grpc:// location', async () => {
    const dir = await tempDir('token-file-warning-')
    await writeTree(dir, { 'root/.keep': '', 'src/a.txt': 'new, longer', 'dst/a.txt': 'old', 'open.token': 'tok\n' })
    await chmod(join(dir, 'open.token'), 0o644)
    const { server, port } = await startServe(join(dir, 'root'), {}, ['--token', 'tok'])
    servers.push(server)

    const run = await runCli([
      'sync',
      join(dir, 'src'),
      join(dir, 'dst'),
      '--backup-dir',
      `grpc://127.0.0.1:${port}/old`,
      '--token-file',
      join(dir, 'open.token'),
      '--no-state',
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain(`--token-file ${join(dir, 'open.token')} is readable by other users (mode 0644)`)
    expect(await readTree(join(dir, 'root/old'))).toEqual({ 'a.txt': 'old' })
  })
})
