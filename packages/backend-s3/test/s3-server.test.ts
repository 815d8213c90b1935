import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, expect, it } from 'vitest'
import { rawClient } from './raw-client.js'
import { describeS3 } from './s3-test-env.js'

describeS3('the S3 test server', (env) => {
  const client = rawClient(env)
  afterAll(() => client.destroy())

  it('stores and lists an object under the run prefix', async () => {
    const Key = `${env.runPrefix}server/hello.txt`
    await client.send(new PutObjectCommand({ Bucket: env.bucket, Key, Body: 'hello' }))
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: env.bucket, Prefix: `${env.runPrefix}server/` }),
    )
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([[Key, 5]])
  })
})
