import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the runs are the built binary's, as a user's.
import { buildCli, jsonLines, runCli, startCli } from '../../cli-tui/test/helpers/cli.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { rawClient } from './raw-client.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

const MiB = 1024 * 1024
// Above the backend's multipart threshold (64 MiB + 1): nine parts of 8 MiB (the CLI's part size).
const SIZE = 72 * MiB
const PARTS = 9
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex')

// A big upload killed (SIGKILL: a crash, the OOM killer, a power cut) goes on where it stopped on
// the next run of the same job: the parts the service holds, each proven by its MD5, are not sent
// again. Before, the whole file was sent again (as the AWS CLI and rclone do).

describeS3('syncflow sync to S3 killed mid multipart upload resumes it (the built CLI)', (env) => {
  let dir: string
  let raw: S3Client
  let proxy: CountingProxy
  beforeAll(async () => {
    buildCli()
    raw = rawClient(env)
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-resume-'))
    proxy = await startCountingProxy(env.endpoint)
  })
  afterAll(async () => {
    raw?.destroy()
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** A job whose first run is killed once `partsBefore` parts are on the service; its upload is left. */
  async function killedJob(name: string) {
    const src = join(dir, name)
    await mkdir(src)
    const data = randomBytes(SIZE)
    await writeFile(join(src, 'big.bin'), data)
    const prefix = uniquePrefix(env, name)
    const target = `s3://${env.bucket}/${prefix}`
    const options = { env: { SYNCFLOW_STATE_DIR: join(dir, `${name}-state`), ...credentialsEnv(env) } }
    const uploads = async () =>
      (await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: `${prefix}/` }))).Uploads ?? []
    const args = ['sync', src, target, '--s3-endpoint', proxy.url, '--json']
    proxy.reset()
    // 8 MiB/s: about nine seconds of upload, so that the kill lands in the middle of it.
    const run = startCli([...args, '--bwlimit', '8M'], options)
    const partsDone = () => proxy.log.filter((op) => op === 'PUT_PART done').length
    await expect.poll(partsDone, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(3)
    run.child.kill('SIGKILL')
    const r = await run.exited
    expect(r.signal).toBe('SIGKILL')
    const left = await uploads()
    expect(left.map((u) => u.Key)).toEqual([`${prefix}/big.bin`])
    const again = async () => {
      proxy.reset()
      const r2 = await runCli(args, options)
      expect(r2.code, r2.stderr).toBe(0)
      return r2
    }
    const stored = async () => {
      const got = await raw.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${prefix}/big.bin` }))
      return md5(await got.Body!.transformToByteArray())
    }
    const head = () => raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${prefix}/big.bin` }))
    return { src, data, prefix, uploadId: left[0]!.UploadId!, uploads, again, stored, head }
  }

  it('the next run sends only the parts the service lacks; the object is byte-identical, with its mtime', async () => {
    const job = await killedJob('resumed')
    const r = await job.again()
    expect(proxy.counts.PUT_PART ?? 0).toBeLessThan(PARTS)
    expect(proxy.counts.CREATE_MULTIPART ?? 0).toBe(0)
    const notices = jsonLines(r.stdout).filter((e) => e.type === 'notice' && e.code === 'UPLOAD_RESUMED')
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatchObject({ path: 'big.bin', message: expect.stringMatching(/parts \(\d+ bytes\)/) })
    // The summary counts the bytes sent, not the file: the parts on the service already are not.
    const skipped = Number(/parts \((\d+) bytes\)/.exec(String(notices[0]!.message))?.[1])
    const done = jsonLines(r.stdout).at(-1) as unknown as { summary: { bytesTransferred: number } }
    expect(skipped).toBeGreaterThan(0)
    expect(done.summary.bytesTransferred).toBe(SIZE - skipped)
    expect(await job.stored()).toBe(md5(job.data))
    const head = await job.head()
    expect(head.ContentLength).toBe(SIZE)
    const mtimeMs = (await stat(join(job.src, 'big.bin'))).mtimeMs
    expect(Math.abs(Number(head.Metadata?.mtime) * 1000 - mtimeMs)).toBeLessThan(1)
    expect(head.Metadata?.md5chksum).toBe(Buffer.from(md5(job.data), 'hex').toString('base64'))
    expect(await job.uploads()).toEqual([])
    // In sync now: nothing more is sent.
    await job.again()
    expect(proxy.counts.PUT_PART ?? 0).toBe(0)
  }, 180_000)

  it('a part on the service whose ETag is not the MD5 of the bytes read is sent again', async () => {
    const job = await killedJob('tampered')
    // Part 1 replaced on the service by other bytes of the same size (damaged, or another writer's).
    await raw.send(
      new UploadPartCommand({
        Bucket: env.bucket,
        Key: `${job.prefix}/big.bin`,
        UploadId: job.uploadId,
        PartNumber: 1,
        Body: randomBytes(8 * MiB),
      }),
    )
    await job.again()
    // Part 1 again, and those the killed run had not sent: fewer than all.
    expect(proxy.counts.PUT_PART ?? 0).toBeGreaterThanOrEqual(1)
    expect(proxy.counts.PUT_PART ?? 0).toBeLessThan(PARTS)
    expect(await job.stored()).toBe(md5(job.data))
    expect(await job.uploads()).toEqual([])
  }, 180_000)

  it('a source file changed since (same size, new bytes and mtime) is sent whole; the old upload is aborted', async () => {
    const job = await killedJob('changed')
    const data = randomBytes(SIZE)
    const file = join(job.src, 'big.bin')
    await writeFile(file, data)
    const later = new Date(Date.now() + 60_000)
    await utimes(file, later, later)
    const r = await job.again()
    expect(proxy.counts.PUT_PART ?? 0).toBe(PARTS)
    expect(jsonLines(r.stdout).filter((e) => e.type === 'notice' && e.code === 'UPLOAD_RESUMED')).toEqual([])
    expect(await job.stored()).toBe(md5(data))
    const head = await job.head()
    expect(Number(head.Metadata?.mtime) * 1000).toBeCloseTo(later.getTime(), -1)
    expect(await job.uploads()).toEqual([])
  }, 180_000)
})
