import { isSyncError, SyncError, type SyncErrorCode } from '@syncflow/core'
import { isConnectionTimeout, NotConnectedError } from './bound-until-answered.js'

/** A bucket name AWS accepts (the general rules; other services may allow more). */
const AWS_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** What the translation needs to know to write a useful message and hint. */
export interface S3ErrorContext {
  readonly bucket: string
  /** The endpoint URL, or undefined for AWS. */
  readonly endpoint?: string
  /** Where the credentials came from, in words ("environment variables AWS_ACCESS_KEY_ID…"). */
  readonly credentialSource?: string
  /** The connection timeout in force (`--contimeout`), for the message of one that ran out. */
  readonly connectTimeoutMs?: number
  /** The I/O timeout in force (`--timeout`), for the message of one that ran out. */
  readonly ioTimeoutMs?: number
  /** The storage class asked for (`--s3-storage-class`), for the message of a service that has no such class. */
  readonly storageClass?: string
}

interface SdkErrorShape {
  readonly name?: string
  readonly code?: string
  readonly message?: string
  readonly Code?: string
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number }
}

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'TimeoutError',
  'NetworkingError',
  'BandwidthLimitExceeded',
])

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
])

/** Node's codes for a certificate that does not verify (self-signed, unknown CA, expired, other host). */
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

const AUTH_NAMES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'Forbidden',
  'AllAccessDisabled',
  'AccountProblem',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidSecurity',
  'NotSignedUp',
  'CredentialsProviderError',
])

/**
 * A 200 answer to ListObjectsV2 that holds no ListBucketResult (a proxy's or captive portal's HTML
 * page, `<html>…</html>`): the SDK's parser takes any XML-ish body and gives a page with no keys
 * and no `IsTruncated`, which read as "the listing ends here". A source's listing cut so made a
 * mirror delete every target file of the later pages (S3 → local: 1,500 of 2,500 deleted after a
 * second page came back as such a page); a first page said the prefix "does not exist".
 */
export class NotAListingError extends Error {
  override readonly name = 'NotAListing'
  constructor(readonly status: number | undefined) {
    super('a listing answered with no ListBucketResult')
  }
}

/** `page`, when it has what every ListObjectsV2 answer has (`Name`, `IsTruncated`, `KeyCount`); else throws NotAListingError. */
export function checkedListing<
  T extends { Name?: string; IsTruncated?: boolean; KeyCount?: number; $metadata?: { httpStatusCode?: number } },
>(page: T): T {
  if (page.Name === undefined && page.IsTruncated === undefined && page.KeyCount === undefined) {
    throw new NotAListingError(page.$metadata?.httpStatusCode)
  }
  return page
}

const UNINFORMATIVE_NAMES = new Set(['', 'Error', 'Unknown', 'UnknownError'])

const REGION_NAMES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'MovedPermanently',
  'TemporaryRedirect',
])

/**
 * Translates anything the AWS SDK or the network throws into a SyncError, once, at the boundary:
 * `op` is `s3.<method>`, `path` the RelPath (or the location). Only `TRANSIENT` is retried.
 */
