import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { PassThrough, Readable, Transform } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { GetObjectCommandOutput, HeadObjectCommandOutput, S3Client, StorageClass } from '@aws-sdk/client-s3'
import {
  type Backend,
  type Capabilities,
  type Copyable,
  type CopyFromCapable,
  defaultStateDir,
  type Entry,
  type HashAlgo,
  type Hashable,
  type HashOptions,
  heldBytesOf,
  isListedFile,
  isSyncError,
  type ListOptions,
  type ModeSettable,
  type Movable,
  type MoveOptions,
  type MtimeSettable,
  OBJECT_REPLACED_HINT,
  type ReadOptions,
  type ReadRange,
  type RelPath,
  type ResumeRecord,
  SyncError,
  sourceChanged,
  supports,
  toRelPath,
  untilAborted,
  type WriteMeta,
  type WriteOptions,
} from '@syncflow/core'
import { DESTROY_GRACE_MS } from './aborted-on-destroy.js'
import { afterGrace } from './after-grace.js'
import { isConnectionTimeout, NotConnectedError } from './bound-until-answered.js'
import { ByteBudget } from './byte-budget.js'
import { contentTypeOf } from './content-type-of.js'
import { fanOutSignal } from './fan-out-signal.js'
import { KeyWalker } from './key-walker.js'
import { type DeleteAnswer, learnDeleteIfMatch } from './learn-delete-if-match.js'
import {
  CONDITION_UNSUPPORTED,
  type IfMatchForm,
  ifMatchValue,
  learnIfMatch,
  PRECONDITION_FAILED,
} from './learn-if-match.js'
import { formatS3Uri, MAX_KEY_BYTES, parseS3Uri, type S3Location } from './parse-s3-uri.js'
import { connectS3, loadLibStorage, type S3Connection, type S3ConnectionOptions } from './s3-client.js'
import {
  copiedMtime,
  formatMode,
  formatMtime,
  META_MD5,
  META_MODE,
  META_MTIME,
  md5FromEtag,
  md5FromMetadata,
  md5ToBase64,
  parseMode,
  parseMtime,
  parseMtimeNs,
  unquoteEtag,
} from './s3-metadata.js'
import { type Learnt, ServiceMemory } from './service-memory.js'
import { checkedListing, toSyncError } from './to-sync-error.js'
import { type UploadRequests, uploadRequests } from './upload-requests.js'
import {
  isUploadResumeRecord,
  recordingCreates,
  recordMatches,
  type UploadFingerprint,
  type UploadResumeRecord,
  uploadFingerprint,
} from './upload-resume.js'

const MiB = 1024 * 1024
/**
 * Up to 64 MiB a body goes in one PutObject (held in memory, MD5 taken on the way): a multipart
 * upload costs more requests and, for its `md5chksum`, a read of the whole file before it starts.
 * Measured on the bench's mixed tree: 16 MiB made seven multipart uploads where 64 MiB makes one,
 * 0.78× the wall time in the same run (bench/s3/README.md). rclone's cutoff is 200 MiB, the AWS
 * CLI's 8 MiB; the memory budget (`uploadMemory`, 128 MiB) bounds how many such bodies are held.
 */
const MULTIPART_THRESHOLD = 64 * MiB + 1
/** Tries of one listing page that fails TRANSIENT, each of them the SDK's own tries (see #pageRetried). */
const LIST_PAGE_ATTEMPTS = 4
const GiB = 1024 * MiB
const MAX_PARTS = 10_000
const MIN_PART = 5 * MiB
const MAX_PART = 5 * GiB
/**
 * Requests in flight by default. A small PUT is one round trip whose time is mostly the service
 * committing it, and a service commits many at once (radosgw on bluestore: about 1.7× the PUTs
 * per second at 64 in flight than at 8, bench/s3/put-concurrency.mjs); memory is bounded apart
 * (`uploadMemory`).
 */
const DEFAULT_CONCURRENCY = 64
/** Unfinished uploads remembered from the first listing, at most (see #leftovers). */
const MAX_REMEMBERED_UPLOADS = 10_000
/** Single PUTs of at least this many bytes get the abort signal itself (see #putObject). */
const ABORTABLE_PUT_BYTES = MiB
/** The largest body the If-Match probe sends (up to three times); a bigger update is checked by a HEAD meanwhile. */
const IF_MATCH_PROBE_BYTES = 256 * 1024
/** How long a true `rootExists` answer may stand in for the next call (see `rootExists`). */
const ROOT_SEEN_REUSE_MS = 30_000
/** How long the AbortMultipartUpload of an interrupted upload may take (see #abortUnfinished). */
const UPLOAD_ABORT_TIMEOUT_MS = 5_000
/** What the service answers when an upload to be resumed is not what its listing said (a part gone meanwhile). */
const RESUME_FAILURES = new Set(['NoSuchUpload', 'InvalidPart', 'InvalidPartOrder', 'EntityTooSmall'])

/** Options of `createS3Backend`. Defaults in brackets. */
export interface S3BackendOptions extends S3ConnectionOptions {
  readonly bucket: string
  /** Key prefix of the root (`app` or `app/` both mean keys under `app/`). [the whole bucket] */
  readonly prefix?: string
  /** Bodies smaller than this go in one PutObject; larger ones are multipart uploads. [64 MiB + 1: up to 64 MiB in one] */
  readonly multipartThreshold?: number
  /** Part size of multipart uploads, raised as needed to stay under 10,000 parts. [8 MiB] */
  readonly partSize?: number
  /** Parts uploaded at once per object; memory per upload is about (queueSize + 1) × partSize. [4] */
  readonly queueSize?: number
  /**
   * Bytes that the uploads of this backend may hold in memory together: a single PUT holds its
   * whole body, a multipart upload (queueSize + 1) × partSize. A write waits for its share, so
   * memory stays bounded however many transfers run at once. [128 MiB]
   */
  readonly uploadMemory?: number
  /**
   * The transfers the engine should run at once (`capabilities.preferredConcurrency`) when the
   * user does not choose (`--concurrency`): each small object is one request, and S3 services
   * absorb many in parallel (see bench/s3/README.md for the measurement). [64]
   */
  readonly preferredConcurrency?: number
  /** Objects bigger than this are copied server-side part by part (CopyObject's own limit is 5 GiB). [5 GiB] */
  readonly multipartCopyThreshold?: number
  /**
   * How long a server-side copy in flight when the run is interrupted is still awaited, in ms: the
   * service makes it anyway, so it is counted once answered; one not answered by then is cut. [5000]
   */
  readonly copyGraceMs?: number
  /** Keep POSIX permission bits in `x-amz-meta-mode`. [true] */
  readonly storeMode?: boolean
  /**
   * Unfinished multipart uploads under the prefix older than this are aborted when the listing
   * starts (a killed run leaves them, and S3 bills them until they are aborted); false = never. [24 h]
   */
  readonly abortStaleUploadsAfterMs?: number | false
  /** Never write anything, not even the stale-upload clean-up (`--dry-run`). [false] */
  readonly dryRun?: boolean
  /**
   * The storage class of every object this backend writes (`STANDARD_IA`, `GLACIER_IR`, … or a
   * class an S3-compatible service defines), as `aws s3 sync --storage-class` and rclone's
   * `--s3-storage-class`: uploads, and copies to a new key. An object copied onto itself (a new
   * mtime or mode) keeps its own class. [the service's default, STANDARD]
   */
  readonly storageClass?: string
  /**
   * A JSON file keeping what was learnt about each service (endpoint and bucket) for a day: how it
   * takes If-Match on PutObject and DeleteObject, so that only the first run of a day probes
   * (see service-memory.ts); false = learn in each backend anew. [`s3-services.json` in the state
   * directory: `defaultStateDir()`, `$SYNCFLOW_STATE_DIR`]
   */
  readonly serviceMemory?: string | false
}

interface HeadResult {
  readonly size: number
  readonly etag: string | undefined
  readonly lastModifiedMs: number
  readonly metadata: Record<string, string>
  readonly raw: HeadObjectCommandOutput
}

type Conn = S3Connection
/** A part of an unfinished multipart upload, as ListParts gives it (ETag unquoted, lower case). */
interface ListedPart {
  readonly size: number
  readonly etag: string
}
/** An unfinished upload to go on with: its id, its parts, the MD5 its metadata was created with. */
interface ResumedUpload {
  readonly uploadId: string
  readonly parts: Map<number, ListedPart>
  /** The file's size the upload was created for. */
  readonly size: number
  readonly md5?: string
}
/** What CreateMultipartUpload sets beside the bucket, key and body. */
interface UploadParams {
  ContentType?: string
  Metadata: Record<string, string>
  StorageClass?: StorageClass
}

/** A PutObject of a body held in memory, with what it needs. */
interface SmallPut {
  readonly conn: Conn
  readonly path: RelPath
  readonly key: string
  readonly data: Buffer
  /** The body's MD5 (hex), sent as Content-MD5. */
  readonly digest: string
  readonly meta: WriteMeta
  readonly metadata: Record<string, string>
  readonly opts: WriteOptions
}

/**
 * A bucket prefix on AWS S3 or an S3-compatible service, as a syncflow backend.
 *
 * - `list` streams ListObjectsV2 pages (1,000 keys each) in S3's own order, UTF-8 bytes, which is
 *   the order every backend lists in; unsafe keys and file/prefix clashes are reported, not listed.
 * - The source mtime is kept in `x-amz-meta-mtime` (float seconds, rclone's key); the listing has
 *   only the upload time, so `listMtime` is false and `stat` (a HEAD) gives the stored mtime.
 * - Single-part ETags are MD5s (`hashes.md5`); a multipart object gets its MD5 in
 *   `x-amz-meta-md5chksum` (rclone's key), and its ETag is never taken for an MD5.
 * - `write` re-checks `expect` as it writes: `null` with `If-None-Match: *`; an update of a small
 *   object with `If-Match` (the listed ETag) where the service honours it, which the first update
 *   finds out (see learn-if-match.ts); else, and for multipart uploads, with a HEAD comparing ETag
 *   and size just before, which leaves a window (a few ms; a multipart upload's whole duration) in
 *   which a concurrent writer can still be overwritten.
 * - `remove` re-checks `expect` itself (`capabilities.removeExpect`): with If-Match on DeleteObject
 *   where the service honours it (learnt on a scratch object, see learn-delete-if-match.ts), else
 *   with a HEAD just before.
 * - What was learnt about the service is kept for a day in `serviceMemory` (service-memory.ts).
 */
