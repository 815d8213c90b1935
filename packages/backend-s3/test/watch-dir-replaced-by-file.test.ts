import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, jsonLines, killedAfterEach, startCli } from '../../cli-tui/test/helpers/cli.js'
import { rawClient } from './raw-client.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// Review of watch: a source directory replaced by a file of the same name (`rm -rf y; echo > y`)
// while watching into s3://: the cycle uploaded the file `y`, then deleted the directory `y` (its
// keys below were deleted first), and that delete was a DeleteObject of the key `y`, the file
// just uploaded. The target lacked `y` while every line said it was copied, until the next rescan.

const running = killedAfterEach()

describeS3('syncflow watch into s3://: a directory replaced by a file', (env) => {
  const raw = rawClient(env)
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-watch-dir-file-'))
  })
  afterAll(async () => {
    raw.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps the file that replaced the directory', async () => {
    const src = join(dir, 'src')
    await mkdir(join(src, 'y'), { recursive: true })
    await writeFile(join(src, 'y', 'b'), 'below')
    await writeFile(join(src, 'k'), 'k')
    const prefix = uniquePrefix(env, 'watch-dir-file')
    const keys = async () =>
      ((await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: `${prefix}/` }))).Contents ?? [])
        .map((o) => (o.Key ?? '').slice(prefix.length + 1))
        .sort()
    const r = startCli(
      ['watch', '--rescan', '0', '--json', src, `s3://${env.bucket}/${prefix}`, '--s3-endpoint', env.endpoint],
      { cwd: dir, env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) } },
    )
    running.push(r)
    const cycles = () => jsonLines(r).filter((e) => e.type === 'done').length
    await expect.poll(cycles, { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    expect(await keys()).toEqual(['k', 'y/b'])

    await rm(join(src, 'y'), { recursive: true })
    await writeFile(join(src, 'y'), 'now a file')
    await expect.poll(cycles, { timeout: 20_000 }).toBeGreaterThanOrEqual(2)
    // The cycle's last action (the directory's delete) is done before its `done`.
    await expect.poll(keys, { timeout: 10_000 }).not.toContain('y/b')
    expect(await keys()).toEqual(['k', 'y'])
    r.child.kill('SIGINT')
    expect((await r.exited).code).toBe(130)
  }, 60_000)
})
