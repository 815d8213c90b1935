import { SyncError } from '../errors/sync-error.js'

/**
 * `call`'s answer, or `ABORTED` as soon as `signal` aborts, for a backend call that only reads and
 * takes no signal (`rootExists`, `stat`): on a service that stopped answering, an interrupted run
 * would otherwise wait for that call's own tries and timeouts (a minute and more) before it could
 * stop. The call itself goes on unwatched until the backend is closed; nothing depends on it.
 * (Also what a backend awaits that cannot be cut, such as a stalled request body: S3's writes.)
 */
export function untilAborted<T>(
  call: () => Promise<T>,
  signal: AbortSignal | undefined,
  what: string,
  path?: string,
): Promise<T> {
  if (signal === undefined) return call()
  const aborted = (): SyncError =>
    new SyncError('ABORTED', 'interrupted', { op: what, ...(path !== undefined ? { path } : {}) })
  if (signal.aborted) return Promise.reject(aborted())
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted())
    signal.addEventListener('abort', onAbort, { once: true })
    Promise.resolve()
      .then(call)
      .then(
        (v) => {
          signal.removeEventListener('abort', onAbort)
          resolve(v)
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(err)
        },
      )
  })
}