export class S3Backend implements Backend, Movable, Copyable, CopyFromCapable, Hashable, MtimeSettable, ModeSettable {
  readonly uri: string
  readonly capabilities: Capabilities
  readonly bucket: string
  /** `''` or a prefix ending in `/`. */
  readonly prefix: string
  readonly #options: S3BackendOptions
  #conn: Promise<Conn> | undefined
  #closed = false
  /** Directory markers seen (listed or stat'ed): `remove` of such a path deletes `path/`. */
  readonly #markers = new Set<string>()
  /**
   * Markers that hold content (some tools put bytes in them), by path, with their size: listed as
   * directories, but never deleted with them. Their bytes are no file any tool syncs, yet they are
   * someone's: a mirror refuses the delete (review: it removed 14 bytes past --max-delete 0).
   */
  readonly #contentMarkers = new Map<string, number>()
  /**
   * The stored mtimes (`x-amz-meta-mtime`, as written) of the files `stat` read last, by path: what
   * `mtimeNs` answers from, with no request. The engine stats an S3 source's file for its mtime just
   * before it copies or touches it; to the nanosecond, another S3 target then keeps rclone's value
   * (to the µs, rclone re-stamped it). At most `RECENT_MTIMES`, the oldest dropped.
   */
  readonly #recentMtimes = new Map<string, string>()
  #swept = false
  /**
   * Whether and how the service honours If-Match on PutObject and DeleteObject: recalled from
   * `#memory`, else learnt by the first update (see #putReplacing) and the first delete (see
   * #removeExpected). A promise while that is under way (it sets the field when done).
   */
  readonly #learnt: Record<Learnt, IfMatchForm | Promise<void> | undefined> = {
    putIfMatch: undefined,
    deleteIfMatch: undefined,
  }
  /** Whether `#memory` was asked yet, per answer. */
  readonly #recalled: Record<Learnt, boolean> = { putIfMatch: false, deleteIfMatch: false }
  readonly #memory: ServiceMemory | undefined
  /** Writes of `#memory` under way (close() waits for them). */
  readonly #remembering = new Set<Promise<void>>()
  /** Interrupted or failed multipart uploads being aborted on the service (close() waits for them). */
  readonly #aborting = new Set<Promise<void>>()
  /**
   * Unfinished multipart uploads that the first listing found too young to abort, by key: one of
   * them is aborted as soon as this backend uploads that key again (the run that left it was
   * killed; its file is being sent anew), with a notice through `#onNotice`.
   */
  #leftovers: Promise<Map<string, { uploadId: string; initiated: Date | undefined }[]>> | undefined
  #onNotice: ListOptions['onNotice']
  readonly #budget: ByteBudget
  /**
   * When `rootExists` last answered true, until the next call takes it (see `rootExists`), a
   * listing starts or a remove runs.
   */
  #rootSeenAt: number | undefined

  constructor(location: S3Location, options: Omit<S3BackendOptions, 'bucket' | 'prefix'> = {}) {
    this.bucket = location.bucket
    this.prefix = location.prefix
    this.#options = { ...options, bucket: location.bucket, prefix: location.prefix }
    this.uri = formatS3Uri(location)
    this.capabilities = {
      hashes: ['md5'],
      mtimePrecisionMs: 1,
      listMtime: false,
      emptyDirs: false,
      symlinks: false,
      permissions: options.storeMode !== false,
      // Modes are read back without setuid and setgid bits (parseMode: anyone who may write to the
      // bucket could plant them), though a write stores them: to the engine a target file that
      // lacks only those bits of the source's is no difference. Without it a local 04755 file
      // against its object's 0755 was copied onto itself on every run without a state record, and
      // check reported it for ever (QA 29d).
      ...(options.storeMode !== false ? { clearsSetId: true } : {}),
      // (Nor sticky bits: parseMode gives `& 0o777`. The engine compares only these bits, QA 31c.)
      ...(options.storeMode !== false ? { modeBits: 0o777 } : {}),
      caseSensitive: true,
      maxPathBytes: MAX_KEY_BYTES - Buffer.byteLength(this.prefix),
      watch: 'none',
      preferredConcurrency: options.preferredConcurrency ?? DEFAULT_CONCURRENCY,
      removeExpect: true,
      mtimeNs: true,
    }
    this.#budget = new ByteBudget(options.uploadMemory ?? 128 * MiB)
    const memory = options.serviceMemory ?? join(defaultStateDir(), 's3-services.json')
    this.#memory = memory === false ? undefined : new ServiceMemory(memory)
  }

  // ---- required members ---------------------------------------------------------------------

  async *list(opts: ListOptions = {}): AsyncGenerator<Entry> {
    this.#rootSeenAt = undefined
    const conn = await this.#connect('list')
    // Notices of the clean-up that the first write starts (see #sweepStaleUploads) go to the
    // listing's caller, the engine: a listing alone never writes (a source is only read).
    if (opts.onNotice) this.#onNotice = opts.onNotice
    const walker = new KeyWalker(this.prefix, opts.prune, opts.excluded, opts.cleanUp === true, opts.onNotice)
    let token: string | undefined
    let startAfter: string | undefined
    /** The last key of the pages so far (decoded): the next page must start after it. */
    let lastKey: string | undefined
    let firstOfPage = false
    for (;;) {
      const page = await this.#pageRetried(opts.signal, () =>
        this.#send(
          'list',
          undefined,
          (c) =>
            c
              .send(
                new conn.sdk.ListObjectsV2Command({
                  Bucket: this.bucket,
                  Prefix: this.prefix || undefined,
                  MaxKeys: 1000,
                  // Keys may hold characters XML 1.0 cannot carry: ask for them URL-encoded.
                  EncodingType: 'url',
                  ...(token ? { ContinuationToken: token } : {}),
                  ...(startAfter ? { StartAfter: startAfter } : {}),
                }),
                sendOptions(opts.signal),
              )
              // (A page that is no listing must fail the listing, not end it: see NotAListingError.)
              .then(checkedListing),
          conn,
        ),
      )
      // Nothing under the prefix: it may name an object, below which nothing can go (QA 15 #3).
      // Asked only then (a first upload), so a re-run's listing stays its LISTs alone.
      if (token === undefined && startAfter === undefined && !page.Contents?.length && !page.IsTruncated) {
        await this.#refuseObjectRoot(conn, opts.signal)
      }
      const encoded = page.EncodingType === 'url'
      firstOfPage = true
      for (const obj of page.Contents ?? []) {
        if (obj.Key === undefined) continue
        const key = encoded ? decodeKey(obj.Key) : obj.Key
        // A page that starts at or before where the last one ended: a service that ignores the
        // continuation token gives its first page for ever, and the listing never ended (QA 27e:
        // `ls` looped, a sync reported a million listing errors in a minute). botocore says "The
        // same next token was received twice".
        if (firstOfPage && key !== undefined) {
          firstOfPage = false
          if (lastKey !== undefined && Buffer.compare(Buffer.from(key), Buffer.from(lastKey)) <= 0) {
            throw this.#listingBroken(
              `a page of ${this.uri} starts at ${JSON.stringify(key)}, not after ${JSON.stringify(lastKey)} where the one before ended`,
            )
          }
        }
        if (key !== undefined) lastKey = key
        if (key === undefined) {
          this.#report(
            opts,
            new SyncError('INVALID_PATH', `key ${JSON.stringify(obj.Key)} (URL-encoded) is not valid UTF-8: skipped`, {
              op: 's3.list',
              path: obj.Key,
              hint: 'Rename the object to sync it.',
            }),
          )
          continue
        }
        const out = walker.next({
          key,
          size: obj.Size ?? 0,
          lastModifiedMs: obj.LastModified?.getTime() ?? 0,
          ...(obj.ETag ? { etag: unquoteEtag(obj.ETag)! } : {}),
        })
        if (out === undefined) continue
        if (out instanceof SyncError) {
          this.#report(opts, out)
          continue
        }
        if (out.kind === 'dir') {
          this.#markers.add(out.path)
          // Only its own marker's bytes are a marker's content: a directory the listing prunes
          // stands on its first key, which may be a file below it (`a/f`, 3 bytes). Taken as
          // content, they made the directory's remove fail UNSUPPORTED "the directory marker
          // "a/" holds 3 bytes" for good, once a watch had listed it so (QA 31j #1).
          if (key === `${this.prefix}${out.path}/` && (obj.Size ?? 0) > 0)
            this.#contentMarkers.set(out.path, obj.Size ?? 0)
        }
        yield out
      }
      if (!page.IsTruncated) break
      // Inside a skipped directory at the end of a page: restart after it instead of paging through it.
      const jump = walker.jumpKey()
      if (jump !== undefined) {
        startAfter = jump
        token = undefined
      } else {
        if (token !== undefined && page.NextContinuationToken === token) {
          throw this.#listingBroken(`the listing of ${this.uri} answered the same continuation token twice`)
        }
        token = page.NextContinuationToken
        startAfter = undefined
        // A page that says more follow but not where: a broken service. Ending the listing here
        // read as "no more keys", and a mirror from it deleted every target file of the pages not
        // given (QA 27e: 1,500 of 2,500); rclone fails so too ("s3 protocol error").
        if (!token) {
          throw new SyncError(
            'UNSUPPORTED',
            `S3 protocol error: a listing page of ${this.uri} is truncated (IsTruncated) but gives no NextContinuationToken, so the rest of the listing cannot be had`,
            {
              op: 's3.list',
              hint: 'The service does not page ListObjectsV2 as S3 does: report it to its maintainers (or whoever runs the proxy in front of it). Nothing is deleted on a listing cut short.',
            },
          )
        }
      }
    }
  }

  /** A listing the service pages wrongly: it cannot be had whole, and must not read as complete. */
  #listingBroken(what: string): SyncError {
    return new SyncError('UNSUPPORTED', `S3 protocol error: ${what}, so the listing cannot be had whole`, {
      op: 's3.list',
      hint: 'The service does not page ListObjectsV2 as S3 does: report it to its maintainers (or whoever runs the proxy in front of it). Nothing is deleted on a listing cut short.',
    })
  }

  /**
   * A listing page's request, tried again (up to LIST_PAGE_ATTEMPTS in all, with a backoff of 0.5-1,
   * 1-2, 2-4 s) when it fails TRANSIENT: the engine retries transfers, not listings, so a burst of
   * 503 SlowDown longer than the SDK's own 3 quick tries (or any 503 once the SDK's retry quota is
   * spent by throttled uploads) failed the whole listing, and with it the run (exit 2) or every
   * delete (QA 27e); rclone retries a page 10 times. Not an I/O or connection timeout: the SDK has
   * waited for each of its tries already, and a stalled server fails in the time --timeout says.
   */
  async #pageRetried<T>(signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request()
      } catch (err) {
        const cause = isSyncError(err) ? (err.cause as { name?: string } | undefined) : undefined
        const timedOut =
          cause?.name === 'TimeoutError' || cause instanceof NotConnectedError || isConnectionTimeout(cause)
        if (attempt >= LIST_PAGE_ATTEMPTS || !isSyncError(err) || err.code !== 'TRANSIENT' || timedOut) throw err
        const base = 1000 * 2 ** (attempt - 1)
        await sleep(base / 2 + (Math.random() * base) / 2, undefined, signal ? { signal } : {}).catch(() => {})
        this.#checkAborted(signal, 'list', '')
      }
    }
  }

  async stat(path: RelPath): Promise<Entry | undefined> {
    const key = this.#key(path, 'stat')
    const conn = await this.#connect('stat', path)
    const head = await this.#head(conn, key, 'stat', path)
    if (head) {
      const stored = head.metadata[META_MTIME]
      this.#recentMtimes.delete(path)
      if (stored !== undefined) {
        this.#recentMtimes.set(path, stored)
        if (this.#recentMtimes.size > RECENT_MTIMES) this.#recentMtimes.delete(this.#recentMtimes.keys().next().value!)
      }
      return this.#fileEntry(path, head)
    }
    // Not an object: a directory if there is a marker or any key below it.
    const below = await this.#keysBelow(conn, key, path, 'stat', 1)
    const first = below[0]
    if (!first) return undefined
    const isMarker = first.Key !== undefined && decodeKey(first.Key) === `${key}/`
    if (isMarker) this.#markers.add(path)
    if (isMarker && (first.Size ?? 0) > 0) this.#contentMarkers.set(path, first.Size ?? 0)
    return {
      path,
      kind: 'dir',
      size: 0,
      mtimeMs: isMarker ? (first.LastModified?.getTime() ?? 0) : 0,
    }
  }

  /**
   * The stored mtime of `path` to the nanosecond, as the last `stat` of it read it (see
   * `#recentMtimes`); undefined when none did, or it has no such value. The engine holds it to the
   * mtime it planned with, so a stale one is never written.
   */
  async mtimeNs(path: RelPath): Promise<bigint | undefined> {
    return parseMtimeNs(this.#recentMtimes.get(path))
  }

  async read(path: RelPath, range?: ReadRange, given: ReadOptions = {}): Promise<Readable> {
    // The run's signal, through one that takes a listener per request in flight (see fanOutSignal).
    const opts = given.signal ? { ...given, signal: fanOutSignal(given.signal) } : given
    const key = this.#key(path, 'read')
    const conn = await this.#connect('read', path)
    // Pinned to the version planned (its ETag, from the listing or the HEAD before): an object
    // replaced since, even by one of the same size, is never read under the old entry's mtime
    // (QA 8 #3, #11). A service refuses it with 412.
    const etag = opts.expect?.version
    const ifMatch = etag !== undefined ? { IfMatch: `"${etag}"` } : {}
    if (range && range.length === 0) {
      const head = await this.#head(conn, key, 'read', path, opts.signal)
      if (!head) throw this.#notFound('read', path)
      if (etag !== undefined && head.etag !== etag) throw this.#changed(path, opts.expect as Entry)
      return Readable.from([])
    }
    const header = range
      ? `bytes=${range.offset}-${range.length !== undefined ? range.offset + range.length - 1 : ''}`
      : undefined
    let out: GetObjectCommandOutput
    try {
      out = await conn.client.send(
        new conn.sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(header ? { Range: header } : {}),
          ...ifMatch,
        }),
        // The run's abort ends a GET the service does not answer (ReadOptions.signal).
        sendOptions(opts.signal),
      )
    } catch (err) {
      const { name, $metadata } = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      if (etag !== undefined && (name === 'PreconditionFailed' || $metadata?.httpStatusCode === 412)) {
        throw this.#changed(path, opts.expect as Entry)
      }
      // A range starting at or past the end: no bytes, as a local file would give.
      if (range && (err as { name?: string }).name === 'InvalidRange') {
        if (!(await this.#head(conn, key, 'read', path))) throw this.#notFound('read', path)
        return Readable.from([])
      }
      throw this.#error(err, 'read', path, conn)
    }
    const body = out.Body as Readable | undefined
    if (!body) return Readable.from([])
    // Errors of the body stream (a reset connection) reach the reader translated too.
    const pass = range === undefined ? md5Checked(out, path) : new PassThrough()
    body.on('error', (err) => pass.destroy(this.#error(err, 'read', path, conn)))
    pass.on('close', () => {
      if (!body.destroyed) body.destroy()
    })
    body.pipe(pass)
    return pass
  }

  async write(path: RelPath, body: Readable, meta: WriteMeta, opts: WriteOptions = {}): Promise<Entry> {
    return this.#write(path, body, meta, opts, { by: 'caller' })
  }

  /**
   * `write`; `md5From` says who announced `meta.hashes.md5`: the caller (the bytes are hashed on
   * the way and checked against it, `CHECKSUM` otherwise), or the source's own hash just before
   * the read (then `unchanged` tells, once the last byte is read, whether the file is still as it
   * was hashed: no second MD5 pass over the data).
   */
  async #write(
    path: RelPath,
    body: Readable,
    meta: WriteMeta,
    opts: WriteOptions,
    md5From: Md5From,
    held?: { readonly bytes: number; readonly release: () => void },
  ): Promise<Entry> {
    const key = this.#key(path, 'write')
    const conn = await this.#connect('write', path)
    this.#sweepStaleUploads(conn)
    const o = withFanOut(opts)
    const signal = o.signal
    this.#checkAborted(signal, 'write', path)
    const threshold = this.#multipartThreshold
    const knownBig = meta.size !== undefined && meta.size >= threshold
    const small = meta.size !== undefined && meta.size < threshold
    const expect = o.expect
    // `null` is checked by the PUT itself (If-None-Match), and so is a small object's update where
    // the service honours If-Match (see #putReplacing); anything else, and multipart, by a HEAD.
    const replacing =
      small && expect?.kind === 'file' && expect.version !== undefined && this.#learnt.putIfMatch !== 'none'
    if (expect !== undefined && (expect !== null || knownBig) && !replacing) {
      await this.#checkExpect(conn, key, path, expect, 'write', signal)
    } else if (expect === null && this.#markers.has(path)) {
      await this.#checkNoKeysBelow(conn, key, path, 'write')
    }

    // Memory first, then the body: a small body is held whole, a multipart upload holds its parts
    // in flight (the budget keeps their sum bounded however many writes run at once).
    // (`held`: the caller took it already, see #uploadHashedFirst.)
    const reserved = held?.bytes ?? (small ? meta.size! : this.#multipartMemory(meta.size))
    let release: () => void
    try {
      release = held?.release ?? (await this.#budget.acquire(reserved, signal))
    } catch (err) {
      body.destroy()
      throw this.#error(err, 'write', path, conn)
    }
    try {
      // A body held whole already (a small local file): sent as it is, without reading it again.
      /** One PutObject of `data` (its MD5 hex `digest`), conditional as `expect` says. */
      const putWhole = (data: Buffer, digest: string): Promise<Entry> => {
        const put: SmallPut = { conn, path, key, data, digest, meta, metadata: this.#metadata(meta), opts: o }
        return replacing ? this.#putReplacing(put, expect) : this.#putObject(put)
      }
      const whole = small ? heldBytesOf(body) : undefined
      if (whole !== undefined && whole.length < threshold) {
        body.destroy()
        return await putWhole(whole, createHash('md5').update(whole).digest('hex'))
      }
      const md5 = createHash('md5')
      const iterator = (body as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      const chunks: Buffer[] = []
      let size = 0
      let ended = false
      try {
        while (!knownBig && size < threshold) {
          const r = await abortable(iterator.next(), signal, path)
          if (r.done) {
            ended = true
            break
          }
          const b = toBuffer(r.value)
          md5.update(b)
          chunks.push(b)
          size += b.length
        }
      } catch (err) {
        releaseBody(iterator)
        throw this.#error(err, 'write', path, conn)
      }
      if (ended)
        return await putWhole(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), md5.digest('hex'))
      const metadata = this.#metadata(meta)
      // It grew past the threshold while being read: a multipart upload, checked by a HEAD.
      if (!knownBig && expect !== undefined && (expect === null || replacing)) {
        await this.#checkExpect(conn, key, path, expect, 'write', signal)
      }
      const needed = this.#multipartMemory(meta.size)
      if (reserved < needed) {
        // It grew past the threshold while being read: take the multipart reservation instead.
        release()
        try {
          release = await this.#budget.acquire(needed, signal)
        } catch (err) {
          releaseBody(iterator)
          throw this.#error(err, 'write', path, conn)
        }
      }
      const head = { chunks, size, md5, iterator }
      return await this.#multipartUpload(conn, path, key, head, meta, metadata, o, md5From)
    } finally {
      release()
    }
  }

  /**
   * Deletes the object (or the directory marker) at `path`; idempotent. With `opts.expect` (a
   * file), only while it is still that entry (`CONFLICT` otherwise): one conditional DeleteObject
   * where the service honours If-Match on it (learnt once, on a scratch object, see
   * #removeExpected), else a HEAD just before the DeleteObject.
   */
  async remove(path: RelPath, opts: { readonly expect?: Entry } = {}): Promise<void> {
    this.#rootSeenAt = undefined
    const key = this.#key(path, 'remove')
    const conn = await this.#connect('remove', path)
    this.#sweepStaleUploads(conn)
    const content = this.#contentMarkers.get(path)
    if (content !== undefined) {
      // Not CONFLICT, which the engine reads as "not empty yet" and skips: this one needs the user.
      throw new SyncError(
        'UNSUPPORTED',
        `the directory marker ${JSON.stringify(`${key}/`)} holds ${content} bytes: not deleted`,
        {
          op: 's3.remove',
          path,
          hint: `Some tool put content in it, which no file carries: delete it yourself if it should go (aws s3 rm "s3://${this.bucket}/${key}/").`,
        },
      )
    }
    // A directory, as this backend knows it (a marker) or as the plan does (`expect`, an implicit
    // one: keys below a prefix, without a marker): its marker `key/` goes, if any, once nothing else
    // is below it, never the object `key`. That is a file beside the keys, such as the one a watch
    // had just uploaded in the directory's place, before deleting the directory (review of watch:
    // `rm -rf y; echo > y` left the target without `y`).
    if (this.#markers.has(path) || opts.expect?.kind === 'dir') {
      // A directory marker: removed only when nothing else is below it.
      const below = await this.#keysBelow(conn, key, path, 'remove', 2)
      const others = below.filter((o) => o.Key !== undefined && decodeKey(o.Key) !== `${key}/`)
      if (others.length > 0) {
        throw new SyncError('CONFLICT', 'directory is not empty', {
          op: 's3.remove',
          path,
          hint: 'Remove its contents first.',
        })
      }
      await this.#send(
        'remove',
        path,
        (c) => c.send(new conn.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: `${key}/` })),
        conn,
      )
      this.#markers.delete(path)
      return
    }
    if (opts.expect?.kind === 'file') return this.#removeExpected(conn, key, path, opts.expect)
    // DeleteObject of a missing key succeeds: idempotent as the contract asks.
    await this.#send(
      'remove',
      path,
      (c) => c.send(new conn.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
      conn,
    )
  }

  /**
   * HeadBucket, then (below a prefix) a one-key listing. A true answer is handed once more to the
   * next call, when that comes within ROOT_SEEN_REUSE_MS and nothing was listed or removed in
   * between: the CLI asks before it opens the job, and the engine asks again just before it lists
   * (QA S3 F7: two HEADs and LISTs per run where one of each says the same).
   */
  /**
   * Throws USAGE when the prefix, without its `/`, is an object: `s3://b/app.txt` as a target would
   * put `app.txt/…` beside the object `app.txt`, a key that is both a file and a prefix, which the
   * listing of the parent then reports on every run (the local backend refuses a file as its root too).
   */
  async #refuseObjectRoot(conn: Conn, signal: AbortSignal | undefined): Promise<void> {
    if (this.prefix === '') return
    const key = this.prefix.slice(0, -1)
    // The prefix's parents too (`app/new.txt` for `s3://b/app/new.txt/x`): keys written below an
    // object make it both a file and a directory, which every listing of a parent then reports as
    // a CONFLICT and skips (QA 25b #2). One HEAD each, all at once, only for an empty prefix.
    const segments = key.split('/')
    const keys = segments.map((_, i) => segments.slice(0, i + 1).join('/'))
    // The listing's signal: a Ctrl-C while the service does not answer ends it (QA 21 F1). A
    // parent's HEAD that fails says nothing: credentials allowed only below a prefix
    // (`team/*`) are refused a HEAD of `team` itself, and that must not stop the run.
    const found = await Promise.all(
      keys.map((k) =>
        k === key
          ? this.#head(conn, k, 'list', '', signal)
          : this.#head(conn, k, 'list', '', signal).catch((err: unknown) => {
              if (signal?.aborted) throw err
              return undefined
            }),
      ),
    )
    const at = found.findIndex((head) => head !== undefined)
    if (at === -1) return
    if (keys[at] === key) {
      throw new SyncError('USAGE', `${this.uri} is an object, not a prefix (a directory) that files can go below`, {
        hint: 'No files can go below an object: name another prefix (as a source, that one object is synced by its parent and --include /NAME).',
      })
    }
    const object = formatS3Uri({ bucket: this.bucket, prefix: `${keys[at]}/` })
    throw new SyncError('USAGE', `${this.uri} lies below ${object}, an object, not a prefix (a directory)`, {
      hint: `No files can go below an object: name a prefix that is not below ${object}.`,
    })
  }

  async rootExists(): Promise<boolean> {
    const seen = this.#rootSeenAt
    this.#rootSeenAt = undefined
    if (seen !== undefined && Date.now() - seen < ROOT_SEEN_REUSE_MS && !this.#closed) return true
    const exists = await this.#rootExists()
    if (exists) this.#rootSeenAt = Date.now()
    return exists
  }

  async #rootExists(): Promise<boolean> {
    const conn = await this.#connect('rootExists')
    try {
      await conn.client.send(new conn.sdk.HeadBucketCommand({ Bucket: this.bucket }))
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      if (e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404) {
        return this.#bucketMissing(conn)
      }
      throw this.#error(err, 'rootExists', undefined, conn)
    }
    if (this.prefix === '') return true
    const out = await this.#send(
      'rootExists',
      undefined,
      (c) =>
        c
          .send(new conn.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }))
          .then(checkedListing),
      conn,
    )
    return (out.KeyCount ?? out.Contents?.length ?? 0) > 0
  }

  /**
   * After a 404 to HeadBucket: false (the bucket is missing), or the error a listing gets. A HEAD
   * has no body, so a web server's 404 page (an endpoint that is not S3) looked like a missing
   * bucket: a sync from it said "the source s3://… does not exist" where `ls` said the endpoint is
   * not S3 (QA 26h #3). A listing's answer tells them apart; one request more, on a 404 only.
   */
  async #bucketMissing(conn: Conn): Promise<false> {
    try {
      await this.#send(
        'rootExists',
        undefined,
        (c) => c.send(new conn.sdk.ListObjectsV2Command({ Bucket: this.bucket, MaxKeys: 1 })),
        conn,
      )
    } catch (err) {
      if (isSyncError(err) && err.code === 'NOT_FOUND') return false
      throw err
    }
    return false
  }

  async close(): Promise<void> {
    this.#closed = true
    const conn = this.#conn
    this.#conn = undefined
    // The clean-up started by a write finishes first (it only swallows its own errors), and what
    // was learnt about the service is written down.
    await this.#leftovers
    await Promise.all(this.#remembering)
    // Interrupted multipart uploads are aborted on the service before close() returns, through the
    // client still open: a process that ends right after (the CLI re-raises a SIGHUP once the job
    // is closed) would leave them unfinished. Bounded, as each abort is.
    await settledWithin([...this.#aborting], DESTROY_GRACE_MS + UPLOAD_ABORT_TIMEOUT_MS)
    if (conn) (await conn.catch(() => undefined))?.client.destroy()
  }

  // ---- optional features --------------------------------------------------------------------

  /** Server-side copy within the bucket prefix, metadata kept (CopyObject, or part by part above 5 GiB). */
  async copy(from: RelPath, to: RelPath, options: WriteOptions = {}): Promise<Entry> {
    return this.#copyWithin(from, to, options, undefined)
  }

  /**
   * `copy`, then delete the source (S3 has no rename). With `opts.mtimeMs` the copy replaces the
   * stored mtime in the same request (content headers and other metadata kept): a rename paired
   * by content carries the new file's mtime, not the old object's (QA 12 #4).
   */
  async move(from: RelPath, to: RelPath, opts: MoveOptions = {}): Promise<Entry> {
    const { mtimeMs, mtimeNs, ...rest } = opts
    const entry = await this.#copyWithin(from, to, rest, mtimeMs, mtimeNs)
    await this.remove(from)
    return entry
  }

  /** `copy`; with `mtimeMs` (and to the ns, `mtimeNs`), the metadata is replaced with that mtime in it. */
  async #copyWithin(
    from: RelPath,
    to: RelPath,
    options: WriteOptions,
    mtimeMs: number | undefined,
    mtimeNs?: bigint,
  ): Promise<Entry> {
    const opts = withFanOut(options)
    const src = this.#key(from, 'copy')
    const dst = this.#key(to, 'copy')
    const conn = await this.#connect('copy', to)
    this.#sweepStaleUploads(conn)
    const head = await this.#head(conn, src, 'copy', from, opts.signal)
    if (!head) throw this.#notFound('copy', from)
    if (opts.expect !== undefined) await this.#checkExpect(conn, dst, to, opts.expect, 'copy', opts.signal)
    const metadata =
      mtimeMs !== undefined
        ? { ...head.metadata, [META_MTIME]: copiedMtime(head.metadata[META_MTIME], mtimeMs, mtimeNs) }
        : undefined
    const etag = await this.#serverCopy(conn, { bucket: this.bucket, key: src, head }, dst, metadata, 'copy', to, opts)
    opts.onProgress?.(head.size)
    return this.#copiedEntry(to, head, metadata ?? head.metadata, etag)
  }

  /**
   * Copies from another S3Backend on the same service with the same credentials without the
   * bytes passing through this machine (CopyObject). Returns undefined for any other source.
   */
  async copyFrom(
    source: Backend,
    sourcePath: RelPath,
    path: RelPath,
    meta: WriteMeta,
    options: WriteOptions = {},
  ): Promise<Entry | undefined> {
    const opts = withFanOut(options)
    if (!(source instanceof S3Backend)) return this.#uploadHashedFirst(source, sourcePath, path, meta, opts)
    const dst = this.#key(path, 'write')
    const conn = await this.#connect('write', path)
    this.#sweepStaleUploads(conn)
    const srcConn = await source.#connect('read', sourcePath)
    if (!(await sameService(conn, srcConn))) return undefined
    const src = source.#key(sourcePath, 'read')
    const head = await source.#head(srcConn, src, 'read', sourcePath, opts.signal)
    if (!head) throw source.#notFound('read', sourcePath)
    // The object planned, still (the copy is then pinned to this HEAD's ETag)?
    const planned = opts.readOptions?.expect
    if (planned?.version !== undefined && head.etag !== planned.version) throw source.#changed(sourcePath, planned)
    if (opts.expect !== undefined) await this.#checkExpect(conn, dst, path, opts.expect, 'write', opts.signal)
    const metadata = {
      ...head.metadata,
      ...this.#metadata(meta),
      [META_MTIME]: copiedMtime(head.metadata[META_MTIME], meta.mtimeMs, meta.mtimeNs),
    }
    const etag = await this.#serverCopy(
      conn,
      { bucket: source.bucket, key: src, head },
      dst,
      metadata,
      'write',
      path,
      opts,
    )
    opts.onProgress?.(head.size)
    // Made by the service from bytes it held: nothing crossed the wire (README, "transferred").
    opts.onWireBytes?.(0)
    return this.#copiedEntry(path, head, metadata, etag)
  }

  /**
   * A multipart-sized file from a backend that hashes its own files (a local directory: one more
   * local read, no bytes over the network): the MD5 is asked first and goes into the metadata the
   * multipart upload starts with, instead of copying the object onto itself afterwards to add it
   * (which makes the service rewrite the whole object). The bytes read are checked against it; a
   * file that changed in between fails the attempt as TRANSIENT (hashed and sent again).
   * Undefined, so that the engine streams as usual, for small files (a single PUT computes its
   * MD5 on the way), an MD5 already known, and sources without MD5s. S3 sources never come here:
   * their `hash` may download the object.
   */
  async #uploadHashedFirst(
    source: Backend,
    sourcePath: RelPath,
    path: RelPath,
    meta: WriteMeta,
    opts: WriteOptions,
  ): Promise<Entry | undefined> {
    const threshold = this.#multipartThreshold
    if (meta.size === undefined || meta.size < threshold || meta.hashes?.md5 !== undefined) return undefined
    if (!supports.hash(source) || !source.capabilities.hashes.includes('md5')) return undefined
    this.#key(path, 'write') // a key too long fails before the source is read
    // The upload's memory is taken before hashing: only files about to be sent are hashed (seven
    // big files hashed at once would delay every upload until all seven are read).
    const bytes = this.#multipartMemory(meta.size)
    let release: () => void
    try {
      release = await this.#budget.acquire(bytes, opts.signal)
    } catch (err) {
      throw toSyncError(err, 's3.write', path, { bucket: this.bucket })
    }
    const reading = opts.readOptions ?? {}
    try {
      const before = await source.stat(sourcePath)
      // A file that changed since it was planned fails as a read of it would (QA 8 #3); one
      // that may change (--no-check-updated) is streamed as usual, up to its listed size.
      if (before?.kind === 'file' && reading.expect !== undefined && !isListedFile(reading.expect, before)) {
        throw sourceChanged('copyFrom', sourcePath, reading.expect, before)
      }
      if (before?.kind !== 'file' || before.size !== meta.size || reading.tolerateChanges) return undefined
      const md5 = await source.hash(sourcePath, 'md5', opts.signal ? { signal: opts.signal } : {})
      const body = await source.read(sourcePath)
      // Still the file that was hashed: same size, mtime and (where the backend has one) version.
      const unchanged = async (): Promise<boolean> => {
        const now = await source.stat(sourcePath)
        return (
          now?.kind === 'file' &&
          now.size === before.size &&
          now.mtimeMs === before.mtimeMs &&
          now.version === before.version
        )
      }
      const hashed = { ...meta, hashes: { ...meta.hashes, md5 } }
      return await this.#write(path, body, hashed, opts, { by: 'source', unchanged }, { bytes, release })
    } finally {
      release()
    }
  }

  /**
   * The digest of an object: MD5 from a single-part ETag or from `md5chksum` metadata with one
   * HEAD; otherwise (or for sha1/sha256) by reading the object.
   */
  async hash(path: RelPath, algo: HashAlgo, opts: HashOptions = {}): Promise<string> {
    const key = this.#key(path, 'hash')
    const conn = await this.#connect('hash', path)
    if (algo === 'md5') {
      const head = await this.#head(conn, key, 'hash', path, opts.signal)
      if (!head) throw this.#notFound('hash', path)
      const known = this.#md5Of(head)
      if (known) return known
    }
    if (opts.stored) {
      throw new SyncError('UNSUPPORTED', `no stored ${algo} for this object (it would have to be downloaded)`, {
        op: 's3.hash',
        path,
      })
    }
    const h = createHash(algo)
    const body = await this.read(path)
    try {
      for await (const chunk of body) {
        this.#checkAborted(opts.signal, 'hash', path)
        h.update(chunk as Buffer)
      }
    } finally {
      body.destroy()
    }
    return h.digest('hex')
  }

  /**
   * Sets the stored mode as `setMtime` sets the mtime: the object copied onto itself with its
   * metadata's mode replaced, server-side (a chmod alone no longer uploads the file again).
   */
  async setMode(path: RelPath, mode: number): Promise<Entry> {
    if (!this.capabilities.permissions) {
      throw new SyncError('UNSUPPORTED', 'modes are not stored here', { op: 's3.setMode', path })
    }
    return this.#setMetadata(path, 'setMode', { [META_MODE]: formatMode(mode) })
  }

  /** Sets the stored mtime by copying the object onto itself with replaced metadata (server-side). */
  async setMtime(path: RelPath, mtimeMs: number, mtimeNs?: bigint): Promise<Entry> {
    return this.#setMetadata(path, 'setMtime', { [META_MTIME]: formatMtime(mtimeMs, mtimeNs) })
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The object copied onto itself (server-side) with `changes` replacing keys of its metadata. */
  async #setMetadata(path: RelPath, op: string, changes: Record<string, string>): Promise<Entry> {
    const key = this.#key(path, op)
    const conn = await this.#connect(op, path)
    this.#sweepStaleUploads(conn)
    const head = await this.#head(conn, key, op, path)
    if (!head) throw this.#notFound(op, path)
    const metadata = { ...head.metadata, ...changes }
    const etag = await this.#serverCopy(conn, { bucket: this.bucket, key, head }, key, metadata, op, path, {})
    return this.#copiedEntry(path, head, metadata, etag)
  }

  /** The `StorageClass` of a new object: `storageClass`'s, or none (the service's default). */
  #storageClass(): { StorageClass?: StorageClass } {
    const storageClass = this.#options.storageClass
    return storageClass ? { StorageClass: storageClass as StorageClass } : {}
  }

  /** The key of a path, checked against S3's 1,024-byte limit before any request. */
  #key(path: RelPath, op: string): string {
    const key = this.prefix + toRelPath(path)
    const bytes = Buffer.byteLength(key)
    if (bytes > MAX_KEY_BYTES) {
      throw new SyncError('INVALID_PATH', `the key would be ${bytes} bytes; S3 allows at most ${MAX_KEY_BYTES}`, {
        op: `s3.${op}`,
        path,
        hint: `Shorten the path (the prefix ${JSON.stringify(this.prefix)} counts too), or exclude it.`,
      })
    }
    return key
  }

  #connect(op: string, path?: string): Promise<Conn> {
    if (this.#closed) {
      return Promise.reject(
        new SyncError('UNKNOWN', 'backend used after close()', { op: `s3.${op}`, ...(path ? { path } : {}) }),
      )
    }
    if (!this.#conn) {
      const conn = connectS3(this.#options, this.bucket)
      this.#conn = conn
      // A failed connection (e.g. no credentials) is retried by the next call, not cached.
      conn.catch(() => {
        if (this.#conn === conn) this.#conn = undefined
      })
    }
    return this.#conn.catch((err: unknown) => {
      throw toSyncError(err, `s3.${op}`, path, { bucket: this.bucket })
    })
  }

  async #send<T>(op: string, path: string | undefined, fn: (c: S3Client) => Promise<T>, conn: Conn): Promise<T> {
    try {
      return await fn(conn.client)
    } catch (err) {
      throw this.#error(err, op, path, conn)
    }
  }

  #error(err: unknown, op: string, path: string | undefined, conn: Conn): SyncError {
    const credentialSource = conn.credentialSource()
    return toSyncError(err, `s3.${op}`, path, {
      bucket: this.bucket,
      ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
      ...(this.#options.storageClass ? { storageClass: this.#options.storageClass } : {}),
      ...(credentialSource ? { credentialSource } : {}),
      connectTimeoutMs: conn.connectTimeoutMs,
      ioTimeoutMs: conn.ioTimeoutMs,
    })
  }

  /** A read of an object that is no longer the version planned (`ReadOptions.expect`). */
  #changed(path: string, planned: Entry): SyncError {
    return sourceChanged('s3.read', path, planned, `its ETag is no longer "${planned.version}"`, OBJECT_REPLACED_HINT)
  }

  #notFound(op: string, path: string): SyncError {
    return new SyncError('NOT_FOUND', 'no such object', { op: `s3.${op}`, path })
  }

  #checkAborted(signal: AbortSignal | undefined, op: string, path: string): void {
    if (signal?.aborted) throw new SyncError('ABORTED', 'interrupted', { op: `s3.${op}`, path })
  }

  #report(opts: ListOptions, error: SyncError): void {
    if (!opts.onError) throw error
    opts.onError(error)
  }

  /**
   * HEAD of a key; undefined when there is no such object. `signal`: the caller's, for a HEAD before
   * anything is written (a re-check, a copy's source), so that a Ctrl-C on a service that stopped
   * answering ends it at once instead of after the SDK's tries × the I/O timeout. A HEAD after a
   * write (which ETag landed) takes none: it is that write's bookkeeping.
   */
  async #head(
    conn: Conn,
    key: string,
    op: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<HeadResult | undefined> {
    try {
      const raw = await conn.client.send(
        new conn.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }),
        sendOptions(signal),
      )
      return {
        size: raw.ContentLength ?? 0,
        etag: unquoteEtag(raw.ETag),
        lastModifiedMs: raw.LastModified?.getTime() ?? 0,
        metadata: raw.Metadata ?? {},
        raw,
      }
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined
      throw this.#error(err, op, path, conn)
    }
  }

  #md5Of(head: HeadResult): string | undefined {
    // ETags of SSE-KMS and SSE-C objects are not MD5s.
    const encrypted = head.raw.ServerSideEncryption === 'aws:kms' || head.raw.SSECustomerAlgorithm !== undefined
    return md5FromMetadata(head.metadata[META_MD5]) ?? (encrypted ? undefined : md5FromEtag(head.etag))
  }

  #fileEntry(path: RelPath, head: HeadResult): Entry {
    const mode = this.capabilities.permissions ? parseMode(head.metadata[META_MODE]) : undefined
    const md5 = this.#md5Of(head)
    return {
      path,
      kind: 'file',
      size: head.size,
      mtimeMs: parseMtime(head.metadata[META_MTIME]) ?? head.lastModifiedMs,
      ...(mode !== undefined ? { mode } : {}),
      ...(md5 ? { hashes: { md5 } } : {}),
      ...(head.etag ? { version: head.etag } : {}),
    }
  }

  #metadata(meta: WriteMeta): Record<string, string> {
    return {
      [META_MTIME]: formatMtime(meta.mtimeMs, meta.mtimeNs),
      ...(this.capabilities.permissions && meta.mode !== undefined ? { [META_MODE]: formatMode(meta.mode) } : {}),
    }
  }

  #written(path: RelPath, size: number, meta: WriteMeta, md5: string, etag: string | undefined): Entry {
    return {
      path,
      kind: 'file',
      size,
      mtimeMs: meta.mtimeMs,
      ...(this.capabilities.permissions && meta.mode !== undefined ? { mode: meta.mode & 0o7777 } : {}),
      hashes: { md5 },
      ...(etag ? { version: etag } : {}),
    }
  }

  #copiedEntry(path: RelPath, head: HeadResult, metadata: Record<string, string>, etag: string | undefined): Entry {
    const mode = this.capabilities.permissions ? parseMode(metadata[META_MODE]) : undefined
    const md5 = md5FromMetadata(metadata[META_MD5]) ?? this.#md5Of(head)
    return {
      path,
      kind: 'file',
      size: head.size,
      mtimeMs: parseMtime(metadata[META_MTIME]) ?? Date.now(),
      ...(mode !== undefined ? { mode } : {}),
      ...(md5 ? { hashes: { md5 } } : {}),
      ...(etag ? { version: etag } : {}),
    }
  }

  /**
   * Throws CONFLICT unless the object is still what `expect` says: `null` = absent; an entry =
   * same ETag (its `version`), else same size and mtime (stored or upload time).
   */
  async #checkExpect(
    conn: Conn,
    key: string,
    path: RelPath,
    expect: Entry | null,
    op: string,
    signal?: AbortSignal,
  ): Promise<void> {
    // A directory where the file goes: planned as one (`expect`), or a marker this backend listed
    // (the engine plans a new file there: a file and a directory are different entries to it).
    if (expect?.kind === 'dir' || (expect === null && this.#markers.has(path))) {
      await this.#checkNoKeysBelow(conn, key, path, op)
      if (expect !== null) return
    }
    const head = await this.#head(conn, key, op, path, signal)
    if (expect === null) {
      if (head) throw conflictError('an object appeared there', op, path)
      return
    }
    if (expect.kind !== 'file') return
    if (!head) throw conflictError('the object was deleted', op, path)
    if (!isPlanned(head, expect)) throw conflictError('the object changed', op, path)
  }

  /** The first `maxKeys` objects under `key/`, a directory's marker included (keys URL-encoded, as asked). */
  async #keysBelow(conn: Conn, key: string, path: RelPath, op: string, maxKeys: number) {
    const out = await this.#send(
      op,
      path,
      (c) =>
        c
          .send(
            new conn.sdk.ListObjectsV2Command({
              Bucket: this.bucket,
              Prefix: `${key}/`,
              MaxKeys: maxKeys,
              EncodingType: 'url',
            }),
          )
          .then(checkedListing),
      conn,
    )
    return out.Contents ?? []
  }

  /**
   * A file planned where the target has a directory (a file replaced a directory in the source):
   * written only once no key is left under `key/`, as a filesystem refuses a file where a directory
   * is. S3 itself would take the object beside the keys, and a run stopped before its deletes then
   * left a bucket where `x` is both an object and a prefix, which no later run could list, so none
   * deleted anything again (QA). The CONFLICT makes the engine delete the directory first (after
   * every other transfer, when the delete guard allows it) and then write the file.
   */
  async #checkNoKeysBelow(conn: Conn, key: string, path: RelPath, op: string): Promise<void> {
    const below = await this.#keysBelow(conn, key, path, op, 1)
    if (below.length > 0) {
      throw new SyncError('CONFLICT', 'a directory is in the way (keys remain under it)', {
        op: `s3.${op}`,
        path,
        hint: 'A file cannot replace a directory before the directory is deleted: a sync deletes it first.',
      })
    }
  }

  /**
   * Deletes the object at `key` if it is still `expect`: with If-Match where the service honours
   * it on DeleteObject (recalled, or learnt by the first delete of a backend on a scratch object:
   * #learnDelete; deletes meanwhile wait), else after a HEAD. An object already gone is no error.
   * A refusal of the planned ETag itself (the object is unchanged) contradicts the answer: it is
   * forgotten (the next delete learns again), and this object is deleted after the HEAD that saw it.
   */
  async #removeExpected(conn: Conn, key: string, path: RelPath, expect: Entry): Promise<void> {
    const etag = expect.version
    let form: IfMatchForm | undefined = 'none'
    if (etag !== undefined && !this.#options.dryRun) {
      form = await this.#known('deleteIfMatch', conn, () => this.#learnDelete(conn))
      // The first delete started the learning just now: it waits for it as the others do.
      form ??= await this.#known('deleteIfMatch', conn)
    }
    let head: HeadResult | undefined
    if (etag !== undefined && form !== undefined && form !== 'none') {
      const answer = await this.#sendDelete(conn, key, path, ifMatchValue(form, etag))
      if (answer === 'deleted') return
      if (answer === CONDITION_UNSUPPORTED) {
        // The service stopped taking the header (another endpoint behind a balancer?): as without it.
        this.#settle('deleteIfMatch', conn, 'none', true)
      } else {
        head = await this.#head(conn, key, 'remove', path)
        if (!head) return
        if (head.etag !== etag) throw conflictError('the object changed', 'remove', path)
        if (this.#learnt.deleteIfMatch === form) this.#settle('deleteIfMatch', conn, undefined, true)
      }
    }
    head ??= await this.#head(conn, key, 'remove', path)
    if (!head) return
    if (!isPlanned(head, expect)) throw conflictError('the object changed', 'remove', path)
    await this.#sendDelete(conn, key, path, undefined)
  }

  /**
   * A DeleteObject; with `ifMatch`, a refusal on it (412) is PRECONDITION_FAILED, a 404 (AWS's
   * answer to If-Match on a missing object) is 'deleted', and a rejection of the header itself
   * (400 InvalidArgument, 501) CONDITION_UNSUPPORTED. `versions` collects the version the delete
   * made (a delete marker, in a versioned bucket).
   */
  async #sendDelete(
    conn: Conn,
    key: string,
    path: string,
    ifMatch: string | undefined,
    versions?: Set<string>,
    markers?: Set<string>,
  ): Promise<DeleteAnswer> {
    try {
      const out = await conn.client.send(
        new conn.sdk.DeleteObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(ifMatch !== undefined ? { IfMatch: ifMatch } : {}),
        }),
      )
      if (out.VersionId) (out.DeleteMarker === true && markers !== undefined ? markers : versions)?.add(out.VersionId)
      return 'deleted'
    } catch (err) {
      const { name, $metadata } = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      const status = $metadata?.httpStatusCode
      if (ifMatch !== undefined) {
        if (name === 'PreconditionFailed' || status === 412) return PRECONDITION_FAILED
        if (status === 404 && name !== 'NoSuchBucket') return 'deleted'
        if (status === 501 || name === 'NotImplemented' || name === 'InvalidArgument') return CONDITION_UNSUPPORTED
      }
      throw this.#error(err, 'remove', path, conn)
    }
  }

  /**
   * Learns how the service takes If-Match on DeleteObject (learnDeleteIfMatch) on a scratch
   * object that it creates for this (`.syncflow-probe-<random>` at the root, `If-None-Match: *`:
   * never anyone else's) and leaves deleted, versions included in a versioned bucket (best effort:
   * that needs s3:DeleteObjectVersion). Two to four requests, once a day per service (`#memory`).
   * A failure (no permission to create it) is `none` for this backend: a HEAD before each delete.
   */
  async #learnDelete(conn: Conn): Promise<void> {
    const name = `.syncflow-probe-${randomBytes(12).toString('hex')}`
    const key = this.prefix + name
    const versions = new Set<string>()
    const markers = new Set<string>()
    let created = false
    let gone = false
    let form: IfMatchForm | undefined
    try {
      const out = await conn.client.send(
        new conn.sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: Buffer.from('syncflow: a probe of conditional deletes, deleted at once\n'),
          IfNoneMatch: '*',
        }),
      )
      created = true
      if (out.VersionId) versions.add(out.VersionId)
      const etag = unquoteEtag(out.ETag)
      if (etag) {
        form = await learnDeleteIfMatch(etag, async (ifMatch) => {
          const answer = await this.#sendDelete(conn, key, name, ifMatch, versions, markers)
          if (answer === 'deleted') gone = true
          return answer
        })
      }
    } catch {
      form = undefined
    }
    if (created && !gone) {
      gone =
        (await this.#sendDelete(conn, key, name, undefined, versions, markers).catch(() => undefined)) === 'deleted'
    }
    // The delete markers go last, and only once every version of the scratch is gone: a version that
    // may not be deleted (object lock's default retention, no s3:DeleteObjectVersion) stays hidden
    // behind its marker, as any deleted file there. Deleted in the order made, the marker went and
    // the locked probe became the current object again, seen by every other tool (`aws s3 ls`,
    // rclone, which copies it), one more each day (QA 31h).
    let versionsLeft = false
    for (const version of versions) {
      await conn.client
        .send(new conn.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: version }))
        .catch(() => {
          versionsLeft = true
        })
    }
    if (!versionsLeft) {
      for (const marker of markers) {
        await conn.client
          .send(new conn.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: marker }))
          .catch(() => undefined)
      }
    }
    // A scratch object that could not be deleted (a key that may write but not delete) is left,
    // hidden from listings; remembered as `none`, so the next runs of the day do not leave one
    // each (QA 16 F7). Any other failure is not remembered: the next run asks again.
    this.#settle('deleteIfMatch', conn, form ?? 'none', form !== undefined || (created && !gone))
  }

  /** Copies an object server-side: CopyObject up to the threshold, UploadPartCopy parts above. Returns the new ETag. */
  async #serverCopy(
    conn: Conn,
    src: { bucket: string; key: string; head: HeadResult },
    dst: string,
    metadata: Record<string, string> | undefined,
    op: string,
    path: RelPath,
    opts: WriteOptions,
  ): Promise<string | undefined> {
    const { sdk } = conn
    const copySource = `${src.bucket}/${src.key.split('/').map(encodeURIComponent).join('/')}`
    const h = src.head.raw
    // With REPLACE, S3 drops the content headers too: carry them over.
    const content = {
      ...(h.ContentType ? { ContentType: h.ContentType } : {}),
      ...(h.CacheControl ? { CacheControl: h.CacheControl } : {}),
      ...(h.ContentDisposition ? { ContentDisposition: h.ContentDisposition } : {}),
      ...(h.ContentEncoding ? { ContentEncoding: h.ContentEncoding } : {}),
      ...(h.ContentLanguage ? { ContentLanguage: h.ContentLanguage } : {}),
    }
    // S3 gives a copy STANDARD unless told: a touch (an object copied onto itself with a new mtime)
    // moved an object a lifecycle rule had put in STANDARD_IA back to STANDARD, and its bill with it.
    // Onto itself it keeps its class; to a new key it takes --s3-storage-class, else its source's.
    const self = src.bucket === this.bucket && src.key === dst
    const storageClass = self ? h.StorageClass : (this.#options.storageClass ?? h.StorageClass)
    const placed = storageClass ? { StorageClass: storageClass as StorageClass } : {}
    const limit = Math.min(this.#options.multipartCopyThreshold ?? MAX_PART, MAX_PART)
    if (src.head.size <= limit) {
      // Not cut short at once by an interrupt: the request has no body, so the service makes the
      // copy once it has the request whether or not its answer is awaited. Cut, the copy landed all
      // the same, reported as interrupted and left out of the state (QA 17 #3: 344 objects landed,
      // 322 said). Awaited, it is counted as done; but only for `copyGraceMs`: a service that
      // stopped answering would hold the stop for the SDK's tries × --timeout (review: minutes).
      const grace = afterGrace(opts.signal, this.#options.copyGraceMs ?? COPY_GRACE_MS)
      try {
        const out = await this.#send(
          op,
          path,
          (c) =>
            c.send(
              new sdk.CopyObjectCommand({
                Bucket: this.bucket,
                Key: dst,
                CopySource: copySource,
                ...(src.head.etag ? { CopySourceIfMatch: `"${src.head.etag}"` } : {}),
                ...(metadata ? { MetadataDirective: 'REPLACE', Metadata: metadata, ...content } : {}),
                ...placed,
              }),
              ...(grace ? [{ abortSignal: grace.signal }] : []),
            ),
          conn,
        )
        return unquoteEtag(out.CopyObjectResult?.ETag)
      } finally {
        grace?.dispose()
      }
    }
    const signal = sendOptions(opts.signal)
    // Part by part: keep metadata and content headers explicitly (multipart copies start empty).
    const size = src.head.size
    const partSize = Math.min(
      MAX_PART,
      Math.max(this.#options.partSize ?? 64 * MiB, MIN_PART, Math.ceil(size / MAX_PARTS)),
    )
    const created = await this.#send(
      op,
      path,
      (c) =>
        c.send(
          new sdk.CreateMultipartUploadCommand({
            Bucket: this.bucket,
            Key: dst,
            Metadata: metadata ?? src.head.metadata,
            ...content,
            ...placed,
          }),
          signal,
        ),
      conn,
    )
    const uploadId = created.UploadId!
    try {
      const count = Math.ceil(size / partSize)
      const etags: string[] = new Array(count)
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < count) {
          const i = next++
          const start = i * partSize
          const end = Math.min(size, start + partSize) - 1
          const out = await conn.client.send(
            new sdk.UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: dst,
              UploadId: uploadId,
              PartNumber: i + 1,
              CopySource: copySource,
              CopySourceRange: `bytes=${start}-${end}`,
              ...(src.head.etag ? { CopySourceIfMatch: `"${src.head.etag}"` } : {}),
            }),
            signal,
          )
          etags[i] = out.CopyPartResult?.ETag ?? ''
        }
      }
      await Promise.all(Array.from({ length: Math.min(this.#options.queueSize ?? 4, count) }, worker))
      const done = await conn.client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: dst,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      )
      const etag = unquoteEtag(done.ETag)
      return etag || (await this.#head(conn, dst, op, path))?.etag
    } catch (err) {
      await conn.client
        .send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: dst, UploadId: uploadId }))
        .catch(() => undefined)
      throw this.#error(err, op, path, conn)
    }
  }

  /** One PutObject of a body held in memory, with its MD5 as Content-MD5 (checked by the service). */
  async #putObject(put: SmallPut): Promise<Entry> {
    const written = await this.#sendPut(put, undefined)
    if (written === PRECONDITION_FAILED || written === CONDITION_UNSUPPORTED) {
      throw new Error('a PUT without If-Match failed on it')
    }
    return written
  }

  /**
   * Replaces an object that should still be `expect`, with If-Match where the service honours it
   * (one request, checked by the service as it writes), else after a HEAD re-check. The answer is
   * recalled from `#memory`, else the first such update of a backend finds it out (see
   * learnIfMatch); updates meanwhile wait for it. A refusal of the planned ETag itself (the object
   * is unchanged) contradicts the answer: it is forgotten and learnt again, never weakened.
   */
  async #putReplacing(put: SmallPut, expect: Entry): Promise<Entry> {
    const etag = expect.version!
    const check = () => this.#checkExpect(put.conn, put.key, put.path, expect, 'write', put.opts.signal)
    const send = (ifMatch: string | undefined) => this.#sendPut(put, ifMatch)
    const mine: { learning?: ReturnType<typeof learnIfMatch<Entry>> } = {}
    const learn = () => {
      const learning = learnIfMatch(etag, check, send)
      mine.learning = learning
      return learning.then(
        (r) => this.#settle('putIfMatch', put.conn, r.form, true),
        // A conflict (or a failure) taught nothing: the next update tries again.
        () => this.#settle('putIfMatch', put.conn, undefined, false),
      )
    }
    const form = await this.#known('putIfMatch', put.conn, put.data.length <= IF_MATCH_PROBE_BYTES ? learn : undefined)
    if (mine.learning) {
      try {
        return (await mine.learning).written
      } catch (err) {
        const landed = isSyncError(err) && err.code === 'CONFLICT' ? (await this.#landed(put)).entry : undefined
        if (landed === undefined) throw err
        return landed
      }
    }
    if (form === undefined || form === 'none') {
      await check()
      return await this.#putObject(put)
    }
    const written = await send(ifMatchValue(form, etag))
    if (written === CONDITION_UNSUPPORTED) {
      // The service stopped taking the header (another endpoint behind a balancer?): as without it.
      // Written down only once a PUT without it went through: radosgw refuses a storage class it
      // lacks (--s3-storage-class) with the same bare InvalidArgument, and the "none" kept for a day
      // made the next day's updates unconditional.
      await check()
      const entry = await this.#putObject(put)
      this.#settle('putIfMatch', put.conn, 'none', true)
      return entry
    }
    if (written === PRECONDITION_FAILED) {
      const landed = await this.#landed(put)
      if (landed.entry !== undefined) return landed.entry
      if (landed.etag === etag) {
        // Refused although the object is as planned: the service does not take this form (any
        // more). Forget it and write as if nothing were known (learning anew where small enough).
        if (this.#learnt.putIfMatch === form) this.#settle('putIfMatch', put.conn, undefined, true)
        return await this.#putReplacing(put, expect)
      }
      throw new SyncError('CONFLICT', 'the object changed or was deleted since it was planned; left as it is', {
        op: 's3.write',
        path: put.path,
        hint: 'Run the sync again to pick up the new state.',
      })
    }
    return written
  }

  /**
   * The answer about `what` once known: recalled from `#memory` the first time (others wait),
   * or after a learning under way has settled. When it is not known, `learn` (if given) is
   * started at once, and the others wait for it; undefined is returned then, as when not known.
   */
  async #known(what: Learnt, conn: Conn, learn?: () => Promise<void>): Promise<IfMatchForm | undefined> {
    for (;;) {
      const known = this.#learnt[what]
      if (known instanceof Promise) {
        await known
        continue
      }
      if (known === undefined && this.#recalled[what] && learn) {
        this.#learnt[what] = learn()
        return undefined
      }
      if (known !== undefined || this.#recalled[what]) return known
      this.#recalled[what] = true
      this.#learnt[what] = this.#recall(what, conn).then((form) => {
        this.#learnt[what] = form
      })
    }
  }

  /** What `#memory` holds about this service, or undefined (none kept, expired, unreadable). */
  async #recall(what: Learnt, conn: Conn): Promise<IfMatchForm | undefined> {
    if (!this.#memory) return undefined
    try {
      return await this.#memory.recall(this.#serviceKey(conn), what)
    } catch {
      return undefined
    }
  }

  /**
   * Sets the answer about `what` (undefined: unknown again) and, with `keep`, writes it to
   * `#memory` too (forgetting it there as well), for the runs of the next day.
   */
  #settle(what: Learnt, conn: Conn, form: IfMatchForm | undefined, keep: boolean): void {
    this.#learnt[what] = form
    if (!keep || !this.#memory) return
    const writing = this.#memory.remember(this.#serviceKey(conn), what, form).catch(() => undefined)
    this.#remembering.add(writing)
    void writing.finally(() => this.#remembering.delete(writing))
  }

  /** The service as `#memory` knows it: the endpoint (for AWS, its region) and the bucket. */
  #serviceKey(conn: Conn): string {
    return `${conn.endpoint ?? `aws:${conn.region}`} ${this.bucket}`
  }

  /**
   * The written entry when the object already holds this body: a conditional PUT whose answer was
   * lost (a reset connection) is sent again by the SDK, and the second one is refused because the
   * first one landed. Otherwise no entry, and the ETag the object has (a concurrent writer's, or
   * the planned one when the service refused it; none when the object is gone).
   */
  async #landed(put: SmallPut): Promise<{ entry?: Entry; etag?: string }> {
    const head = await this.#head(put.conn, put.key, 'write', put.path)
    if (head?.etag !== put.digest || head.size !== put.data.length) return head?.etag ? { etag: head.etag } : {}
    return { entry: this.#written(put.path, put.data.length, put.meta, put.digest, head.etag) }
  }

  /** A PutObject; with `ifMatch`, a refusal on it (412, or 404 for a deleted object) is PRECONDITION_FAILED. */
  async #sendPut(
    put: SmallPut,
    ifMatch: string | undefined,
  ): Promise<Entry | typeof PRECONDITION_FAILED | typeof CONDITION_UNSUPPORTED> {
    const { conn, path, key, data, digest, meta, metadata, opts } = put
    try {
      const command = new conn.sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: data,
        ContentLength: data.length,
        ContentMD5: md5ToBase64(digest),
        ...withContentType(path),
        Metadata: metadata,
        ...this.#storageClass(),
        ...(opts.expect === null ? { IfNoneMatch: '*' } : {}),
        ...(ifMatch !== undefined ? { IfMatch: ifMatch } : {}),
      })
      // A small body goes in milliseconds: sent without options, so the client's cached middleware
      // stack serves it (see connectS3), and an abort only stops waiting for it. A bigger one may
      // take a while on a slow link: the abort reaches the request.
      const out = await (data.length < ABORTABLE_PUT_BYTES
        ? abortable(conn.client.send(command), opts.signal, path)
        : conn.client.send(command, sendOptions(opts.signal)))
      opts.onProgress?.(data.length)
      return this.#written(path, data.length, meta, digest, unquoteEtag(out.ETag))
    } catch (err) {
      const { name, $metadata } = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      const status = $metadata?.httpStatusCode
      const refused = name === 'PreconditionFailed' || status === 412 || (status === 404 && name !== 'NoSuchBucket')
      if (ifMatch !== undefined && refused) {
        return PRECONDITION_FAILED
      }
      // A service that does not know the header at all (and says so rather than ignoring it).
      const rejected = status === 501 || name === 'NotImplemented' || name === 'InvalidArgument'
      if (ifMatch !== undefined && rejected) return CONDITION_UNSUPPORTED
      if ((name === 'PreconditionFailed' || status === 412) && opts.expect === null) {
        throw new SyncError('CONFLICT', 'an object appeared there since it was planned; left as it is', {
          op: 's3.write',
          path,
          hint: 'Run the sync again to pick up the new state.',
          cause: err,
        })
      }
      throw this.#error(err, 'write', path, conn)
    }
  }

  /** The part size of a multipart upload of `size` bytes: at least 5 MiB, and big enough for 10,000 parts. */
  #partSize(size: number | undefined): number {
    return Math.min(MAX_PART, Math.max(this.#options.partSize ?? 8 * MiB, MIN_PART, Math.ceil((size ?? 0) / MAX_PARTS)))
  }

  /** Bodies up to this size (exclusive) go in one PutObject (see MULTIPART_THRESHOLD). */
  get #multipartThreshold(): number {
    return this.#options.multipartThreshold ?? MULTIPART_THRESHOLD
  }

  /**
   * What a multipart upload holds in memory at most: lib-storage sends `queueSize` parts at once
   * and fills the next one meanwhile; a body of unknown size is first read up to the threshold.
   */
  #multipartMemory(size: number | undefined): number {
    const parts = ((this.#options.queueSize ?? 4) + 1) * this.#partSize(size)
    return size === undefined ? Math.max(parts, this.#multipartThreshold) : parts
  }

  /**
   * A multipart upload with lib-storage: memory stays at about queueSize × partSize; the part size
   * grows with the size so that 10,000 parts reach 5 TB. The whole-object MD5 goes into
   * `md5chksum`: at creation when the caller knows it (and it is verified on the way), otherwise
   * by a server-side copy onto itself once the upload is done.
   */
  async #multipartUpload(
    conn: Conn,
    path: RelPath,
    key: string,
    head: { chunks: Buffer[]; size: number; md5: ReturnType<typeof createHash>; iterator: AsyncIterator<unknown> },
    meta: WriteMeta,
    metadata: Record<string, string>,
    opts: WriteOptions,
    md5From: Md5From,
  ): Promise<Entry> {
    const { Upload } = await loadLibStorage()
    const expected = meta.hashes?.md5?.toLowerCase()
    const partSize = this.#partSize(meta.size)
    const own = { ...withContentType(path), Metadata: metadata, ...this.#storageClass() }
    const params = { ...own, Metadata: { ...metadata, ...(expected ? { [META_MD5]: md5ToBase64(expected) } : {}) } }
    // Resumable only with a known size: the record must say what the upload was for.
    const resume = meta.size !== undefined ? opts.resume : undefined
    const fingerprint =
      resume && meta.size !== undefined ? uploadFingerprint(key, meta.size, meta.mtimeMs, partSize, own) : undefined
    let resumed: ResumedUpload | undefined
    try {
      resumed = resume && fingerprint ? await this.#resumable(conn, path, resume, fingerprint) : undefined
    } catch (err) {
      releaseBody(head.iterator)
      throw err
    }
    // (Not the upload being resumed: every other one of this key that a killed run left.)
    await this.#abortLeftovers(conn, key, resumed?.uploadId)
    let total = head.size
    let digest: string | undefined
    const { chunks, md5, iterator } = head
    const signal = opts.signal
    // The source's own MD5 of a file that is still as it was hashed needs no second pass (a
    // hash of 256 MiB costs about 0.4 s of CPU here); any other body is hashed on the way.
    const trusted = md5From.by === 'source' && expected !== undefined && chunks.length === 0
    async function* feed(): AsyncGenerator<Buffer> {
      while (chunks.length > 0) yield chunks.shift()!
      for (;;) {
        const r = await abortable(iterator.next(), signal, path)
        if (r.done) break
        const b = toBuffer(r.value)
        if (!trusted) md5.update(b)
        total += b.length
        yield b
      }
      // Failing here fails the upload before it completes: lib-storage then aborts it.
      if (md5From.by === 'source' && (total !== meta.size || !(await md5From.unchanged()))) {
        // The file changed between hashing and reading: a new attempt (hashed and sent again)
        // will likely find it settled.
        throw new SyncError('TRANSIENT', 'the source file changed while it was uploaded', { op: 's3.write', path })
      }
      digest = trusted ? expected : md5.digest('hex')
      if (expected !== undefined && digest !== expected) {
        throw md5From.by === 'source'
          ? new SyncError(
              'TRANSIENT',
              `the source file changed while it was uploaded (MD5 ${expected} before, ${digest} read)`,
              {
                op: 's3.write',
                path,
              },
            )
          : new SyncError('CHECKSUM', `the data read has MD5 ${digest}, not ${expected} as announced`, {
              op: 's3.write',
              path,
            })
      }
    }
    let etag: string | undefined
    if (resumed !== undefined && resume !== undefined) {
      etag = await this.#resumeUpload(conn, path, key, resumed, feed(), partSize, opts, resume, iterator)
    } else {
      const record = fingerprint && { ...fingerprint, ...(expected ? { md5: expected } : {}) }
      etag = await this.#uploadAnew(Upload, conn, path, key, params, feed(), partSize, opts, iterator, resume, record)
    }
    await resume?.clear()
    digest ??= md5.digest('hex')
    // What the upload's metadata says (a resumed one's, from the run that created it).
    const createdWith = resumed ? resumed.md5 : expected
    if (createdWith !== digest && md5FromEtag(etag) !== digest) {
      // The MD5 was not known when the upload began (or a resumed upload was created with
      // another): stamp it now, without moving the bytes again.
      const h = await this.#head(conn, key, 'write', path)
      if (!h) throw this.#notFound('write', path)
      etag = await this.#serverCopy(
        conn,
        { bucket: this.bucket, key, head: h },
        key,
        { ...h.metadata, [META_MD5]: md5ToBase64(digest) },
        'write',
        path,
        {},
      )
    }
    // radosgw answers a completed multipart upload with an empty ETag: ask for the real one.
    if (!etag) etag = (await this.#head(conn, key, 'write', path))?.etag
    return this.#written(path, total, meta, digest, etag)
  }

  /**
   * A new multipart upload of `body` by lib-storage, its id recorded in `resume` (when given)
   * before its first part is sent; returns the completed object's ETag (empty on radosgw).
   */
  async #uploadAnew(
    Upload: Awaited<ReturnType<typeof loadLibStorage>>['Upload'],
    conn: Conn,
    path: RelPath,
    key: string,
    params: UploadParams,
    body: AsyncGenerator<Buffer>,
    partSize: number,
    opts: WriteOptions,
    iterator: AsyncIterator<unknown>,
    resume: ResumeRecord | undefined,
    fingerprint: (UploadFingerprint & { readonly md5?: string }) | undefined,
  ): Promise<string | undefined> {
    const signal = opts.signal
    // The upload's requests, counted: an interrupted upload is aborted on the service once they
    // have settled (see #abortUnfinished), by this backend rather than in lib-storage's background.
    const requests = uploadRequests(conn.client, DESTROY_GRACE_MS)
    // The upload's id is in the state store before its first part is sent (see recordingCreates).
    const recording =
      resume && fingerprint
        ? recordingCreates(requests.client, (uploadId) =>
            resume.save({ ...fingerprint, uploadId, createdAt: Date.now() } satisfies UploadResumeRecord),
          )
        : undefined
    const upload = new Upload({
      client: recording?.client ?? requests.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: Readable.from(body, { objectMode: false }),
        ...params,
      },
      partSize,
      queueSize: this.#options.queueSize ?? 4,
      leavePartsOnError: true,
    })
    if (opts.onProgress) {
      const report = opts.onProgress
      upload.on('httpUploadProgress', (p) => {
        if (p.loaded !== undefined) report(p.loaded)
      })
    }
    const onAbort = (): void => {
      requests.stop()
      void upload.abort()
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const out = await upload.done()
      return unquoteEtag(out.ETag)
    } catch (err) {
      releaseBody(iterator)
      requests.stop()
      const parts = recording?.partsDone() ?? 0
      // Kept only with its record saved: without one no run resumes it, and the next one that
      // writes the file aborts it as a leftover (or none does, and it is billed until the sweep).
      if (signal?.aborted && resume && fingerprint && parts > 0 && recording?.recorded()) {
        // An orderly stop (Ctrl-C, SIGTERM, a hangup) keeps an upload that has parts on the
        // service, and its record, for the next run to resume (as rsync --partial keeps a partial
        // file); the sweep of a run 24 h later aborts it if none did. The parts in flight settle
        // first (see uploadRequests), and close() waits for them.
        const settling = requests.settled().then(() => undefined)
        this.#aborting.add(settling)
        void settling.finally(() => this.#aborting.delete(settling))
        resume.kept(
          `upload of ${key} kept for resume (${parts} of ${Math.ceil(fingerprint.size / partSize)} parts): the next run of this job sends the rest`,
        )
        throw this.#error(err, 'write', path, conn)
      }
      // Aborted (or left to the sweep if that fails), the upload is no longer to be resumed.
      void resume?.clear()
      const aborting = this.#abortUnfinished(conn, key, requests)
      // A failed upload is aborted before the write fails (lib-storage's own order); an
      // interrupted one settles the write at once, and close() waits for the abort.
      if (!signal?.aborted) await aborting
      throw this.#error(err, 'write', path, conn)
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * The upload an interrupted run of this job began for this very write (`resume`'s record, made
   * for the same key, size, mtime, part size and metadata, younger than the stale-upload sweep's
   * threshold), with the parts the service holds of it; undefined to upload anew. A record of
   * another write, or whose upload cannot be listed, is dropped and its upload aborted.
   */
  async #resumable(
    conn: Conn,
    path: RelPath,
    resume: ResumeRecord,
    fingerprint: UploadFingerprint,
  ): Promise<ResumedUpload | undefined> {
    const record = await resume.load()
    if (record === undefined) return undefined
    const drop = async (why: string): Promise<undefined> => {
      await resume.clear()
      if (isUploadResumeRecord(record) && record.key === fingerprint.key) {
        await this.#abortUpload(conn, record.key, record.uploadId, new Date(record.createdAt), why)
      }
      return undefined
    }
    if (!isUploadResumeRecord(record)) return drop('its record is damaged')
    if (!recordMatches(record, fingerprint)) return drop('the file changed since: it is sent again from the start')
    // An hour's margin: the sweep of another run (or this one's, under way) must not abort it mid-resume.
    const after = this.#options.abortStaleUploadsAfterMs ?? 24 * 3600_000
    if (after !== false && Date.now() - record.createdAt > after - 3600_000) {
      return drop('older than the clean-up threshold')
    }
    const parts = new Map<number, ListedPart>()
    try {
      let marker: string | undefined
      for (;;) {
        const page = await conn.client.send(
          new conn.sdk.ListPartsCommand({
            Bucket: this.bucket,
            Key: record.key,
            UploadId: record.uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
        )
        for (const p of page.Parts ?? []) {
          const etag = unquoteEtag(p.ETag)?.toLowerCase()
          if (p.PartNumber !== undefined && p.Size !== undefined && etag) {
            parts.set(p.PartNumber, { size: p.Size, etag })
          }
        }
        if (!page.IsTruncated || !page.NextPartNumberMarker) break
        marker = page.NextPartNumberMarker
      }
    } catch (err) {
      // The network, a 503: the write fails TRANSIENT and is tried again, the record kept (a blip
      // must not cost what was sent). NoSuchUpload: aborted or completed meanwhile (by the sweep,
      // by hand); anything else, not worth a guess: the file is sent anew (the abort of a missing
      // upload is a no-op).
      const error = this.#error(err, 'write', path, conn)
      if (error.code === 'TRANSIENT') throw error
      const name = (err as { name?: unknown }).name
      return drop(`its parts could not be listed (${typeof name === 'string' ? name : 'error'}); the file is sent anew`)
    }
    return {
      uploadId: record.uploadId,
      parts,
      size: record.size,
      ...(record.md5 !== undefined ? { md5: record.md5 } : {}),
    }
  }

  /**
   * Goes on with the multipart upload `resumed` that an interrupted run began: `body` is read
   * whole as ever, cut into parts of `partSize`, and each part whose listed size and ETag (its
   * MD5) match is not sent again; every other part is. Then CompleteMultipartUpload. Returns the
   * object's ETag. On failure the upload is aborted and the record dropped, so that a retry sends
   * the file anew; a failure of the resumed upload itself (a part gone) is TRANSIENT for that.
   */
  async #resumeUpload(
    conn: Conn,
    path: RelPath,
    key: string,
    resumed: ResumedUpload,
    body: AsyncGenerator<Buffer>,
    partSize: number,
    opts: WriteOptions,
    resume: ResumeRecord,
    iterator: AsyncIterator<unknown>,
  ): Promise<string | undefined> {
    const { uploadId, parts: listed } = resumed
    const signal = opts.signal
    const queue = this.#options.queueSize ?? 4
    const etags: string[] = []
    const inFlight = new Set<Promise<void>>()
    let failed: { err: unknown } | undefined
    let done = 0
    let skipped = 0
    let skippedParts = 0
    // The parts the service holds, for an interrupt to say.
    const onService = new Set(listed.keys())
    let number = 0
    const part = async (data: Buffer): Promise<void> => {
      const n = ++number
      const digest = createHash('md5').update(data).digest('hex')
      const had = listed.get(n)
      if (had !== undefined && had.size === data.length && had.etag === digest) {
        // Already on the service, and proven the same bytes by its MD5: not sent again.
        etags[n - 1] = digest
        skipped += data.length
        skippedParts++
        done += data.length
        opts.onProgress?.(done)
        return
      }
      while (inFlight.size >= queue) await Promise.race(inFlight)
      if (failed) return
      const sending = conn.client
        .send(
          new conn.sdk.UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n,
            Body: data,
            ContentLength: data.length,
            ContentMD5: md5ToBase64(digest),
          }),
          sendOptions(signal),
        )
        .then(
          (out) => {
            etags[n - 1] = unquoteEtag(out.ETag) || digest
            onService.add(n)
            done += data.length
            opts.onProgress?.(done)
          },
          (err: unknown) => {
            failed ??= { err }
          },
        )
        .finally(() => inFlight.delete(sending))
      inFlight.add(sending)
    }
    try {
      let held: Buffer[] = []
      let heldBytes = 0
      for await (const b of body) {
        held.push(b)
        heldBytes += b.length
        while (heldBytes >= partSize && !failed) {
          const all = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes)
          await part(all.subarray(0, partSize))
          const rest = all.subarray(partSize)
          held = rest.length > 0 ? [rest] : []
          heldBytes = rest.length
        }
        if (failed) throw failed.err
      }
      if (heldBytes > 0) await part(held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes))
      await Promise.all(inFlight)
      if (failed) throw failed.err
      const out = await conn.client.send(
        new conn.sdk.CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((etag, i) => ({ ETag: `"${etag}"`, PartNumber: i + 1 })) },
        }),
        sendOptions(signal),
      )
      if (skippedParts > 0) {
        resume.resumed(
          `resumed the upload of ${key} that an interrupted run began: ${skippedParts} of ${number} parts (${skipped} bytes) were on the service already and not sent again`,
        )
        // The summary counts what was sent (as a resumed upload to a syncflow serve says it).
        opts.onWireBytes?.(done - skipped)
      }
      return unquoteEtag(out.ETag)
    } catch (err) {
      releaseBody(iterator)
      await Promise.allSettled([...inFlight])
      if (signal?.aborted) {
        // Stopped again (Ctrl-C): kept for the next run, as a new upload with parts is (see #uploadAnew).
        resume.kept(
          `upload of ${key} kept for resume (${onService.size} of ${Math.ceil(resumed.size / partSize)} parts): the next run of this job sends the rest`,
        )
        throw this.#error(err, 'write', path, conn)
      }
      await resume.clear()
      const aborting = conn.client
        .send(new conn.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), {
          abortSignal: AbortSignal.timeout(UPLOAD_ABORT_TIMEOUT_MS),
        })
        .then(
          () => undefined,
          () => undefined,
        )
      this.#aborting.add(aborting)
      void aborting.finally(() => this.#aborting.delete(aborting))
      if (!signal?.aborted) await aborting
      const name = (err as { name?: unknown }).name
      if (typeof name === 'string' && RESUME_FAILURES.has(name)) {
        throw new SyncError(
          'TRANSIENT',
          `the upload an interrupted run began could not be resumed (${name}): it is sent anew`,
          {
            op: 's3.write',
            path,
            cause: err,
          },
        )
      }
      throw this.#error(err, 'write', path, conn)
    }
  }

  /**
   * Aborts the multipart upload of `key` that `requests` created, once they have all settled (the
   * parts in flight at an interrupt get DESTROY_GRACE_MS): errors ignored, as a later run's sweep
   * aborts what is left. Tracked in `#aborting` until done, for close() to wait for.
   */
  #abortUnfinished(conn: Conn, key: string, requests: UploadRequests): Promise<void> {
    const aborting = (async () => {
      const uploadId = await requests.settled()
      if (uploadId === undefined) return
      await conn.client
        .send(new conn.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), {
          abortSignal: AbortSignal.timeout(UPLOAD_ABORT_TIMEOUT_MS),
        })
        .catch(() => undefined)
    })()
    this.#aborting.add(aborting)
    void aborting.finally(() => this.#aborting.delete(aborting))
    return aborting
  }

  /**
   * Aborts multipart uploads under the prefix that are older than the threshold, once per
   * backend, started (not awaited) by its first write: a killed run leaves them, and they cost
   * storage until aborted. Only a backend that writes does it, so a source is never modified, and
   * a run that writes nothing sends no request for it. Younger ones may belong to a running job:
   * they are remembered, and aborted only when this backend uploads the same key (see
   * `#abortLeftovers`). Failures (e.g. no permission to list uploads) are ignored: housekeeping.
   */
  #sweepStaleUploads(conn: Conn): void {
    const after = this.#options.abortStaleUploadsAfterMs ?? 24 * 3600_000
    if (this.#swept || after === false || this.#options.dryRun) return
    this.#swept = true
    const cutoff = Date.now() - after
    const young = new Map<string, { uploadId: string; initiated: Date | undefined }[]>()
    const sweep = async (): Promise<typeof young> => {
      let keyMarker: string | undefined
      let uploadIdMarker: string | undefined
      try {
        for (;;) {
          const page = await conn.client.send(
            new conn.sdk.ListMultipartUploadsCommand({
              Bucket: this.bucket,
              ...(this.prefix ? { Prefix: this.prefix } : {}),
              ...(keyMarker ? { KeyMarker: keyMarker } : {}),
              ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
            }),
          )
          for (const u of page.Uploads ?? []) {
            if (!u.Key || !u.UploadId) continue
            if ((u.Initiated?.getTime() ?? Date.now()) > cutoff) {
              // Bounded: a prefix with that many unfinished uploads is not ours to tidy up.
              if (young.size < MAX_REMEMBERED_UPLOADS) {
                young.set(u.Key, [...(young.get(u.Key) ?? []), { uploadId: u.UploadId, initiated: u.Initiated }])
              }
              continue
            }
            await this.#abortUpload(conn, u.Key, u.UploadId, u.Initiated, 'older than the clean-up threshold')
          }
          if (!page.IsTruncated) break
          keyMarker = page.NextKeyMarker
          uploadIdMarker = page.NextUploadIdMarker
          if (!keyMarker) break
        }
      } catch {
        // Housekeeping only.
      }
      return young
    }
    this.#leftovers = sweep()
  }

  /**
   * Before a multipart upload of `key`: aborts the unfinished uploads of that same key that the
   * first listing saw (a killed run left them; the file is now sent again from the start), but
   * `resuming`, the one this write goes on with. Another
   * job writing the same key at the same moment would lose its upload, but two writers of one key
   * conflict anyway.
   */
  async #abortLeftovers(conn: Conn, key: string, resuming?: string): Promise<void> {
    const leftovers = await this.#leftovers
    const mine = leftovers?.get(key)
    if (!mine) return
    leftovers?.delete(key)
    for (const u of mine) {
      if (u.uploadId === resuming) continue
      await this.#abortUpload(conn, key, u.uploadId, u.initiated, 'the file is being uploaded again')
    }
  }

  /** Aborts one unfinished multipart upload (errors ignored: housekeeping) and says so. */
  async #abortUpload(
    conn: Conn,
    key: string,
    uploadId: string,
    initiated: Date | undefined,
    why: string,
  ): Promise<void> {
    try {
      await conn.client.send(
        new conn.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
      )
    } catch {
      return
    }
    this.#onNotice?.({
      code: 'STALE_TEMP_REMOVED',
      message: `aborted an unfinished multipart upload of ${key} started ${initiated?.toISOString() ?? 'earlier'}, left by an interrupted run (${why})`,
      path: key.slice(this.prefix.length),
    })
  }
}