export function toSyncError(err: unknown, op: string, path: string | undefined, ctx: S3ErrorContext): SyncError {
  if (isSyncError(err)) return err
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape
  const name = e.name ?? ''
  const status = e.$metadata?.httpStatusCode
  const code = typeof e.code === 'string' ? e.code : undefined
  // A HEAD answer has no body, so no error code: the SDK calls it "Unknown" (and a network
  // failure is a plain "Error"); such names say nothing to the reader.
  // (The SDK also names a connection reset mid-upload "TimeoutError": "read ECONNRESET
  // (TimeoutError)" read as a timeout that it was not. QA 27e E.)
  const shownName =
    UNINFORMATIVE_NAMES.has(name) || (name === 'TimeoutError' && code !== undefined && NETWORK_CODES.has(code))
      ? undefined
      : name
  const detail = [shownName, status !== undefined ? `HTTP ${status}` : undefined].filter(Boolean).join(', ')
  const text = `${e.message && e.message !== name && e.message !== 'UnknownError' ? e.message : 'request failed'}${detail ? ` (${detail})` : ''}`
  const make = (c: SyncErrorCode, message: string, hint?: string): SyncError =>
    new SyncError(c, message, { op, ...(path !== undefined ? { path } : {}), cause: err, ...(hint ? { hint } : {}) })
  const where = ctx.endpoint ? ` at ${ctx.endpoint}` : ''

  if (name === 'AbortError' || code === 'ABORT_ERR') return make('ABORTED', 'interrupted')
  if (name === 'CredentialsProviderError') {
    return make(
      'AUTH',
      `no AWS credentials found: ${e.message ?? ''}`.trim(),
      'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials or ~/.aws/config (for SSO: aws sso login).',
    )
  }
  // radosgw answers an exceeded quota with 403: not a credentials problem.
  if (name === 'QuotaExceeded' || name === 'InsufficientCapacity' || status === 507) {
    return make('NO_SPACE', `the bucket is full or over quota: ${text}`)
  }
  // An object a lifecycle rule moved to an archive class (GLACIER, DEEP_ARCHIVE, an Intelligent-
  // Tiering archive tier) cannot be read or copied until restored: AWS answers 403
  // InvalidObjectState. As AUTH it read "check that the credentials are valid", and three such in a
  // row stopped a restore as "refused for credentials" (exit 2) before any readable object was
  // copied (QA 31h). PERMISSION: that object's failure alone, tried again by a later watch cycle.
  if (name === 'InvalidObjectState') {
    const { StorageClass, AccessTier } = e as { StorageClass?: unknown; AccessTier?: unknown }
    const cls = typeof StorageClass === 'string' ? StorageClass : typeof AccessTier === 'string' ? AccessTier : ''
    return make(
      'PERMISSION',
      `the object is archived${cls ? ` (storage class ${cls})` : ''}: it cannot be read or copied until it is restored: ${text}`,
      'Restore it first (aws s3api restore-object, or rclone backend restore), and run again once it is readable; or leave it out (--exclude).',
    )
  }
  if (AUTH_NAMES.has(name) || status === 401 || status === 403) {
    const from = ctx.credentialSource ? `The credentials came from ${ctx.credentialSource}. ` : ''
    return make(
      'AUTH',
      `access to bucket ${ctx.bucket}${where} refused: ${text}`,
      `${from}Check that they are valid and allowed to use this bucket (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY choose others).`,
    )
  }
  // A redirect that is not S3's own region answer: the endpoint sends elsewhere (an http:// address
  // whose proxy redirects to https://, a moved service). The SDK follows no redirect; a HEAD's bare
  // 301 read "bucket … is in another region", a 308 "internal error … a bug in syncflow", and a
  // listing's HTML "not an S3 service", none saying where it pointed (QA 31h). (rclone follows it.)
  const location = redirectOf(err, status)
  if (location !== undefined && bucketRegionOf(err) === undefined && !REGION_NAMES.has(name)) {
    let to = location
    try {
      to = new URL(location, ctx.endpoint).origin
    } catch {}
    return make(
      'USAGE',
      `the endpoint${where || ' (AWS S3)'} redirects to ${location.split('?')[0]} (HTTP ${status}), and S3 requests are not sent on to another address`,
      `Give the address it redirects to as the endpoint: --s3-endpoint ${to} (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).`,
    )
  }
  // A listing's 200 answer the parser took but that is no listing (see NotAListingError).
  if (err instanceof NotAListingError) {
    return make(
      'USAGE',
      `the endpoint${where || ' (AWS S3)'} did not answer as an S3 service (its answer to a listing${err.status !== undefined ? `, HTTP ${err.status},` : ''} holds no ListBucketResult)`,
      'Check the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL), and any proxy between: it must be the S3 API, not a web page or another service.',
    )
  }
  // An answer that is not S3's XML (a web server's HTML page: the endpoint points at something
  // else) fails in the SDK's parser: it was said as "no such object" (a 404) or as an internal
  // error, a bug in syncflow (a 200), quoting the parser's text (QA 25b #1). A 5xx or 429 page
  // (a proxy in front of a busy service) is still TRANSIENT, below.
  const notS3 = notS3Answer(err)
  if (notS3 !== undefined && (status ?? 0) < 500 && status !== 429) {
    return make(
      'USAGE',
      `the endpoint${where || ' (AWS S3)'} did not answer as an S3 service${notS3 ? ` (${[notS3, status !== undefined ? `HTTP ${status}` : undefined].filter(Boolean).join(', ')})` : ''}`,
      'Check the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL): it must be the S3 API, not a web page or another service.',
    )
  }
  // An XML answer the parser could not read (cut short or garbled on the way: a proxy, a flaky
  // link) is no bug in syncflow, which UNKNOWN said ("internal error … please report it"); run
  // again, it is likely whole (QA 27e). (Not a 4xx: S3's own error answer, read or not, is below.)
  if (notS3 === undefined && xmlUnreadable(err) && ((status ?? 200) < 300 || (status ?? 0) >= 500)) {
    const first = (e.message ?? '').split('\n')[0]?.replace(/^@aws-sdk\s*/, '') ?? ''
    return make(
      'TRANSIENT',
      `the answer of ${ctx.endpoint ?? 'AWS S3'} could not be read (XML cut short or garbled on the way${first ? `: ${first}` : ''})${status !== undefined ? ` (HTTP ${status})` : ''}`,
      'Run again: an answer cut by a proxy or the network is likely whole the next time. If it fails so every time, the service sends malformed XML: report it to whoever runs it.',
    )
  }
  // A bucket listing answered as a request for an object: its URL named a key, as when the endpoint
  // has a path (the bucket written into it, `--s3-endpoint http://host:9000/bucket`: path-style
  // requests then go to /bucket/bucket). Said "no such object", which no listing asks for (QA 29d).
  const endpointPath = pathOf(ctx.endpoint)
  if (op === 's3.list' && name === 'NoSuchKey') {
    const origin = endpointPath !== undefined ? new URL(ctx.endpoint!).origin : undefined
    return make(
      'USAGE',
      endpointPath !== undefined
        ? `the endpoint${where} has a path (${endpointPath}), so the listing of bucket ${ctx.bucket} went to another URL: ${text}`
        : `the endpoint${where || ' (AWS S3)'} answered the listing of bucket ${ctx.bucket} as a request for an object: ${text}`,
      origin !== undefined
        ? `An S3 endpoint is the service's address alone: give --s3-endpoint ${origin} and the bucket in the location (s3://${ctx.bucket}/prefix).`
        : 'Check the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL), and any proxy between that may rewrite the path.',
    )
  }
  if (name === 'NoSuchBucket') {
    // Not refused up front (S3-compatible services allow more), but said: a user told only "does
    // not exist" may go and try to create a bucket that AWS would not take (QA).
    const invalid = ctx.bucket !== undefined && !AWS_BUCKET_NAME.test(ctx.bucket)
    return make(
      'NOT_FOUND',
      `bucket ${ctx.bucket} does not exist${where}`,
      // (A service may live below a path; one that does not takes the path for a bucket's name.)
      endpointPath !== undefined
        ? `Check the bucket name in the s3:// location, and the endpoint's path ${endpointPath}: an S3 endpoint is most often the service's address alone (--s3-endpoint ${new URL(ctx.endpoint!).origin}).`
        : invalid
          ? `"${ctx.bucket}" is not a valid bucket name on AWS (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit): check the s3:// location.`
          : 'Check the bucket name in the s3:// location (and the endpoint/region), or create the bucket first.',
    )
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return make('NOT_FOUND', `no such object: ${text}`)
  // 409 ConditionalRequestConflict: another write to the key raced a conditional one.
  if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict') {
    return make('CONFLICT', 'the object changed since it was planned', 'Run the sync again to pick up the new state.')
  }
  if (name === 'NoSuchUpload') return make('CONFLICT', `the multipart upload was aborted meanwhile: ${text}`)
  if (name === 'KeyTooLongError') return make('INVALID_PATH', `key too long: ${text}`)
  if (name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch') {
    return make('CHECKSUM', `the data did not match its checksum on the way: ${text}`)
  }
  // AWS names the error; radosgw answers a class its zone lacks with a bare InvalidArgument.
  // (Only for the requests that name the class: a new object's, not a read's or a self-copy's.)
  const namesClass = op === 's3.write' || op === 's3.copy' || op === 's3.move'
  if (name === 'InvalidStorageClass' || (ctx.storageClass !== undefined && namesClass && name === 'InvalidArgument')) {
    return make(
      'USAGE',
      `the service refused the write${ctx.storageClass !== undefined ? ` in storage class ${ctx.storageClass} (--s3-storage-class)` : ''}: ${text}`,
      'Give --s3-storage-class a class this service offers (AWS: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE; other services name their own), or leave it out.',
    )
  }
  if (name === 'InvalidBucketName') {
    return make('USAGE', `invalid bucket name ${JSON.stringify(ctx.bucket)}`, 'Bucket names are 3 to 63 characters.')
  }
  if (name === 'RequestTimeTooSkewed') {
    return make('USAGE', `the clock of this machine is off: ${text}`, 'Set the system clock (e.g. enable NTP).')
  }
  // The two timeouts say which ran out and which flag to raise (the SDK's text names neither).
  const server = ctx.endpoint ?? 'AWS S3'
  if (err instanceof NotConnectedError || isConnectionTimeout(err)) {
    const ms = err instanceof NotConnectedError ? err.timeoutMs : ctx.connectTimeoutMs
    return make(
      'TRANSIENT',
      `no connection to ${server}${ms !== undefined ? ` within ${seconds(ms)}` : ''} (connection timeout): nothing there answered`,
      `Check that the S3 service at ${server} is up and reachable (a stopped or hung server, a wrong port, a firewall dropping packets); over a slow link, raise --contimeout.`,
    )
  }
  if (name === 'TimeoutError' && code === undefined) {
    const tries = e.$metadata?.attempts ?? 1
    return make(
      'TRANSIENT',
      `${server} sent or took nothing for ${ctx.ioTimeoutMs !== undefined ? seconds(ctx.ioTimeoutMs) : 'too long'} (I/O timeout)${tries > 1 ? ` on each of ${tries} tries` : ''}`,
      `Check that the S3 service at ${server} is alive and reachable (a stalled server or network); over a slow link, raise --timeout. What failed is tried again by the next run.`,
    )
  }
  if (
    TRANSIENT_NAMES.has(name) ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    (status ?? 0) >= 500 ||
    status === 429
  ) {
    return make(
      'TRANSIENT',
      `${text}${code && !text.includes(code) ? ` [${code}]` : ''}`,
      code === 'ECONNREFUSED'
        ? `Nothing answers${where || ' at the S3 endpoint'}: is the endpoint right and the service up?`
        : undefined,
    )
  }
  // TLS set-up mistakes: the client's, never retried.
  const plainReply =
    code === 'EPROTO' ? /wrong version number|packet length too long|http request/i.exec(e.message ?? '') : null
  if (plainReply !== null) {
    return make(
      'USAGE',
      // (OpenSSL's own text, "write EPROTO 808C…:error:0A00010B:SSL routines:ssl3_get_record:wrong
      // version number:../deps/openssl/…:350:" and a newline, says nothing more to the user.)
      `the endpoint${where} does not speak TLS (OpenSSL: ${plainReply[0]})`,
      'Use http:// in the endpoint URL (or point it at the HTTPS port).',
    )
  }
  if (code !== undefined && TLS_TRUST_CODES.has(code)) {
    return make(
      'USAGE',
      `the certificate of the endpoint${where} is not trusted: ${text}`,
      'Give its CA certificate (PEM) in AWS_CA_BUNDLE (or NODE_EXTRA_CA_CERTS), or check the host name in the endpoint.',
    )
  }
  // A bucket in another region than the one signed for (AWS, MinIO, …): the service names the
  // right one (the header `x-amz-bucket-region`, also on a HEAD's bodyless 301/400, and <Region> in
  // AuthorizationHeaderMalformed). A HEAD's bare 400 was said "malformed … check the bucket name",
  // and every case told to "leave AWS_REGION unset to have it detected", which a custom endpoint
  // never does (us-east-1 there): the user was not told which region to set (QA 31h).
  const bucketRegion = bucketRegionOf(err)
  if (
    REGION_NAMES.has(name) ||
    status === 301 ||
    ((status === 400 || (status !== undefined && status >= 300 && status < 400)) &&
      shownName === undefined &&
      bucketRegion !== undefined)
  ) {
    return make(
      'USAGE',
      `bucket ${ctx.bucket} is in another region${bucketRegion !== undefined ? ` (${bucketRegion}, the service says)` : ''}: ${text}`,
      ctx.endpoint !== undefined
        ? `Set AWS_REGION to ${bucketRegion ?? 'the bucket region'} (or region in the AWS profile): at a custom endpoint the region is not detected, it is us-east-1 unless set.`
        : `Set AWS_REGION to ${bucketRegion ?? 'the bucket region'} (or leave it unset to have it detected).`,
    )
  }
  if (status === 400 && (shownName === undefined || name === 'BadRequest')) {
    return make(
      'USAGE',
      `the service refused the request as malformed: ${text}`,
      `Check the bucket name ${JSON.stringify(ctx.bucket)} and the endpoint${where}.`,
    )
  }
  // The SDK's endpoint rules refuse a setting it cannot combine (AWS_USE_FIPS_ENDPOINT or
  // AWS_USE_DUALSTACK_ENDPOINT with a custom endpoint): the user's configuration, not a bug in
  // syncflow, which it was said to be (QA 25b #6).
  if (name === 'EndpointError') {
    return make(
      'USAGE',
      `the AWS SDK refused the S3 endpoint settings: ${text}`,
      'Check the endpoint settings: AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT (use_fips_endpoint, use_dualstack_endpoint in ~/.aws/config) cannot be combined with a custom endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL), and the region must be a valid one.',
    )
  }
  if (code === 'ENOTFOUND') {
    return make(
      'USAGE',
      `unknown host: ${text}`,
      'Check the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL).',
    )
  }
  return make(
    'UNKNOWN',
    text,
    'This looks like a bug in syncflow or an S3 service quirk: please report it with the output of -v.',
  )
}

