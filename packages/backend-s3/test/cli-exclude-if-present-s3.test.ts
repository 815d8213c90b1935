import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// --exclude-if-present with an s3:// side is refused (an S3 listing cannot tell which directories
// hold a marker), but only once the engine started: a real run had made the local target's root
// ("created ." on stdout, "Stopped after 0.0s: created 1 directory"), and the message was the raw
// "USAGE: sync: --exclude-if-present cannot be used with s3://…", with no hint. A usage error is
// said before anything is written, as `ls` says it.

describeS3('syncflow sync --exclude-if-present with an S3 side (the built CLI)', (env) => {
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-eip-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('is a usage error before the target is made or anything is written', async () => {
    const seed = join(dir, 'seed')
    await mkdir(seed)
    await writeFile(join(seed, 'a.txt'), 'a')
    const prefix = uniquePrefix(env, 'eip')
    const s3 = `s3://${env.bucket}/${prefix}`
    const run = (...args: string[]) =>
      runCli([...args, '--s3-endpoint', env.endpoint], {
        env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) },
      })
    const seeded = await run('copy', seed, s3)
    expect(seeded.code, seeded.stderr).toBe(0)

    const target = join(dir, 'new-target')
    const r = await run('sync', s3, target, '--exclude-if-present', '.nobackup')
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^syncflow: --exclude-if-present cannot be used with s3:\/\//)
    expect(r.stderr).not.toContain('USAGE: sync:')
    await expect(stat(target)).rejects.toThrow()

    // A local source into S3: refused the same way, nothing uploaded.
    const into = `s3://${env.bucket}/${uniquePrefix(env, 'eip-into')}`
    const up = await run('sync', seed, into, '--exclude-if-present', '.nobackup', '--json')
    expect(up.code).toBe(2)
    const lines = up.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'done', summary: { fatal: { code: 'USAGE' } } })
    const listed = await run('ls', into)
    expect(listed.code).toBe(2)
    expect(await readdir(seed)).toEqual(['a.txt'])
  })
})
