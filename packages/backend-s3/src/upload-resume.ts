import { createHash } from 'node:crypto'
import type { S3Client } from '@aws-sdk/client-s3'

/**
 * What a multipart upload leaves in the job's state store (`WriteOptions.resume`) from its
 * CreateMultipartUpload until it completes or is aborted: a later run of the same job that writes
 * the same file again goes on with it. It names the upload and what it was for; the content is
 * never trusted from it (each part is checked against its listed ETag before it is skipped).
 */
export interface UploadResumeRecord extends UploadFingerprint {
  readonly uploadId: string
  /** When the upload was created, ms since the epoch: one past the stale-upload sweep is not resumed. */
  readonly createdAt: number
  /**
   * The whole file's MD5 (hex) the upload's metadata was created with, if any: a resumed upload
   * whose bytes turn out to have another one gets its metadata corrected after it completes.
   */
  readonly md5?: string
}

/** What a multipart upload was for: a later write resumes it only if all of it is the same. */
export interface UploadFingerprint {
  readonly key: string
  readonly size: number
  readonly mtimeMs: number
  readonly partSize: number
  /**
   * A digest of what CreateMultipartUpload set and CompleteMultipartUpload cannot change (metadata:
   * mtime, mode; content type; storage class), but the whole file's MD5, which a source may know
   * up front in one run and not in the next (see `UploadResumeRecord.md5`).
   */
  readonly params: string
}

/**
 * The fingerprint of an upload of `key` created with `params` (its Metadata, ContentType,
 * StorageClass); `params.Metadata` without the whole file's MD5.
 */
export function uploadFingerprint(
  key: string,
  size: number,
  mtimeMs: number,
  partSize: number,
  params: { Metadata?: Record<string, string>; ContentType?: string; StorageClass?: string },
): UploadFingerprint {
  const metadata = Object.entries(params.Metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const digest = createHash('sha256')
    .update(JSON.stringify([metadata, params.ContentType ?? null, params.StorageClass ?? null]))
    .digest('hex')
  return { key, size, mtimeMs, partSize, params: digest }
}

/** True when `v` is a record of this shape (one damaged or of another version is none). */
export function isUploadResumeRecord(v: unknown): v is UploadResumeRecord {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return (
    typeof r.uploadId === 'string' &&
    typeof r.key === 'string' &&
    typeof r.params === 'string' &&
    typeof r.createdAt === 'number' &&
    typeof r.size === 'number' &&
    typeof r.mtimeMs === 'number' &&
    typeof r.partSize === 'number' &&
    (r.md5 === undefined || typeof r.md5 === 'string')
  )
}

/** True when the record was made for the upload `f` describes. */
export function recordMatches(r: UploadResumeRecord, f: UploadFingerprint): boolean {
  return (
    r.key === f.key &&
    r.size === f.size &&
    r.mtimeMs === f.mtimeMs &&
    r.partSize === f.partSize &&
    r.params === f.params
  )
}

/** A client of one multipart upload that records it (see `recordingCreates`). */
export interface RecordingClient {
  readonly client: S3Client
  /** The parts the service has taken so far (UploadPart answered). */
  partsDone(): number
  /** True once the upload's record is in the state store (its save may fail: a key too long, a full disk). */
  recorded(): boolean
}

/**
 * `client`, whose CreateMultipartUpload answers only once `onCreated(uploadId)` has settled:
 * lib-storage sends no part before that answer, so the record of the upload is in the state store
 * before any of its bytes are on the service (a crash in between leaves an upload the sweep
 * aborts, never a record of one with parts it cannot vouch for). `onCreated`'s failure is ignored:
 * the upload is then merely not resumable (`recorded()` says no, so a stop aborts it rather than
 * keep it). Counts the parts taken, for an interrupt to say.
 */
export function recordingCreates(client: S3Client, onCreated: (uploadId: string) => Promise<void>): RecordingClient {
  let parts = 0
  let recorded = false
  const send = async (command: Parameters<S3Client['send']>[0], options?: unknown): Promise<unknown> => {
    const out = await (client.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options)
    // Only CreateMultipartUpload answers with an UploadId (as uploadRequests relies on too), and
    // only UploadPart is asked with a PartNumber.
    const id = (out as { UploadId?: unknown } | undefined)?.UploadId
    if (typeof id === 'string') {
      await onCreated(id).then(
        () => {
          recorded = true
        },
        () => undefined,
      )
    } else if ((command.input as { PartNumber?: unknown }).PartNumber !== undefined) {
      parts++
    }
    return out
  }
  return {
    client: Object.create(client, { send: { value: send } }) as S3Client,
    partsDone: () => parts,
    recorded: () => recorded,
  }
}
