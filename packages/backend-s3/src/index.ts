// Public API of @syncflow/backend-s3.
export { createS3Backend } from './create-s3-backend.js'
export type { S3Location } from './parse-s3-uri.js'
export { formatS3Uri, parseS3Uri } from './parse-s3-uri.js'
export type { S3BackendOptions } from './s3-backend.js'
export { S3Backend } from './s3-backend.js'
export { s3Backend } from './s3-backend-plugin.js'
export type { S3ConnectionOptions, S3Credentials } from './s3-client.js'
