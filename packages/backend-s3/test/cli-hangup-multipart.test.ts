import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, jsonLines, runCli, startCli } from '../../cli-tui/test/helpers/cli.js'
import { rawClient } from './raw-client.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

const MiB = 1024 * 1024

// A SIGHUP (the terminal closed) while a big file went up as a multipart upload: the CLI closed
// the job and re-raised the signal at once, before lib-storage's AbortMultipartUpload of the
// interrupted upload had gone out, so the upload stayed unfinished on the service (billed) until a
// later run that writes there swept it, a day later, with no record to resume it by. An orderly
// stop now keeps an upload with parts on the service on purpose, recorded in the job's state, and
// says so: the next run resumes it (and any run that writes there aborts it after 24 h).

describeS3('syncflow sync to S3 hung up mid multipart upload (the built CLI)', (env) => {
  let dir: string
  let raw: S3Client
  beforeAll(async () => {
    buildCli()
    raw = rawClient(env)
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-hangup-'))
  })
  afterAll(async () => {
    raw?.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps the upload for resume, says so, and ends by the hangup; the next run sends the rest', async () => {
    const src = join(dir, 'src')
    await mkdir(src)
    // Above the backend's multipart threshold (64 MiB + 1): nine parts of 8 MiB.
    const size = 72 * MiB
    await writeFile(join(src, 'big.bin'), randomBytes(size))
    const prefix = uniquePrefix(env, 'hangup')
    const target = `s3://${env.bucket}/${prefix}`
    const options = {
      env: {
        SYNCFLOW_STATE_DIR: join(dir, 'state'),
        ...credentialsEnv(env),
      },
    }
    const uploads = async () =>
      (await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: `${prefix}/` }))).Uploads ?? []

    // 8 MiB/s: about nine seconds of upload, so that the signal lands in the middle of it.
    const run = startCli(['sync', src, target, '--s3-endpoint', env.endpoint, '--json', '--bwlimit', '8M'], options)
    // A `progress` event of an upload is a part the service has taken.
    await expect.poll(() => run.stdout(), { timeout: 30_000, interval: 20 }).toMatch(/"type":"progress"/)
    expect((await uploads()).map((u) => u.Key)).toEqual([`${prefix}/big.bin`])
    run.child.kill('SIGHUP')
    const r = await run.exited

    // Ended by the hangup itself (a shell's 129), after the orderly stop: its summary was written.
    expect(r.signal, r.stderr).toBe('SIGHUP')
    const done = jsonLines(r.stdout).at(-1) as { type: string; summary?: { interrupted?: boolean } }
    expect(done.type).toBe('done')
    expect(done.summary?.interrupted).toBe(true)
    const kept = jsonLines(r.stdout).filter((e) => e.type === 'notice' && e.code === 'UPLOAD_KEPT')
    expect(kept).toEqual([
      expect.objectContaining({
        path: 'big.bin',
        message: expect.stringMatching(/kept for resume \(\d+ of 9 parts\)/),
      }),
    ])
    expect((await uploads()).map((u) => u.Key)).toEqual([`${prefix}/big.bin`])

    const again = await runCli(['sync', src, target, '--s3-endpoint', env.endpoint], options)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toMatch(/note: resumed the upload of .*big\.bin that an interrupted run began: \d+ of 9 parts/)
    const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${prefix}/big.bin` }))
    expect(head.ContentLength).toBe(size)
    expect(await uploads()).toEqual([])
  }, 120_000)
})
