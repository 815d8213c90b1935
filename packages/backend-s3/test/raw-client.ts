import { S3Client } from '@aws-sdk/client-s3'
import type { S3TestEnv } from './s3-test-env.js'

/** A plain SDK client for the test server, to create and inspect objects behind the backend's back. */
export function rawClient(env: Extract<S3TestEnv, { available: true }>): S3Client {
  return new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}
