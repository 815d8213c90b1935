import { mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acquireJobLock, jobIdOf } from '@syncflow/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// QA 29c: one bucket name on two S3-compatible services was one job, one state. A run to service B
// recorded B's objects; back on A, the record vouched for A's objects of the same bytes (an ETag is
// their MD5), uploaded before it: a `chmod 600` made in the source between the runs reached B, never
// A (sync "nothing to do", check "mode to set"), where --no-state sets it. A job per endpoint.

describeS3('syncflow sync to one bucket name at two endpoints (the built CLI)', (env) => {
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-endpoint-job-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  // Two spellings of the test server's endpoint stand for two services (a server on 127.0.0.1
  // answers both): each is its own job, with its own state file.
  it.skipIf(!new URL(env.endpoint).hostname.startsWith('127.0.0.1'))(
    'keeps a job (a state file) per endpoint; the same endpoint from the flag or the environment is one',
    async () => {
      const src = join(dir, 'src')
      await mkdir(src)
      await writeFile(join(src, 'f.txt'), 'same bytes\n')
      const target = `s3://${env.bucket}/${uniquePrefix(env, 'endpoint-job')}`
      const stateDir = join(dir, 'state')
      const run = async (endpointArgs: string[], extraEnv: Record<string, string> = {}) => {
        const r = await runCli(['sync', src, target, ...endpointArgs], {
          env: { SYNCFLOW_STATE_DIR: stateDir, ...credentialsEnv(env), ...extraEnv },
        })
        expect(r.code, r.stderr).toBe(0)
      }
      const stores = async () => (await readdir(stateDir)).filter((n) => n.endsWith('.sqlite')).sort()
      await run(['--s3-endpoint', env.endpoint])
      const first = await stores()
      expect(first).toHaveLength(1)
      // The same endpoint, from the environment and with a trailing slash: the same job.
      await run([], { AWS_ENDPOINT_URL_S3: `${env.endpoint}/` })
      expect(await stores()).toEqual(first)
      // Another endpoint: another job.
      await run(['--s3-endpoint', env.endpoint.replace('127.0.0.1', 'localhost')])
      expect(await stores()).toHaveLength(2)
    },
    60_000,
  )

  // QA 31m: a version before 73b7dfd knew this job by its URIs alone, and held only that lock. Its
  // run, still going across an upgrade (a long sync, a watch), did not keep this version's run out:
  // both wrote into one target. That lock, held by a live process (this one), is honoured now.
  it('refuses to run beside a run of an earlier version, which holds the job by its URIs alone', async () => {
    const src = join(dir, 'src-earlier')
    await mkdir(src)
    await writeFile(join(src, 'f.txt'), 'bytes\n')
    const target = `s3://${env.bucket}/${uniquePrefix(env, 'earlier-lock')}`
    const stateDir = join(dir, 'state-earlier')
    const run = () =>
      runCli(['sync', src, target, '--s3-endpoint', env.endpoint], {
        env: { SYNCFLOW_STATE_DIR: stateDir, ...credentialsEnv(env) },
      })
    const earlier = await acquireJobLock(jobIdOf(await realpath(src), target), { stateDir })
    try {
      const r = await run()
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(`another syncflow run holds the lock for this job (pid ${process.pid}`)
    } finally {
      await earlier.release()
    }
    const r = await run()
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('copied 1 file')
  }, 60_000)
})
