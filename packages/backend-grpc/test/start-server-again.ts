import { isSyncError } from '@syncflow/core'
import { vi } from 'vitest'
import { type RunningServer, type ServerOptions, startServer } from '../src/index.js'

/**
 * `startServer` on the port of a server just stopped (`options.listen` names it), for a client
 * that is to find it again where it was. Once freed, the port is anyone's: another process's
 * connection or listener on port 0 may hold it for a while (EADDRINUSE), so binding is tried again
 * until it is free (10 s at most); any other failure fails at once.
 */
export async function startServerAgain(options: ServerOptions): Promise<RunningServer> {
  let failure: unknown
  const server = await vi.waitFor(
    async () => {
      try {
        return await startServer(options)
      } catch (err) {
        if (isSyncError(err) && err.code === 'USAGE' && /the port is in use/.test(err.message)) throw err
        failure = err
        return undefined
      }
    },
    { timeout: 10_000, interval: 50 },
  )
  if (server === undefined) throw failure
  return server
}
