import { relPathProblem, SyncError } from '@syncflow/core'

/** A parsed `s3://bucket/prefix` location. */
export interface S3Location {
  readonly bucket: string
  /** The key prefix of the root: `''` for the whole bucket, else ending in `/` (`app/`). */
  readonly prefix: string
}

/**
 * Parses `s3://bucket`, `s3://bucket/`, `s3://bucket/app` or `s3://bucket/app/` (all but the first
 * two mean the prefix `app/`: `s3://b/app` never touches `app2/` or `app-old/`). The prefix is
 * taken byte for byte (no percent-decoding, as the AWS CLI does).
 * @throws SyncError `USAGE` for anything else.
 */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(uri)
  const usage = (why: string): SyncError =>
    new SyncError('USAGE', `invalid S3 location ${JSON.stringify(uri)}: ${why}`, {
      hint: 'Write it as s3://bucket or s3://bucket/prefix.',
    })
  if (!m) throw usage('it does not start with s3://')
  const bucket = m[1] ?? ''
  if (bucket.length === 0) throw usage('no bucket name')
  let rest = m[2] ?? ''
  while (rest.endsWith('/')) rest = rest.slice(0, -1)
  if (rest === '') return { bucket, prefix: '' }
  const problem = relPathProblem(rest)
  if (problem !== undefined) throw usage(`the prefix ${JSON.stringify(rest)} is not a safe path (${problem})`)
  return { bucket, prefix: `${rest}/` }
}

/** The normalized form of a location: `s3://bucket` or `s3://bucket/prefix` (no trailing `/`). */
export function formatS3Uri(location: S3Location): string {
  return `s3://${location.bucket}${location.prefix ? `/${location.prefix.slice(0, -1)}` : ''}`
}
