import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, runCli, tempDir } from './helpers/cli.js'

/**
 * A source bucket that does not exist, or whose name is not valid: the backend's own account (as
 * `ls` gives it), not only "the source … does not exist" (QA 17). A stand-in endpoint answers
 * every request as S3 does for a missing bucket; the real server's answers are the S3 tests'.
 */
describe('a missing source bucket', () => {
  let server: Server
  let endpoint: string
  beforeAll(async () => {
    buildCli()
    server = createServer((req, res) => {
      req.resume()
      res.writeHead(404, { 'content-type': 'application/xml' })
      res.end(
        req.method === 'HEAD'
          ? undefined
          : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>',
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await cleanupTempDirs()
  })
  const run = async (...args: string[]) => {
    const root = await tempDir()
    return runCli([...args, join(root, 'dst'), '--s3-endpoint', endpoint], {
      env: {
        SYNCFLOW_STATE_DIR: join(root, 'state'),
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_REGION: 'us-east-1',
      },
    })
  }

  it('is named as a missing bucket at its endpoint, exit 2', async () => {
    const r = await run('sync', 's3://nobucket/x')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(`bucket nobucket does not exist at ${endpoint}`)
  })

  // Review 24b: a --backup-dir in a bucket that does not exist failed each file on its own.
  it('as a --backup-dir, before anything runs, exit 2', async () => {
    const root = await tempDir()
    await writeFile(join(root, 'f'), 'f')
    const r = await runCli(
      ['sync', root, join(root, '..', 'dst'), '--backup-dir', 's3://nobucket/old', '--s3-endpoint', endpoint],
      {
        env: {
          SYNCFLOW_STATE_DIR: join(root, 'state'),
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_REGION: 'us-east-1',
        },
      },
    )
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('--backup-dir "s3://nobucket/old"')
    expect(r.stderr).toContain('bucket nobucket does not exist')
  })

  it('a bucket name that is not valid says why', async () => {
    const r = await run('sync', 's3://QA-A/src')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('"QA-A" is not a valid bucket name')
  })
})