/**
 * Creates an S3 backend for `bucket` and `prefix`. Nothing is loaded or sent until the first
 * call: the SDK is imported and the client made (region detected) on first use.
 */
export function createS3Backend(options: S3BackendOptions): S3Backend {
  const { bucket, prefix = '', ...rest } = options ?? ({} as Partial<S3BackendOptions>)
  // Put into the URI as it came, a bucket from an unset variable (`bucket: process.env.BUCKET`)
  // was the bucket named "undefined" (uri s3://undefined), and a prefix that is no string the
  // same (QA 30c).
  const notText = (name: string, v: unknown): SyncError =>
    new SyncError('USAGE', `createS3Backend: ${name} must be a string, not ${String(v)}`, {
      hint: "Give the bucket's name, e.g. createS3Backend({ bucket: 'photos', prefix: 'backup' })",
    })
  if (typeof bucket !== 'string') throw notText('bucket', bucket)
  if (typeof prefix !== 'string') throw notText('prefix', prefix)
  return new S3Backend(parseS3Uri(`s3://${bucket}/${prefix}`), rest)
}

/** The CONFLICT of an object that is no longer what was planned (`why`: what happened to it). */
function conflictError(why: string, op: string, path: string): SyncError {
  return new SyncError('CONFLICT', `${why} since it was planned; left as it is`, {
    op: `s3.${op}`,
    path,
    hint: 'Run the sync again to pick up the new state.',
  })
}

