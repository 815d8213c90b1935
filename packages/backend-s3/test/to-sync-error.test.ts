import { S3ServiceException } from '@aws-sdk/client-s3'
import { SyncError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { toSyncError } from '../src/index.js'

type ServiceException = InstanceType<typeof S3ServiceException>

const ctx = { bucket: 'b', endpoint: 'http://127.0.0.1:9000', credentialSource: 'profile "work"' }

/** An error shaped as the SDK throws it for an S3 error response. */
function s3Error(name: string, status: number): ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  })
}

function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code })
}

describe('toSyncError', () => {
  it.each([
    [s3Error('SlowDown', 503), 'TRANSIENT'],
    [s3Error('InternalError', 500), 'TRANSIENT'],
    [s3Error('ServiceUnavailable', 503), 'TRANSIENT'],
    [s3Error('BadGateway', 502), 'TRANSIENT'],
    [s3Error('RequestTimeout', 400), 'TRANSIENT'],
    [s3Error('TooManyRequests', 429), 'TRANSIENT'],
    [Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), 'TRANSIENT'],
    [netError('ECONNRESET'), 'TRANSIENT'],
    [netError('ECONNREFUSED'), 'TRANSIENT'],
    [netError('ETIMEDOUT'), 'TRANSIENT'],
    [netError('EPIPE'), 'TRANSIENT'],
    [s3Error('InvalidAccessKeyId', 403), 'AUTH'],
    [s3Error('SignatureDoesNotMatch', 403), 'AUTH'],
    [s3Error('AccessDenied', 403), 'AUTH'],
    [s3Error('Forbidden', 403), 'AUTH'],
    [s3Error('ExpiredToken', 400), 'AUTH'],
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'AUTH',
    ],
    [s3Error('NoSuchBucket', 404), 'NOT_FOUND'],
    [s3Error('NoSuchKey', 404), 'NOT_FOUND'],
    [s3Error('NotFound', 404), 'NOT_FOUND'],
    [s3Error('PreconditionFailed', 412), 'CONFLICT'],
    [s3Error('BadDigest', 400), 'CHECKSUM'],
    [s3Error('QuotaExceeded', 403), 'NO_SPACE'],
    [s3Error('PermanentRedirect', 301), 'USAGE'],
    [s3Error('InvalidBucketName', 400), 'USAGE'],
    [netError('ENOTFOUND'), 'USAGE'],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'ABORTED'],
    [s3Error('SomethingNew', 400), 'UNKNOWN'],
  ])('%s → %s', (err, code) => {
    const e = toSyncError(err, 's3.write', 'a/b', ctx)
    expect(e.code).toBe(code)
    expect(e.retryable).toBe(code === 'TRANSIENT')
    expect(e.message).toMatch(new RegExp(`^${code}: s3\\.write \\(a/b\\): `))
    expect(e.cause).toBe(err)
  })

  it('names the bucket and the credential source for AUTH, and tells what to do', () => {
    const e = toSyncError(s3Error('InvalidAccessKeyId', 403), 's3.list', undefined, ctx)
    expect(e.message).toContain('bucket b at http://127.0.0.1:9000')
    expect(e.hint).toContain('The credentials came from profile "work"')
  })

  it('says plainly that a bucket does not exist, and when its name is not one AWS would take', () => {
    const e = toSyncError(s3Error('NoSuchBucket', 404), 's3.list', undefined, { ...ctx, bucket: 'my-data' })
    expect(e.message).toContain('bucket my-data does not exist at http://127.0.0.1:9000')
    expect(e.hint).toMatch(/create the bucket/)
    for (const bucket of ['b', 'Bad_Bucket', '-x-']) {
      const bad = toSyncError(s3Error('NoSuchBucket', 404), 's3.list', undefined, { ...ctx, bucket })
      expect(bad.hint).toContain(`"${bucket}" is not a valid bucket name on AWS`)
    }
  })

  it('leaves out the names of errors without a code (a refused HEAD, a network failure)', () => {
    const head = toSyncError(s3Error('Unknown', 403), 's3.rootExists', undefined, ctx)
    expect(head.code).toBe('AUTH')
    expect(head.message).toMatch(/refused: request failed \(HTTP 403\)$/)
    const refused = toSyncError(netError('ECONNREFUSED'), 's3.list', undefined, ctx)
    expect(refused.message).toBe('TRANSIENT: s3.list: connect ECONNREFUSED 127.0.0.1:1')
  })

  it('does not call a reset connection a timeout (the SDK names a reset mid-upload TimeoutError)', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET' })
    const err = toSyncError(reset, 's3.write', 'big.bin', ctx)
    expect(err.code).toBe('TRANSIENT')
    expect(err.message).toBe('TRANSIENT: s3.write (big.bin): read ECONNRESET')
  })

  it('passes SyncErrors through unchanged', () => {
    const original = new SyncError('CONFLICT', 'x')
    expect(toSyncError(original, 's3.write', 'p', ctx)).toBe(original)
  })

  // radosgw answers a storage class its zone lacks with a bare InvalidArgument: said as such for the
  // requests that name a class, and only for those (review 25 F9: a read's was blamed on the class).
  it('InvalidArgument with --s3-storage-class is the class, for a write; for a read it is not', () => {
    const withClass = { ...ctx, storageClass: 'COLD' }
    const write = toSyncError(s3Error('InvalidArgument', 400), 's3.write', 'f', withClass)
    expect(write).toMatchObject({ code: 'USAGE' })
    expect(write.message).toContain('storage class COLD (--s3-storage-class)')
    const read = toSyncError(s3Error('InvalidArgument', 400), 's3.read', 'f', withClass)
    expect(read.message).not.toContain('storage class')
    expect(toSyncError(s3Error('InvalidStorageClass', 400), 's3.write', 'f', ctx)).toMatchObject({ code: 'USAGE' })
  })
})
