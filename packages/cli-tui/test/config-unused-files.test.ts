import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTempDirs, expectUsageError, readTree, runCli, tempDir, writeTree } from './helpers/cli.js'

// One config file serves every command of a job, as rclone's config names remotes that a command
// may not use (rclone reads a remote's settings only when a command uses that remote). A
// `token-file` or `ca-file` that cannot be read failed every command, a local → local sync too;
// now only a command that reads it (a grpc:// location) fails, with exit 2 naming the key and file.

afterEach(cleanupTempDirs)

async function jobWithMissingFiles(): Promise<{ conf: string; job: string; src: string; dst: string }> {
  const conf = await tempDir('config-unused-')
  const job = join(conf, 'job.json')
  await writeTree(conf, {
    'job.json': JSON.stringify({ 'token-file': 'gone.token', 'ca-file': 'gone.pem', exclude: ['*.tmp'] }),
    'src/a.txt': 'alpha',
    'src/b.tmp': 'scratch',
  })
  return { conf, job, src: join(conf, 'src'), dst: join(conf, 'dst') }
}

describe('--config naming a token-file or ca-file that cannot be read', () => {
  it('a command that opens no grpc:// location runs, the rest of the file applied', async () => {
    const { job, src, dst } = await jobWithMissingFiles()
    const sync = await runCli(['sync', src, dst, '--config', job, '--no-state'])
    expect(sync.code, sync.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ 'a.txt': 'alpha' })
    const ls = await runCli(['ls', src, '--config', job])
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.stdout).toContain('a.txt')
    const check = await runCli(['check', src, dst, '--config', job])
    expect(check.code, check.stderr).toBe(0)
  })

  it('a grpc:// location that needs the token file: exit 2 naming the key, the file and why', async () => {
    const { conf, job, src } = await jobWithMissingFiles()
    // Nothing listens on port 1: the file is checked before any connection.
    expectUsageError(
      await runCli(['sync', src, 'grpc://127.0.0.1:1/x', '--config', job, '--no-state']),
      `config file ${job}: "token-file" "gone.token" (${join(conf, 'gone.token')}): no such file (needed for grpc://127.0.0.1:1/x)`,
      "A path in a config file is relative to the file's directory. Give a readable file whose first line is the token.",
    )
    expectUsageError(
      await runCli(['ls', 'grpc://127.0.0.1:1/', '--config', job]),
      `"token-file" "gone.token"`,
      'no such file',
    )
  })

  it('a grpcs:// location needs the CA file too; a plain grpc:// one does not read it', async () => {
    const { conf, job, src } = await jobWithMissingFiles()
    await writeTree(conf, { 'gone.token': 'sekrit\n' })
    expectUsageError(
      await runCli(['ls', 'grpcs://127.0.0.1:1/', '--config', job]),
      `config file ${job}: "ca-file" "gone.pem" (${join(conf, 'gone.pem')}): no such file (needed for grpcs://127.0.0.1:1/)`,
      'Give a readable PEM file of the CA certificate.',
    )
    // grpc:// takes no CA file: the backend says so, not that the file is missing.
    const plain = await runCli(['sync', src, 'grpc://127.0.0.1:1/x', '--config', job, '--no-state'])
    expect(plain.code, plain.stderr).toBe(2)
    expect(plain.stderr).toContain('a CA file is only used with grpcs://')
    expect(plain.stderr).not.toContain('gone.pem')
  })
})
