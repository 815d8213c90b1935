import { parseS3Uri } from './parse-s3-uri.js'
import { S3Backend, type S3BackendOptions } from './s3-backend.js'

/**
 * Creates an S3 backend for `bucket` and `prefix`. Nothing is loaded or sent until the first
 * call: the SDK is imported and the client made (region detected) on first use.
 */
export function createS3Backend(options: S3BackendOptions): S3Backend {
  const { bucket, prefix = '', ...rest } = options
  return new S3Backend(parseS3Uri(`s3://${bucket}/${prefix}`), rest)
}
