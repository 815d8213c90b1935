import type { Http2Session, ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { type TLSSocket, Server as TlsServer } from 'node:tls'
import type { Server } from '@grpc/grpc-js'
import { http2ServersOf } from './http2-servers-of.js'

/** What `limitConnections` enforces on every listening socket of a grpc-js server. */
export interface ConnectionLimits {
  /** Connections at once (TCP, before TLS and HTTP/2); the next ones are closed as they come. */
  readonly maxConnections: number
  /** A connection that has not sent HTTP/2's opening (its SETTINGS) within this many ms is cut. */
  readonly prefaceMs: number
  /** A connection with no call open for this many ms is closed (GOAWAY); clients reconnect when they need to. */
  readonly idleMs: number
  /** How long a connection being closed (idle) may take to go before it is cut. */
  readonly closeGraceMs: number
  /** Called when a connection is refused for `maxConnections` (at most once a minute). */
  readonly onRefused?: (max: number) => void
}

/** The most connections at once, whatever the open-files limit allows. */
const MOST_CONNECTIONS = 1024

/**
 * Connections at once for an open-files limit: an eighth of it (each connection is a descriptor the
 * file operations, capped at about half the limit by the OpenFilesGate, also need), 16 to 1024.
 */
export function maxConnectionsFor(limit: number | undefined): number {
  if (limit === undefined) return MOST_CONNECTIONS
  return Math.max(16, Math.min(MOST_CONNECTIONS, Math.floor(limit / 8)))
}

/**
 * Bounds what connections alone can hold on the server. Without it one client, even without the
 * token, could open TCP connections that never send anything (or never read), each kept for ever:
 * 3,000 of them held 3,000 descriptors of `syncflow serve`, until its file operations failed with
 * EMFILE for every client. grpc-js has `grpc.max_connection_idle_ms`, but its close is a GOAWAY
 * that a peer which never reads never lets through, and it never sees a connection that sent no
 * HTTP/2 preface: so the limits are applied here, on the HTTP/2 servers grpc-js made (its internal
 * map, as for the flow-control windows; a version that lays them out otherwise gets no limits).
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  let lastRefusal = 0
  for (const h of http2ServersOf(server)) {
    h.maxConnections = limits.maxConnections
    h.on('drop', () => {
      const now = Date.now()
      if (now - lastRefusal < 60_000) return
      lastRefusal = now
      limits.onRefused?.(limits.maxConnections)
    })
    h.on('session', (session: Http2Session) => watchSession(session, limits))
    if (h instanceof TlsServer) limitHandshakes(h, limits.prefaceMs)
  }
}

/**
 * Over TLS, an HTTP/2 session (and so the preface timer of `watchSession`) begins only once the
 * handshake is done: a connection that never sent its ClientHello was kept until Node's own
 * handshake timeout, 2 minutes, not the 20 s said (QA 30a #3), so a client without the token
 * needed a sixth of the connections to keep every slot of `maxConnections` taken. The handshake
 * gets the preface's time; the TLS socket is told from its TCP socket by their peer's address and
 * port (the same connection: unique among those open on this server).
 */
function limitHandshakes(h: TlsServer, ms: number): void {
  const handshaking = new Map<string, NodeJS.Timeout>()
  const peerOf = (s: Socket): string => `${s.remoteAddress}|${s.remotePort}`
  h.on('connection', (socket: Socket) => {
    const peer = peerOf(socket)
    const timer = setTimeout(() => socket.destroy(), ms)
    timer.unref()
    handshaking.set(peer, timer)
    socket.once('close', () => {
      clearTimeout(timer)
      if (handshaking.get(peer) === timer) handshaking.delete(peer)
    })
  })
  h.on('secureConnection', (tlsSocket: TLSSocket) => {
    const peer = peerOf(tlsSocket)
    clearTimeout(handshaking.get(peer))
    handshaking.delete(peer)
  })
}

function watchSession(session: Http2Session, limits: ConnectionLimits): void {
  let open = 0
  let idle: NodeJS.Timeout | undefined
  const cut = (): void => {
    if (!session.destroyed) session.destroy()
  }
  // (A peer's SETTINGS is the first frame after its preface: a grpc client sends both at once.)
  const preface = setTimeout(cut, limits.prefaceMs)
  preface.unref()
  session.once('remoteSettings', () => clearTimeout(preface))
  const arm = (): void => {
    clearTimeout(idle)
    idle = setTimeout(() => {
      if (open > 0 || session.closed || session.destroyed) return
      session.close()
      // close() waits for the GOAWAY to be written, which a peer that never reads never allows.
      setTimeout(cut, limits.closeGraceMs).unref()
    }, limits.idleMs)
    idle.unref()
  }
  session.on('stream', (stream: ServerHttp2Stream) => {
    open++
    clearTimeout(idle)
    stream.once('close', () => {
      if (--open === 0) arm()
    })
  })
  session.once('close', () => {
    clearTimeout(preface)
    clearTimeout(idle)
  })
  arm()
}
