// Public API of @syncflow/backend-s3.
export type { S3Location } from './parse-s3-uri.js'
export { formatS3Uri, parseS3Uri } from './parse-s3-uri.js'
export type { S3BackendOptions } from './s3-backend.js'
export { createS3Backend, S3Backend } from './s3-backend.js'
export type { S3ConnectionOptions, S3Credentials } from './s3-client.js'
export { s3Backend } from './s3-plugin.js'
export type { S3ErrorContext } from './to-sync-error.js'
export { toSyncError } from './to-sync-error.js'
