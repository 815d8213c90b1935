import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server, ServerUnaryCall, ServiceError, sendUnaryData } from '@grpc/grpc-js'
import type { RelPath } from '@syncflow/core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { PathRequest__Output } from '../src/generated/syncflow/v1/PathRequest.js'
import type { StatReply } from '../src/generated/syncflow/v1/StatReply.js'
import { createGrpcBackend } from '../src/index.js'
import { LocalTree } from '../src/server/local-tree.js'
import { fullPath } from '../src/server/served-tree.js'
import { toStatus } from '../src/server/to-status.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { testServiceHandlers } from './service-harness.js'

// Version skew (QA 31m): a `syncflow serve` older than 37e8c05 refused a stat of a path below a
// symlink inside the client's root with INVALID_PATH "goes through the symlink sy/y", where a newer
// one answers "not found". A newer client in a watch into such a server failed its cycle (deletes
// held) when the source's y/z came and went while y was a symlink on both sides. This server is the
// real service over a real directory, whose Stat answers as the older one did: its parents checked
// first, a symlink among them refused.

let dir: string
let server: Server | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-old-stat-'))
})

afterEach(async () => {
  server?.forceShutdown()
  server = undefined
  await rm(dir, { recursive: true, force: true })
})

async function olderServer(root: string): Promise<number> {
  const protocol = await loadProtocol()
  const tree = await LocalTree.open(root)
  const handlers = testServiceHandlers(tree, protocol)
  const stat = handlers.Stat as (
    call: ServerUnaryCall<PathRequest__Output, StatReply>,
    cb: sendUnaryData<StatReply>,
  ) => void
  handlers.Stat = (call: ServerUnaryCall<PathRequest__Output, StatReply>, cb: sendUnaryData<StatReply>) => {
    const sub = call.request.root.replace(/^\/+|\/+$/g, '')
    tree.checkParents(fullPath(sub, call.request.path as RelPath)).then(
      () => stat(call, cb),
      (err: unknown) => cb(toStatus(err, protocol.grpc, 'stat', tree.realRoot) as ServiceError),
    )
  }
  server = new protocol.grpc.Server()
  server.addService(protocol.proto.syncflow.v1.Syncflow.service, handlers)
  return new Promise<number>((resolve, reject) =>
    server?.bindAsync('127.0.0.1:0', protocol.grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  )
}

it('a stat below a symlink inside the root, refused by an older server, is absent; the link itself is found', async () => {
  await mkdir(join(dir, 'sy', 'd'), { recursive: true })
  await writeFile(join(dir, 'sy', 'base'), 'base')
  await symlink('/etc', join(dir, 'sy', 'y'))
  const port = await olderServer(dir)
  const backend = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/sy`, symlinks: 'preserve' })
  try {
    expect(await backend.stat('y/z' as RelPath)).toBeUndefined()
    expect(await backend.stat('y/z/q' as RelPath)).toBeUndefined()
    expect(await backend.stat('y' as RelPath)).toMatchObject({ kind: 'symlink' })
    expect(await backend.stat('base' as RelPath)).toMatchObject({ kind: 'file', size: 4 })
  } finally {
    await backend.close()
  }
  // A client root that became a symlink since Hello is still refused: not a path below it.
  await mkdir(join(dir, 'sy2'))
  const moved = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/sy2`, symlinks: 'preserve' })
  try {
    await rm(join(dir, 'sy2'), { recursive: true })
    await symlink('sy', join(dir, 'sy2'))
    await expect(moved.stat('d/x' as RelPath)).rejects.toMatchObject({ code: 'INVALID_PATH' })
  } finally {
    await moved.close()
  }
})
