import type { S3Client } from '@aws-sdk/client-s3'
import { afterGrace } from './after-grace.js'

/** The requests of one lib-storage `Upload`, sent through `client` (see `uploadRequests`). */
export interface UploadRequests {
  /** The client to give the `Upload`: `client`, with `send` counted and stoppable. */
  readonly client: S3Client
  /**
   * No request of the upload is sent any more (each is refused at once), and those in flight are
   * aborted `graceMs` later if still unanswered.
   */
  stop(): void
  /**
   * Resolves once every request sent so far has settled (all of them, after `stop`), with the
   * UploadId the service gave the upload, if it was created.
   */
  settled(): Promise<string | undefined>
}

/**
 * A client for one multipart upload of lib-storage that knows its requests. `Upload.abort()`
 * rejects `done()` at once, while the parts in flight go on, and lib-storage's own
 * AbortMultipartUpload follows them in the background, where nobody can wait for it: a process
 * that ended right after (the CLI re-raises a SIGHUP once the job is closed) left the upload
 * unfinished on the service. With these, the backend aborts it itself once `settled()`, and its
 * `close()` waits for that.
 */
export function uploadRequests(client: S3Client, graceMs: number): UploadRequests {
  const inFlight = new Set<Promise<unknown>>()
  const stopped = new AbortController()
  const grace = afterGrace(stopped.signal, graceMs)!
  let uploadId: string | undefined
  const send = (command: Parameters<S3Client['send']>[0], options?: { abortSignal?: unknown }): Promise<unknown> => {
    if (stopped.signal.aborted) {
      return Promise.reject(Object.assign(new Error('the upload was stopped'), { name: 'AbortError' }))
    }
    const given = options?.abortSignal as AbortSignal | undefined
    const abortSignal = given ? AbortSignal.any([given, grace.signal]) : grace.signal
    const sent = client.send(command, { ...options, abortSignal })
    // Only CreateMultipartUpload answers with an UploadId. Noted before the request counts as
    // settled (handlers run in the order they were added), so that `settled()` knows it.
    const noted = sent.then((out) => {
      const id = (out as { UploadId?: unknown }).UploadId
      if (typeof id === 'string') uploadId ??= id
    })
    const done = noted.catch(() => undefined)
    inFlight.add(done)
    void done.then(() => inFlight.delete(done))
    return sent
  }
  // Every other member (config, middlewareStack…) is the client's own.
  const tracked = Object.create(client, { send: { value: send } }) as S3Client
  return {
    client: tracked,
    stop: () => stopped.abort(),
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
      grace.dispose()
      return uploadId
    },
  }
}