/** True when the object (a HEAD) is still the planned file: same ETag, else same size and mtime (stored or upload time). */
function isPlanned(head: HeadResult, expect: Entry): boolean {
  if (expect.version !== undefined && head.etag !== undefined) return expect.version === head.etag
  const stored = parseMtime(head.metadata[META_MTIME])
  const sameTime =
    (stored !== undefined && Math.abs(stored - expect.mtimeMs) < 1) ||
    // HEAD's Last-Modified has whole seconds; the listing's has milliseconds.
    Math.abs(head.lastModifiedMs - expect.mtimeMs) < 1000
  return head.size === expect.size && sameTime
}

/** True when both connections reach the same service with the same access key (CopyObject can read the source). */
async function sameService(a: Conn, b: Conn): Promise<boolean> {
  if (a.endpoint !== b.endpoint) return false
  try {
    const [x, y] = await Promise.all([a.client.config.credentials(), b.client.config.credentials()])
    return x.accessKeyId === y.accessKeyId
  } catch {
    return false
  }
}

/**
 * The per-request options of `client.send`: undefined without a signal, since any options make
 * the SDK resolve the middleware stack again (and drop its cache, see connectS3).
 */
/** `ContentType` for an upload of `path`, where its extension tells one. */
function withContentType(path: string): { ContentType?: string } {
  const type = contentTypeOf(path)
  return type ? { ContentType: type } : {}
}

