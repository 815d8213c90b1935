import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { rawClient } from './raw-client.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// An S3 prefix exists only once it holds a key. `bisync dir s3://b/new` seeded a new prefix, while
// `bisync s3://b/new dir` was refused before the run ("side A … does not exist", exit 2): the CLI
// checked A as a one-way source, where B was left to bisync's own rule (empty on a first run, gone
// once a run has synced it).

describeS3('syncflow bisync with a new S3 prefix as A (the built CLI)', (env) => {
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-bisync-new-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('seeds a prefix that holds no key yet on a first run; refuses it once synced and emptied', async () => {
    const local = join(dir, 'local')
    await mkdir(local)
    await writeFile(join(local, 'a.txt'), 'from the local side\n')
    const prefix = uniquePrefix(env, 'bisync-new-a')
    const run = (...extra: string[]) =>
      runCli(['bisync', `s3://${env.bucket}/${prefix}`, local, '--s3-endpoint', env.endpoint, ...extra], {
        env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) },
      })
    const first = await run()
    expect(first.code, first.stderr).toBe(0)
    const s3 = rawClient(env)
    const got = await s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${prefix}/a.txt` }))
    expect(await got.Body?.transformToString()).toBe('from the local side\n')

    // Its only key deleted: the prefix is gone, as an unmounted directory is, never read as empty.
    await s3.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${prefix}/a.txt` }))
    const gone = await run()
    expect(gone.code).toBe(2)
    expect(gone.stderr).toContain('does not exist')
    expect(gone.stderr).toContain('a side gone is never taken as empty')
    expect(await readFile(join(local, 'a.txt'), 'utf8')).toBe('from the local side\n')
  }, 60_000)
})
