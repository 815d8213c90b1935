import { readFileSync } from 'node:fs'
import type { Http2Session } from 'node:http2'
import { totalmem } from 'node:os'
import type { ChannelOptions, Server } from '@grpc/grpc-js'
import { openFilesCap, openFilesLimit, SyncError } from '@syncflow/core'
import { loadProtocol } from '../wire/load-protocol.js'
import { checkTlsPair } from './check-tls-pair.js'
import { tokenChecker } from './check-token.js'
import { type ConnectionLimits, limitConnections, maxConnectionsFor } from './connection-limits.js'
import { ContentIndex, type ContentIndexOptions } from './content-index.js'
import { http2ServersOf } from './http2-servers-of.js'
import { LocalTree } from './local-tree.js'
import { OpenFilesGate } from './open-files-gate.js'
import { PathLocks } from './path-locks.js'
import { SignatureBudget } from './signature-budget.js'
import { syncflowService } from './syncflow-service.js'

/** How long a stopped server waits for the writes it cut short to unwind (a stopped upload keeps its partial). */
const STOP_UNWIND_MS = 2000

/** Options of `startServer`. */
export interface ServerOptions {
  /** The directory to serve; it must exist. */
  readonly root: string
  /** `HOST:PORT` to listen on (`[::1]:PORT` for IPv6; port 0 picks a free one). */
  readonly listen: string
  /** Token every client must send (`authorization: Bearer <token>`). [none: no auth] */
  readonly token?: string
  /** PEM certificate (chain) and private key: TLS when both are given. [plain HTTP/2] */
  readonly tlsCert?: string | Buffer
  readonly tlsKey?: string | Buffer
  /**
   * gzip what the server streams in bulk (file chunks, delta literals) to every client; clients
   * with their own `compress` get that anyway, and gzip what they send. [false]
   */
  readonly compress?: boolean
  /** Largest message accepted or sent, in bytes. [16 MiB] */
  readonly maxMessageBytes?: number
  /** Tuning of the content index (files the server can copy instead of receiving). */
  readonly contentIndex?: ContentIndexOptions
  /**
   * Refuse every call that would change the tree (PERMISSION, naming `--read-only`): clients may
   * list, read, hash and take signatures and deltas, i.e. sync from it, not into it. [false]
   */
  readonly readOnly?: boolean
  /**
   * Limits on connections (see `limitConnections`). [at most `maxConnectionsFor(ulimit -n)` at
   * once, 20 s to send HTTP/2's preface, closed after 5 minutes without a call]
   */
  readonly connectionLimits?: Partial<ConnectionLimits>
  /**
   * Bytes of delta signatures held at once across all clients' Delta calls (see SignatureBudget).
   * [a quarter of the machine's memory, at most 1 GiB]
   */
  readonly maxSignatureBytes?: number
  /** How long a client's upload (Write, Patch, a Delta's signature) may send nothing before it fails. [1 hour] */
  readonly quietMs?: number
}

/** A running server. */
export interface RunningServer {
  /** `host:port` actually bound. */
  readonly address: string
  readonly port: number
  readonly tls: boolean
  /**
   * Stops the server: new calls are refused, running ones get `graceMs` to finish, then every
   * connection is cut (clients see UNAVAILABLE and retry elsewhere or fail). [graceMs: 3000]
   */
  close(opts?: { graceMs?: number }): Promise<void>
  /** Connections open now, on every address (for diagnostics and tests). */
  connections(): Promise<number>
}

/** Default largest message: well above a 256 KiB chunk plus framing, far below a file. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024

const VERSION = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
})()

/** Calls open at once on one client connection. */
const MAX_STREAMS_PER_CONNECTION = 1024

/** HTTP/2 flow-control windows the server grants its clients (per connection, per stream). */
const CONNECTION_WINDOW = 64 * 1024 * 1024
const STREAM_WINDOW = 8 * 1024 * 1024

/**
 * grpc-js has no option for the server's HTTP/2 receive windows, and Node's defaults (64 KiB per
 * connection and per stream) let a client have only 64 KiB of an upload in flight per round
 * trip: ~70 MB/s on loopback, a few MB/s over a WAN. Widen them on every new connection. This
 * reaches into grpc-js internals (its map of HTTP/2 servers, see http2ServersOf); if a version lays them out
 * differently, nothing happens and uploads are only slower.
 */
function widenFlowControl(server: Server): void {
  for (const h of http2ServersOf(server)) {
    h.on('session', (session: Http2Session) => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW)
        session.settings({ initialWindowSize: STREAM_WINDOW })
      } catch {
        // A session closing already: nothing to widen.
      }
    })
  }
}

/** The connections open on every listening socket of `server` (grpc-js internals, as `widenFlowControl`). */
async function countConnections(server: Server): Promise<number> {
  let n = 0
  for (const h of http2ServersOf(server)) {
    n += await new Promise<number>((resolve) => h.getConnections((err, count) => resolve(err ? 0 : count)))
  }
  return n
}

