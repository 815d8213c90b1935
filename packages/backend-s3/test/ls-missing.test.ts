import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

// QA 12 #8: `ls` of a bucket that does not exist said `"s3://…" does not exist … (a bare path is a
// local directory)`, where `sync` names the bucket and says to create it.

describeS3('syncflow ls of a missing S3 location (the built CLI)', (env) => {
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-ls-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const ls = (uri: string) =>
    runCli(['ls', uri, '--s3-endpoint', env.endpoint], {
      cwd: dir,
      env: {
        AWS_ACCESS_KEY_ID: env.accessKeyId,
        AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
        AWS_REGION: env.region,
      },
    })

  it('a missing bucket is named as such, with the hint to create it (exit 2)', async () => {
    const r = await ls(`s3://no-such-bucket-${process.pid}/x`)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(new RegExp(`bucket no-such-bucket-${process.pid} does not exist`))
    expect(r.stderr).toMatch(/create the bucket/)
    expect(r.stderr).not.toMatch(/bare path/)
  })

  it('an empty prefix of an existing bucket still says the location does not exist (exit 2)', async () => {
    const r = await ls(`s3://${env.bucket}/${uniquePrefix(env, 'ls-missing')}`)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/does not exist/)
    expect(r.stderr).not.toMatch(/bucket .* does not exist/)
    // The hint is about a prefix, not about bare local paths (QA 16 F9).
    expect(r.stderr).toMatch(/no key starts with that prefix/)
    expect(r.stderr).not.toMatch(/bare path/)
  })
})
