import {
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { describeBackend } from '@syncflow/core/testkit'
import { afterAll } from 'vitest'
import type { S3Backend } from '../src/index.js'
import { rawClient } from './raw-client.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

describeS3('S3 conformance', (env) => {
  const raw = rawClient(env)
  afterAll(() => raw.destroy())
  // Each test's keys are deleted afterwards (the test server keeps everything in memory), one by
  // one: a DeleteObjects XML body cannot carry the control characters of the planted names.
  const cleanup = (prefix: string) => async () => {
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: prefix, EncodingType: 'url' }))
    const keys = (listed.Contents ?? []).map((o) => decodeURIComponent(o.Key!.replace(/\+/g, ' ')))
    await Promise.all(keys.map((Key) => raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key }))))
  }
  // The keys under the prefix and the unfinished multipart uploads (marked "upload:"), which a listing never shows.
  const listRaw = async (b: S3Backend): Promise<string[]> => {
    const names: string[] = []
    let token: string | undefined
    do {
      const page = await raw.send(
        new ListObjectsV2Command({
          Bucket: env.bucket,
          Prefix: b.prefix,
          ContinuationToken: token,
          EncodingType: 'url',
        }),
      )
      for (const o of page.Contents ?? []) names.push(decodeURIComponent(o.Key!.replace(/\+/g, ' ')))
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: b.prefix }))
    for (const u of uploads.Uploads ?? []) names.push(`upload:${u.Key}`)
    return names
  }
  describeBackend(
    's3',
    () => {
      const backend = testBackend(env, 'conformance', { multipartThreshold: 16 * 1024 * 1024 })
      return { backend, cleanup: cleanup(backend.prefix) }
    },
    {
      plantUnsafe: async (b, name) => {
        await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}${name}`, Body: 'planted' }))
      },
      // A bucket that does not exist (a prefix without keys is a fresh backend: rootExists is false there too).
      missingRoot: () => testBackend(env, { bucket: `${env.bucket}-missing`, prefix: 'conformance/' }),
      listRaw,
      skip: {
        unreadable:
          'a listing is one ListObjectsV2 of the whole prefix: readable as a whole or not at all (an error then fails the listing)',
        symlinks: 'S3 has no symlinks',
        emptyDirs: 'S3 has no directories: syncflow reads zero-byte "dir/" markers but never creates them',
        mode: 'the mode is kept in x-amz-meta-mode and returned by stat, but a listing carries no metadata',
        typeClash:
          'S3 keys are flat: "x" and "x/y" can both exist (list reports such a clash and skips the keys below)',
      },
    },
  )
})
