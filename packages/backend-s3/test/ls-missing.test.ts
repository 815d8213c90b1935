import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

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
        ...credentialsEnv(env),
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
    const prefix = uniquePrefix(env, 'ls-missing')
    const r = await ls(`s3://${env.bucket}/${prefix}`)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/does not exist/)
    expect(r.stderr).not.toMatch(/bucket .* does not exist/)
    // The hint is about a prefix, not about bare local paths (QA 16 F9).
    expect(r.stderr).toContain(`no key under \`${prefix}/\``)
    expect(r.stderr).not.toMatch(/bare path/)
  })

  // QA 23 #9: with keys `p1/…` only, `ls s3://b/p` said "no key starts with that prefix", which
  // `p1/a.log` does: what is missing is a key under `p/`.
  it('a prefix that other keys merely start with: "no key under `p/`"', async () => {
    const base = uniquePrefix(env, 'ls-under')
    const b = testBackend(env, { prefix: `${base}/p1` })
    try {
      await b.write('a.log' as RelPath, Readable.from([Buffer.from('a')]), { size: 1, mtimeMs: 1_700_000_000_000 })
    } finally {
      await b.close()
    }
    const r = await ls(`s3://${env.bucket}/${base}/p`)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`no key under \`${base}/p/\``)
    expect(r.stderr).not.toMatch(/starts with/)
  })

  // QA 29d: the bucket written into the endpoint as well (`--s3-endpoint http://host:9000/bucket`,
  // as some services' consoles show it): path-style requests went to /bucket/bucket, an object's
  // URL, and the listing failed as "no such object: request failed (NoSuchKey, HTTP 404)".
  it('an endpoint with the bucket in its path says so, with the endpoint to give (exit 2)', async () => {
    const r = await runCli(['ls', `s3://${env.bucket}/x`, '--s3-endpoint', `${env.endpoint}/${env.bucket}`, '--json'], {
      cwd: dir,
      env: { ...credentialsEnv(env) },
    })
    expect(r.code).toBe(2)
    const fatal = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}').fatal
    expect(fatal).toMatchObject({ code: 'USAGE', message: expect.stringContaining(`has a path (/${env.bucket})`) })
    expect(fatal.message).not.toMatch(/no such object/)
    expect(fatal.hint).toContain(`--s3-endpoint ${env.endpoint} `)
  })
})
