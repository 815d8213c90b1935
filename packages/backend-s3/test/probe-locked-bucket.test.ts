import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3'
import type { Entry, RelPath } from '@syncflow/core'
import { afterAll, expect, it } from 'vitest'
import { rawClient } from './raw-client.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const p = (s: string) => s as RelPath

/**
 * The first delete of a backend learns how the service takes If-Match on a scratch object of its
 * own (`.syncflow-probe-…`), deleted again with its versions and delete markers. In a bucket with
 * object lock and a default retention, the scratch's version may not be deleted: its delete marker
 * was deleted all the same, which made the locked scratch the current object again, listed by every
 * other tool (`aws s3 ls`, rclone, which copies it) (QA 31h).
 */
describeS3('the delete probe in a bucket with object lock', (env) => {
  const raw = rawClient(env)
  const bucket = `qa-lock-${randomBytes(4).toString('hex')}`
  let made = false
  afterAll(async () => {
    if (made) {
      const out = await raw.send(new ListObjectVersionsCommand({ Bucket: bucket }))
      for (const v of [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]) {
        await raw.send(
          new DeleteObjectCommand({
            Bucket: bucket,
            Key: v.Key,
            VersionId: v.VersionId,
            BypassGovernanceRetention: true,
          }),
        )
      }
      await raw.send(new DeleteBucketCommand({ Bucket: bucket }))
    }
    raw.destroy()
  })

  // (Creates a bucket of its own: object lock can only be turned on for a new bucket.)
  it('leaves no scratch object that other tools list', async (ctx) => {
    try {
      await raw.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }))
    } catch (err) {
      if (env.radosgw) throw err
      return ctx.skip(`the server did not make a bucket with object lock: ${String(err)}`)
    }
    made = true
    await raw.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    )
    const b = testBackend(env, { bucket, prefix: 'p' })
    const text = 'gone soon\n'
    const entry: Entry = await b.write(p('f'), Readable.from([Buffer.from(text)]), {
      size: Buffer.byteLength(text),
      mtimeMs: 1_700_000_000_000,
    })
    // The first delete: the probe, then the file (a delete marker over its locked version).
    await b.remove(p('f'), { expect: entry })
    await b.close()
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'p/' }))
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([])
    // The probe did run (a version of it is there, kept by the lock), hidden behind its marker.
    const versions = await raw.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'p/.syncflow-probe-' }))
    expect(versions.Versions?.length).toBe(1)
    expect(versions.DeleteMarkers?.length).toBe(1)
  })
})
