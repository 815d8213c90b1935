import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const c = new S3Client({
  endpoint: process.env.S3_TEST_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.S3_TEST_ACCESS_KEY, secretAccessKey: process.env.S3_TEST_SECRET_KEY },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
for (const [Key, Body] of [
  ['t/back\\slash', 'planted'],
  ['t/ctl\u0001char', 'planted'],
  ['t/back\\slash2', Buffer.from('planted')],
  ['t/ctl\u0001char2', Buffer.from('planted')],
]) {
  try {
    await c.send(new PutObjectCommand({ Bucket: 'syncflow-test', Key, Body }))
    console.log('ok', JSON.stringify(Key))
  } catch (e) {
    console.log('fail', JSON.stringify(Key), e.name, e.$metadata?.httpStatusCode, e.$response?.body?.toString?.())
  }
}
