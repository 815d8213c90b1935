import { SyncError } from '@syncflow/core'

/**
 * The messages of a client's stream, failing (TRANSIENT) when none comes within `ms`: a client that
 * opened a Write (or Patch, or Delta) and then sent nothing held its call for ever, and with it a
 * turn of the OpenFilesGate and a temp file (or a share of the SignatureBudget), while keepalive
 * pings, which its HTTP/2 layer answers, kept the connection alive. Generous (an hour, as rclone
 * serve's --server-read-timeout), since a slow --bwlimit makes a client's stream quiet for long.
 */
export function quietLimit<T>(it: AsyncIterator<T>, ms: number, op: string): AsyncIterableIterator<T> {
  const limited: AsyncIterableIterator<T> = {
    next: () =>
      new Promise<IteratorResult<T>>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new SyncError('TRANSIENT', `the client sent nothing for ${Math.round(ms / 1000)} s`, {
                op: `serve.${op}`,
              }),
            ),
          ms,
        )
        it.next().then(
          (r) => {
            clearTimeout(timer)
            resolve(r)
          },
          (err: unknown) => {
            clearTimeout(timer)
            reject(err)
          },
        )
      }),
    return: async (value?: unknown) => {
      await it.return?.(value)
      return { done: true, value: undefined }
    },
    [Symbol.asyncIterator]: () => limited,
  }
  return limited
}
