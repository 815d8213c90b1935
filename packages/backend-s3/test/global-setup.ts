// Vitest globalSetup of the backend-s3 project: gets an S3 server for the tests and hands its
// coordinates to them with `provide('s3', …)` (read with `inject('s3')`, see s3-test-env.ts).
//
// - `S3_TEST_ENDPOINT` set: that server is used as is (AWS, MinIO, …) with S3_TEST_ACCESS_KEY,
//   S3_TEST_SECRET_KEY, S3_TEST_REGION (us-east-1) and S3_TEST_BUCKET (created when missing;
//   default `syncflow-test`), and S3_TEST_STORAGE_CLASS (a class besides STANDARD it offers, for
//   the storage-class tests). Every run works under its own random prefix.
// - otherwise: scripts/s3/start-radosgw.sh installs (as root on Debian) and starts a throw-away
//   radosgw on 127.0.0.1; the teardown stops it and removes its directory.
// - no server can be had (not root, not Debian, install failed): the tests are skipped, and every
//   skipped suite's title says why. A server that was installed but fails to start is an error.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import type { S3TestEnv } from './s3-test-env.js'

const SCRIPTS = fileURLToPath(new URL('../../../scripts/s3/', import.meta.url))

interface Started {
  readonly vars: Record<string, string>
  readonly dir: string
}

/** Runs start-radosgw.sh; `unavailable` carries the script's reason when it exited with 3. */
function startRadosgw(): Promise<Started | { unavailable: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'bash',
      [`${SCRIPTS}start-radosgw.sh`, '--store', 'memstore', '--owner', String(process.pid)],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const lines = stderr.trim().split('\n')
        if (error) {
          const last = lines.at(-1) ?? ''
          if ((error as { code?: unknown }).code === 3 && last.startsWith('unavailable: ')) {
            resolve({ unavailable: last.slice('unavailable: '.length) })
          } else {
            reject(new Error(`scripts/s3/start-radosgw.sh failed (${error.message}):\n${lines.slice(-40).join('\n')}`))
          }
          return
        }
        const vars: Record<string, string> = {}
        for (const m of stdout.matchAll(/^export (\w+)=(.*)$/gm)) vars[m[1]!] = m[2]!
        if (!vars.S3_TEST_ENDPOINT || !vars.RADOSGW_DIR) {
          reject(new Error(`scripts/s3/start-radosgw.sh printed no endpoint:\n${stdout}`))
          return
        }
        resolve({ vars, dir: vars.RADOSGW_DIR })
      },
    )
    // Progress lines of the script itself (not apt's output) are shown as they come.
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.startsWith('start-radosgw: ')) console.error(line)
    })
  })
}

function stopRadosgw(dir: string): Promise<void> {
  return new Promise((resolve) => {
    execFile('bash', [`${SCRIPTS}stop-radosgw.sh`, dir], (error, _stdout, stderr) => {
      if (error) console.error(`stop-radosgw.sh failed: ${stderr}`)
      resolve()
    })
  })
}

/** Creates the bucket unless it exists, retrying until the server answers (it may still be warming up). */
async function ensureBucket(env: S3TestEnv & { available: true }): Promise<void> {
  const { S3Client, CreateBucketCommand, HeadBucketCommand } = await import('@aws-sdk/client-s3')
  const client = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const deadline = Date.now() + 60_000
  try {
    for (;;) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: env.bucket }))
        return
      } catch (headError) {
        try {
          await client.send(new CreateBucketCommand({ Bucket: env.bucket }))
          return
        } catch (error) {
          const name = (error as { name?: string }).name
          if (name === 'BucketAlreadyOwnedByYou') return
          if (Date.now() > deadline)
            throw new Error(`cannot create bucket ${env.bucket}`, { cause: [headError, error] })
        }
      }
      // Polling a server that is still starting: the next attempt is the condition we wait for.
      await new Promise((r) => setTimeout(r, 200))
    }
  } finally {
    client.destroy()
  }
}

/** Installs rclone for the compatibility test when it can (root on Debian); its absence only skips that test. */
function installRclone(): Promise<void> {
  return new Promise((resolve) => {
    execFile('bash', [`${SCRIPTS}install-peers.sh`, 'rclone'], (error, _stdout, stderr) => {
      if (error) console.error(`backend-s3: rclone not installed (${stderr.trim().split('\n').at(-1)})`)
      resolve()
    })
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const runPrefix = `run-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}/`
  let env: S3TestEnv
  let dir: string | undefined
  const given = process.env.S3_TEST_ENDPOINT
  if (given) {
    env = {
      available: true,
      endpoint: given,
      accessKeyId: process.env.S3_TEST_ACCESS_KEY ?? '',
      secretAccessKey: process.env.S3_TEST_SECRET_KEY ?? '',
      region: process.env.S3_TEST_REGION ?? 'us-east-1',
      bucket: process.env.S3_TEST_BUCKET ?? 'syncflow-test',
      runPrefix,
      radosgw: false,
      ...(process.env.S3_TEST_STORAGE_CLASS ? { storageClass: process.env.S3_TEST_STORAGE_CLASS } : {}),
    }
  } else {
    const [started] = await Promise.all([startRadosgw(), installRclone()])
    if ('unavailable' in started) {
      console.error(`backend-s3: no S3 server, S3 tests are skipped: ${started.unavailable}`)
      project.provide('s3', { available: false, reason: started.unavailable })
      return async () => {}
    }
    dir = started.dir
    env = {
      available: true,
      endpoint: started.vars.S3_TEST_ENDPOINT!,
      accessKeyId: started.vars.S3_TEST_ACCESS_KEY!,
      secretAccessKey: started.vars.S3_TEST_SECRET_KEY!,
      region: started.vars.S3_TEST_REGION ?? 'us-east-1',
      bucket: 'syncflow-test',
      runPrefix,
      radosgw: true,
      ...(started.vars.S3_TEST_STORAGE_CLASS ? { storageClass: started.vars.S3_TEST_STORAGE_CLASS } : {}),
    }
  }
  try {
    await ensureBucket(env)
  } catch (error) {
    if (dir) await stopRadosgw(dir)
    throw error
  }
  project.provide('s3', env)
  return async () => {
    if (dir) await stopRadosgw(dir)
  }
}