/** The Location of a 3xx answer (a redirect), or undefined. */
function redirectOf(err: unknown, status: number | undefined): string | undefined {
  if (status === undefined || status < 300 || status >= 400 || typeof err !== 'object' || err === null) return undefined
  const location = (err as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers
    ?.location
  return typeof location === 'string' && location !== '' ? location : undefined
}

/** The region a service names for the bucket (`x-amz-bucket-region`, else an error's `Region`), or undefined. */
function bucketRegionOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as { Region?: unknown; $response?: { headers?: Record<string, string | undefined> } }
  const region = e.$response?.headers?.['x-amz-bucket-region'] ?? e.Region
  return typeof region === 'string' && /^[a-z0-9-]{1,64}$/.test(region) ? region : undefined
}

/** `1.5 s`, `60 s`: a duration in seconds for messages. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}

/** An error of the SDK's parser on an answer it received (the raw answer in the hidden `$response`). */
function xmlUnreadable(err: unknown): boolean {
  return (
    err instanceof Error &&
    /Deserialization error/.test(err.message) &&
    (err as { $response?: unknown }).$response !== undefined
  )
}

/**
 * For an answer the SDK could not parse ("Deserialization error", the raw answer in the hidden
 * `$response`) that is not XML: its content type (`text/html`), or `''` when it gave none.
 * undefined for anything else, an XML answer included (S3's own, cut short: not the endpoint's fault).
 */
function notS3Answer(err: unknown): string | undefined {
  if (!(err instanceof Error) || !/Deserialization error/.test(err.message)) return undefined
  const response = (err as { $response?: { headers?: Record<string, string | undefined> } }).$response
  if (response === undefined) return undefined
  const type = (response.headers?.['content-type'] ?? '').split(';')[0]?.trim() ?? ''
  return /xml/i.test(type) ? undefined : type
}

/** The path of an endpoint URL other than `/` (`/bucket` of `http://host:9000/bucket/`), else undefined. */
function pathOf(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined
  try {
    const path = new URL(endpoint).pathname.replace(/\/+$/, '')
    return path === '' ? undefined : path
  } catch {
    return undefined
  }
}
