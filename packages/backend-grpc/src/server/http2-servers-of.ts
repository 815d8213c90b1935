import { EventEmitter } from 'node:events'
import type { Server as NetServer } from 'node:net'
import type { Server } from '@grpc/grpc-js'

/**
 * The HTTP/2 servers (one per listening address) a grpc-js server made: grpc-js exposes neither
 * them nor options for what is tuned on them (flow-control windows, connection limits), so this
 * reaches into its internals (its `http2Servers` map). A version that lays them out otherwise
 * gives none, and what is tuned on them is simply not.
 */
export function http2ServersOf(server: Server): Array<EventEmitter & NetServer> {
  const servers = (server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers
  if (!(servers instanceof Map)) return []
  return [...servers.keys()].filter((h): h is EventEmitter & NetServer => h instanceof EventEmitter)
}
