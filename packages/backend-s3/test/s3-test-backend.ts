import { randomBytes } from 'node:crypto'
import { createS3Backend, type S3Backend, type S3BackendOptions } from '../src/index.js'
import type { S3TestEnv } from './s3-test-env.js'

type Env = Extract<S3TestEnv, { available: true }>

/** A fresh, unique prefix below the run prefix (`run-…/<name>-<random>/`), without trailing `/`. */
export function uniquePrefix(env: Env, name: string): string {
  return `${env.runPrefix}${name}-${randomBytes(4).toString('hex')}`
}

/**
 * An S3Backend on the test server: under a fresh prefix named after `where`, or with the options
 * `where` gives (its own prefix, an endpoint such as a counting proxy's…); learns nothing to disk
 * unless told (`serviceMemory`).
 */
export function testBackend(
  env: Env,
  where: string | (Partial<S3BackendOptions> & { readonly prefix: string }),
  options: Partial<S3BackendOptions> = {},
): S3Backend {
  const own = typeof where === 'string' ? { prefix: uniquePrefix(env, where), ...options } : where
  return createS3Backend({
    bucket: env.bucket,
    endpoint: env.endpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    serviceMemory: false,
    ...own,
  })
}
