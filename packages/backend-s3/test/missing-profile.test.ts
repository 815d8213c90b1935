import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createS3Backend } from '../src/index.js'

/**
 * A profile named (AWS_PROFILE, `profile`) that is in neither shared file: said so, with the files
 * read, not "no AWS credentials found … set AWS_PROFILE" (QA 17 #8). No server is needed: the
 * credentials fail before any request.
 */
describe('an AWS profile that does not exist', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-profile-'))
    await writeFile(
      join(dir, 'config'),
      '[profile other]\nregion = us-east-1\n\n[profile nokeys]\nregion = us-east-1\n',
    )
    await writeFile(
      join(dir, 'credentials'),
      '[other]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n',
    )
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
      vi.stubEnv(name, undefined)
    }
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'))
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'))
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true') // no instance metadata service to wait for
  })
  afterAll(async () => {
    vi.unstubAllEnvs()
    await rm(dir, { recursive: true, force: true })
  })
  /** What a backend using `profile` fails with: credentials are needed before the first request. */
  const failureWith = async (profile: string): Promise<unknown> => {
    const b = createS3Backend({
      bucket: 'bucket',
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      profile,
      maxAttempts: 1,
    })
    try {
      return await b.rootExists().catch((e: unknown) => e)
    } finally {
      await b.close()
    }
  }

  it('is named, with the files it was looked for in', async () => {
    expect(await failureWith('nope')).toMatchObject({
      code: 'AUTH',
      message: `AUTH: s3.credentials: the AWS profile "nope" is in neither ${join(dir, 'config')} nor ${join(dir, 'credentials')}`,
      hint: expect.stringContaining('aws configure --profile nope'),
    })
  })

  it('a profile that is there but gives no credentials is named, with how to give it keys (QA 18 #7)', async () => {
    expect(await failureWith('nokeys')).toMatchObject({
      code: 'AUTH',
      message: expect.stringContaining('no AWS credentials from the profile "nokeys"'),
      hint: expect.stringContaining('aws configure --profile nokeys'),
    })
  })
})
