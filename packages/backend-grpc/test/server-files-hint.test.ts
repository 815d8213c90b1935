import { toSyncError as localError } from '@syncflow/backend-local'
import { SyncError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { SERVER_FILES_HINT } from '../src/server/open-files-gate.js'
import { toStatus } from '../src/server/to-status.js'
import { toSyncError } from '../src/to-sync-error.js'
import { loadProtocol } from '../src/wire/load-protocol.js'

/** A Node fs error as `open(2)` failing with `errno` gives it. */
function fsError(errno: 'EMFILE' | 'ENFILE', path: string): NodeJS.ErrnoException {
  const text = errno === 'EMFILE' ? 'too many open files' : 'file table overflow'
  return Object.assign(new Error(`${errno}: ${text}, open '${path}'`), {
    errno: -24,
    code: errno,
    syscall: 'open',
    path,
  })
}

/** The server's LocalBackend failing a write with `err`, as the client decodes the status it is sent. */
async function asClientSees(err: NodeJS.ErrnoException) {
  const { grpc } = await loadProtocol()
  const status = toStatus(localError(err, 'write', 'c1/d1/f32'), grpc, 'write', '/srv')
  const wire = Object.assign(new Error(status.details), status)
  return toSyncError(wire, 'write', 'd1/f32', undefined, '127.0.0.1:8730')
}

// Review 23 F4: a client whose writes failed with the server's EMFILE was told to raise the limit
// "of this process", its own, and to lower its --concurrency: the first did nothing.
describe('out of file handles on the server', () => {
  it('is said to be the server’s limit, not the client’s', async () => {
    for (const errno of ['EMFILE', 'ENFILE'] as const) {
      const e = await asClientSees(fsError(errno, '/srv/c1/d1/f32'))
      expect(e).toMatchObject({ code: 'TRANSIENT', op: 'grpc.write', hint: SERVER_FILES_HINT })
      expect(e.hint).toContain('ulimit -n of `syncflow serve`')
      expect(e.hint).not.toContain('this process')
    }
  })
})

// QA 31c: a hint that is not ASCII (a case twin named "Café.txt" on a case-insensitive served
// directory) made grpc-js's Metadata.set throw out of the call: `syncflow serve` died for every client.
describe('a server hint that is not ASCII', () => {
  it('reaches the client whole, and the status can be sent', async () => {
    const { grpc } = await loadProtocol()
    const hint = 'If the source renamed "Café.txt" to "café.txt", rename it on the target 👍'
    const err = new SyncError('CONFLICT', 'a case twin is there', { op: 'local.write', path: 'café.txt', hint })
    const status = toStatus(err, grpc, 'write', '/srv')
    // What an older client reads: printable ASCII, the rest escaped.
    expect(status.metadata?.get('syncflow-hint')[0]).toBe(
      'If the source renamed "Caf%C3%A9.txt" to "caf%C3%A9.txt", rename it on the target %F0%9F%91%8D',
    )
    const wire = Object.assign(new Error(status.details), status)
    const e = toSyncError(wire, 'write', 'café.txt', undefined, '127.0.0.1:8730')
    expect(e).toMatchObject({ code: 'CONFLICT', hint })
  })
})