/** How long a server-side copy in flight at an interrupt is still awaited (see `#serverCopy`). */
const COPY_GRACE_MS = 5_000

/** Stored mtimes kept for `mtimeNs` (see `#recentMtimes`): more than the transfers in flight. */
const RECENT_MTIMES = 1024

function sendOptions(signal: AbortSignal | undefined): { abortSignal: AbortSignal } | undefined {
  return signal ? { abortSignal: signal } : undefined
}

/** Who announced `WriteMeta.hashes.md5` to a write (see `#write`). */
type Md5From = { readonly by: 'caller' } | { readonly by: 'source'; readonly unchanged: () => Promise<boolean> }

/** `opts` with its signal replaced by one that takes a listener per request in flight (see fanOutSignal). */
function withFanOut(opts: WriteOptions): WriteOptions {
  return opts.signal ? { ...opts, signal: fanOutSignal(opts.signal) } : opts
}

/** Decodes a key of a listing asked with `EncodingType: 'url'` (`+` is a space, as AWS sends it). */
function decodeKey(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

/** `promise`, or an ABORTED rejection as soon as `signal` fires (a stalled body must not hold an aborted write). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, path: string): Promise<T> {
  return untilAborted(() => promise, signal, 's3.write', path)
}

/** Waits for `promises` to settle, `ms` at most. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  try {
    await Promise.race([Promise.allSettled(promises), late])
  } finally {
    clearTimeout(timer)
  }
}

/** Lets go of a body not read to the end (destroys the stream behind the iterator). */
function releaseBody(iterator: AsyncIterator<unknown>): void {
  Promise.resolve(iterator.return?.()).catch(() => undefined)
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  if (typeof chunk === 'string') return Buffer.from(chunk)
  throw new SyncError('UNKNOWN', `write body yielded a ${typeof chunk}, not bytes`)
}

/**
 * The stream a whole object's GET body goes through: where its MD5 is known (its `md5chksum`, or
 * its ETag for a single-part upload not encrypted with KMS or a customer key), the bytes are hashed on the way and a
 * mismatch fails the stream before its end (`CHECKSUM`), so that no writer renames them into
 * place. Bytes changed on the way (a broken proxy or link, a server's bad disk) were written under
 * the final name, "copied", exit 0, where rclone says "corrupted on transfer: md5 hash differ" and
 * writes nothing (QA 27e).
 */
function md5Checked(out: GetObjectCommandOutput, path: string): PassThrough | Transform {
  const sse = out.ServerSideEncryption
  const encrypted = out.SSECustomerAlgorithm !== undefined || sse?.startsWith('aws:kms') === true
  // (A multipart object's MD5 is its `md5chksum`, as #md5Of takes it: rclone checks it too.)
  const expected =
    md5FromMetadata(out.Metadata?.[META_MD5]) ?? (encrypted ? undefined : md5FromEtag(unquoteEtag(out.ETag)))
  if (expected === undefined) return new PassThrough()
  const md5 = createHash('md5')
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      md5.update(chunk)
      done(null, chunk)
    },
    flush(done) {
      const got = md5.digest('hex')
      done(
        got === expected
          ? null
          : new SyncError(
              'CHECKSUM',
              `the data received has MD5 ${got}, not the object's ${expected}: changed on the way`,
              {
                op: 's3.read',
                path,
                hint: 'Nothing was written. Run again: bytes changed by the network or a proxy are likely whole the next time; if it fails so every time, the object is damaged on the service.',
              },
            ),
      )
    },
  })
}