/** Splits `HOST:PORT` (or `[v6]:PORT`), with a USAGE error saying what is expected. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(listen)
  const port = m ? Number(m[2]) : Number.NaN
  if (!m || port > 65535) {
    throw new SyncError('USAGE', `--listen ${JSON.stringify(listen)} is not HOST:PORT`, {
      hint: 'Use e.g. --listen 127.0.0.1:8730, --listen 0.0.0.0:8730 or --listen [::1]:8730.',
    })
  }
  return { host: m[1]!, port }
}

/**
 * Why binding failed, for a person: grpc-js says "No address added out of total 1 resolved errors:
 * [listen EADDRINUSE: …]", and the errno decides what to try next.
 */
function listenError(listen: string, err: Error): SyncError {
  const errno = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES)\b/.exec(err.message)?.[1]
  const [what, hint] =
    errno === 'EADDRINUSE'
      ? ['the port is in use', 'Stop what listens there, or pick another port (or 0 for any free one).']
      : errno === 'EADDRNOTAVAIL'
        ? [
            'the address is not one of this machine',
            'Listen on an address of this machine: 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its own.',
          ]
        : errno === 'EACCES'
          ? ['permission denied', 'Ports below 1024 need privileges: pick a port of 1024 or more.']
          : [err.message, 'Pick a free port (or 0 for any) on an address of this machine.']
  return new SyncError('USAGE', `cannot listen on ${listen}: ${what}`, { hint, cause: err })
}

/**
 * Serves the directory `root` over gRPC (proto/syncflow.proto) at `listen` until `close()`: the
 * server side of `grpc://host:port/path` locations, and what `syncflow serve` runs.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { host } = parseListen(options.listen)
  // Below MIN_OPEN_FILES the CLI's entry refuses to run (bin.ts): Node could not even load this module.
  const limit = openFilesLimit()
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new SyncError('USAGE', 'TLS needs both a certificate and a key', {
      hint: 'Pass both --tls-cert FILE and --tls-key FILE, or neither.',
    })
  }
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) checkTlsPair(options.tlsCert, options.tlsKey)
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  const protocol = await loadProtocol()
  const { grpc, proto } = protocol
  const tree = await LocalTree.open(options.root)

  const channelOptions: ChannelOptions = {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    // Notice dead clients (a laptop that went to sleep mid-upload) within a minute.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    // Calls at once on one connection (HTTP/2's own default is unlimited); a client's calls beyond
    // it wait their turn in its HTTP/2 layer: far above what --concurrency 256 opens (two each).
    'grpc.max_concurrent_streams': MAX_STREAMS_PER_CONNECTION,
  }
  const server: Server = new grpc.Server(channelOptions)
  const locks = new PathLocks()
  server.addService(
    proto.syncflow.v1.Syncflow.service,
    syncflowService({
      tree,
      index: new ContentIndex(tree, options.contentIndex),
      locks,
      // Each client caps its own concurrency, but not what all of them together ask of the server.
      gate: new OpenFilesGate({ capacity: openFilesCap(limit), ...(limit !== undefined ? { limit } : {}) }),
      signatures: new SignatureBudget({ capacity: options.maxSignatureBytes ?? Math.min(2 ** 30, totalmem() / 4) }),
      protocol,
      authorize: tokenChecker(options.token),
      servedRootId: tree.id,
      maxMessageBytes,
      serverVersion: VERSION,
      compress: options.compress === true,
      root: tree.realRoot,
      ...(options.readOnly ? { readOnly: true } : {}),
      ...(options.quietMs !== undefined ? { quietMs: options.quietMs } : {}),
    }),
  )
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(
        null,
        [{ cert_chain: Buffer.from(options.tlsCert!), private_key: Buffer.from(options.tlsKey!) }],
        false,
      )
    : grpc.ServerCredentials.createInsecure()

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, credentials, (err, bound) => {
      if (err) reject(listenError(options.listen, err))
      else resolve(bound)
    })
  })

  widenFlowControl(server)
  limitConnections(server, {
    maxConnections: maxConnectionsFor(limit),
    prefaceMs: 20_000,
    idleMs: 5 * 60_000,
    closeGraceMs: 10_000,
    ...options.connectionLimits,
  })

  let closing: Promise<void> | undefined
  return {
    address: `${host}:${port}`,
    port,
    tls,
    close({ graceMs = 3000 } = {}) {
      closing ??= new Promise<void>((resolve) => {
        // Once forced, nothing is left to wait for. grpc-js calls tryShutdown back only when every
        // session it tracks has closed, and never for one destroyed but not yet closed when the
        // shutdown began (a client whose TLS handshake failed a moment ago): close() would hang.
        const force = (): void => {
          server.forceShutdown()
          resolve()
        }
        const timer = setTimeout(force, graceMs)
        server.tryShutdown(() => {
          clearTimeout(timer)
          resolve()
        })
        if (graceMs <= 0) {
          clearTimeout(timer)
          force()
        }
      })
        // The writes the shutdown cut short unwind first (an upload keeps its partial), for a moment.
        .then(() => locks.drained(STOP_UNWIND_MS))
        .then(() => tree.close())
      return closing
    },
    connections: () => countConnections(server),
  }
}
