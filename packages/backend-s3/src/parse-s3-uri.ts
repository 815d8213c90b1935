import { relPathProblem, SyncError } from '@syncflow/core'

/** A parsed `s3://bucket/prefix` location. */
export interface S3Location {
  readonly bucket: string
  /** The key prefix of the root: `''` for the whole bucket, else ending in `/` (`app/`). */
  readonly prefix: string
}

/** The most bytes of a key, UTF-8, prefix included (S3's limit). */
export const MAX_KEY_BYTES = 1024

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
  // Characters no bucket ever had (legacy us-east-1 names allowed capitals and `_`, up to 255
  // characters; the service checks the rest); a name with `:` is usually a port meant for --s3-endpoint.
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(bucket)) {
    throw new SyncError('USAGE', `invalid bucket name ${JSON.stringify(bucket)} in ${JSON.stringify(uri)}`, {
      hint: bucket.includes(':')
        ? 'A host and port go in --s3-endpoint (e.g. --s3-endpoint http://host:9000 s3://bucket/prefix).'
        : 'Bucket names are 3 to 63 characters: lowercase letters, digits, dots and hyphens.',
    })
  }
  let rest = m[2] ?? ''
  while (rest.endsWith('/')) rest = rest.slice(0, -1)
  if (rest === '') return { bucket, prefix: '' }
  const problem = relPathProblem(rest)
  if (problem !== undefined) throw usage(`the prefix ${JSON.stringify(rest)} is not a safe path (${problem})`)
  // Refused here, before any request: the service would answer a malformed request, which says
  // nothing of the cause (QA 20 F2).
  const bytes = Buffer.byteLength(`${rest}/`)
  if (bytes >= MAX_KEY_BYTES) {
    throw new SyncError(
      'USAGE',
      `invalid S3 location: its prefix is ${bytes} bytes with its "/"; S3 keys are at most ${MAX_KEY_BYTES} bytes, prefix included, so no file fits below it`,
      { hint: 'Use a shorter prefix.' },
    )
  }
  return { bucket, prefix: `${rest}/` }
}

/** The normalized form of a location: `s3://bucket` or `s3://bucket/prefix` (no trailing `/`). */
export function formatS3Uri(location: S3Location): string {
  return `s3://${location.bucket}${location.prefix ? `/${location.prefix.slice(0, -1)}` : ''}`
}
