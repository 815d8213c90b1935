import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Metadata } from '@grpc/grpc-js'
import { SyncError } from '@syncflow/core'

/** The metadata a client sends the served directory's identity in (HelloReply.served_root_id). */
export const ROOT_ID_HEADER = 'syncflow-root-id'
/** The trailer that marks a call refused by `checkServedRoot` (the client tells it from a missing path). */
export const ROOT_CHANGED_TRAILER = 'syncflow-root-changed'

const refusals = new WeakSet<SyncError>()

/**
 * Throws when the call says it is for another served directory than this server's (`servedRootId`):
 * a client whose server was restarted with another --root on the same address, which grpc-js
 * reconnects to by itself, wrote the rest of its run into that directory and said every file was
 * copied (fx27c #3). NOT_FOUND, as a served directory replaced under a running server is (the
 * directory the client started with is not here), marked so that the client stops its run. A call
 * without the header (a client before it, Hello) is served.
 */
export function checkServedRoot(metadata: Metadata, servedRootId: string | undefined): void {
  if (servedRootId === undefined) return
  const sent = metadata.get(ROOT_ID_HEADER)[0]
  if (sent === undefined || sent === servedRootId) return
  const err = new SyncError(
    'NOT_FOUND',
    'this server serves another directory than the one the client said Hello to (restarted with another --root?)',
    { op: 'serve.root', hint: 'Nothing was changed here. Check the --root of `syncflow serve`, then run again.' },
  )
  refusals.add(err)
  throw err
}

/** True for an error `checkServedRoot` threw. */
export function isServedRootRefusal(err: unknown): boolean {
  return err instanceof SyncError && refusals.has(err)
}

let installation: string | undefined

/**
 * This installation of the system, as it stays across reboots: its machine id (systemd's, or
 * D-Bus's) with the host name (clones of one VM image share the id, rarely the name); the host name
 * alone where there is none. Hashed with a key of syncflow's own: it goes to every client (Hello)
 * and back on every call, and machine-id(5) says the id is confidential, never to be shown on the
 * network as it is (hashed with an application-specific key instead); the host name neither.
 */
export function installationId(): string {
  if (installation === undefined) {
    let id = ''
    for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
      try {
        id = readFileSync(file, 'utf8').trim()
      } catch {}
      if (id !== '') break
    }
    const raw = id === '' ? `host:${hostname()}` : `${id}/${hostname()}`
    installation = createHash('sha256').update('syncflow served root\0').update(raw).digest('hex').slice(0, 32)
  }
  return installation
}
