import type { Server } from '@grpc/grpc-js'
import type { SyncflowClient } from '../src/generated/syncflow/v1/Syncflow.js'
import { ContentIndex } from '../src/server/content-index.js'
import { OpenFilesGate } from '../src/server/open-files-gate.js'
import { PathLocks } from '../src/server/path-locks.js'
import type { ServedTree } from '../src/server/served-tree.js'
import { SignatureBudget } from '../src/server/signature-budget.js'
import { syncflowService } from '../src/server/syncflow-service.js'
import { loadProtocol } from '../src/wire/load-protocol.js'

/**
 * The real Syncflow service's handlers over `tree`, as a test server runs them (no token, no
 * compression, no open-files limit unless `gate` sets one): for a test that adapts a handler (an
 * older server's) before it serves them.
 */
export function testServiceHandlers(
  tree: ServedTree,
  protocol: Awaited<ReturnType<typeof loadProtocol>>,
  gate = new OpenFilesGate({ capacity: Number.POSITIVE_INFINITY }),
  signatures = new SignatureBudget({ capacity: 2 ** 30 }),
): ReturnType<typeof syncflowService> {
  return syncflowService({
    tree,
    index: new ContentIndex(tree),
    locks: new PathLocks(),
    gate,
    signatures,
    protocol,
    authorize: () => {},
    maxMessageBytes: 16 << 20,
    serverVersion: 'test',
    compress: false,
  })
}

const running: Array<{ server: Server; client: SyncflowClient }> = []

/**
 * The real Syncflow service over a served tree the test provides (a fake backend that holds a
 * write, say), on a loopback port, and a raw client of it: for what a real directory cannot show
 * deterministically. No token. `stopServices` (in afterEach) stops them all.
 */
export async function serveService(
  tree: ServedTree,
  gate = new OpenFilesGate({ capacity: Number.POSITIVE_INFINITY }),
  signatures = new SignatureBudget({ capacity: 2 ** 30 }),
): Promise<SyncflowClient> {
  const protocol = await loadProtocol()
  const server = new protocol.grpc.Server()
  server.addService(protocol.proto.syncflow.v1.Syncflow.service, testServiceHandlers(tree, protocol, gate, signatures))
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', protocol.grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  )
  const client = new protocol.proto.syncflow.v1.Syncflow(
    `127.0.0.1:${port}`,
    protocol.grpc.credentials.createInsecure(),
  )
  running.push({ server, client })
  return client
}

/** Stops every server (and client) `serveService` started. */
export function stopServices(): void {
  for (const { server, client } of running.splice(0)) {
    client.close()
    server.forceShutdown()
  }
}
