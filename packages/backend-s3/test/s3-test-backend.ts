import { randomBytes } from 'node:crypto'
import { createS3Backend, type S3Backend, type S3BackendOptions } from '../src/index.js'
import type { S3TestEnv } from './s3-test-env.js'

type Env = Extract<S3TestEnv, { available: true }>

/** A fresh, unique prefix below the run prefix (`run-…/<name>-<random>/`), without trailing `/`. */
export function uniquePrefix(env: Env, name: string): string {
  return `${env.runPrefix}${name}-${randomBytes(4).toString('hex')}`
}

/** An S3Backend on the test server under a fresh prefix (or the one given). */
export function testBackend(env: Env, name: string, options: Partial<S3BackendOptions> = {}): S3Backend {
  return createS3Backend({
    bucket: env.bucket,
    prefix: uniquePrefix(env, name),
    endpoint: env.endpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    serviceMemory: false,
    ...options,
  })
}
