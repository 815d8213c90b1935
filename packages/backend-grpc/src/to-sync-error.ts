import type { ServiceError } from '@grpc/grpc-js'
import { isSyncError, SYNC_ERROR_CODES, SyncError, type SyncErrorCode } from '@syncflow/core'
import { ROOT_CHANGED_TRAILER } from './server/served-root.js'
import { HINT_BIN_TRAILER } from './server/to-status.js'

// gRPC status codes (numbers from the gRPC spec; the SDK itself is loaded lazily).
const CANCELLED = 1
const INVALID_ARGUMENT = 3
const DEADLINE_EXCEEDED = 4
const NOT_FOUND = 5
const ALREADY_EXISTS = 6
const PERMISSION_DENIED = 7
const RESOURCE_EXHAUSTED = 8
const FAILED_PRECONDITION = 9
const ABORTED = 10
const UNIMPLEMENTED = 12
const INTERNAL = 13
const UNAVAILABLE = 14
const DATA_LOSS = 15
const UNAUTHENTICATED = 16

const TLS_HINT =
  "The server's certificate is not trusted: pass the CA that signed it with --ca-file (grpcs://), or check the host name."

/**
 * The hint for a certificate the client refused, by what OpenSSL or Node said was wrong with it.
 * An expired certificate, or one that does not name the host connected to, was told to pass the CA
 * with --ca-file: a user who had passed the right one was sent to look for another (QA 30a #1).
 */
function tlsHintOf(details: string): string {
  if (/certificate has expired|certificate is not yet valid/i.test(details)) {
    return "The server's certificate is outside its dates of validity: renew it on the server (its --tls-cert; `openssl x509 -noout -dates -in CERT` prints them), or check this machine's clock."
  }
  if (/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i.test(details)) {
    return "The server's certificate does not name the host in the location: connect with a name it lists (`openssl x509 -noout -ext subjectAltName -in CERT` prints them), or make the certificate for this name."
  }
  // What a server whose --tls-cert holds its own certificate without the intermediate CA's that
  // signed it is refused with, when the client trusts the root (QA 30a #6): passing that root
  // again, as the hint said, could not help.
  if (/unable to verify the first certificate|unable to get local issuer certificate/i.test(details)) {
    return `${TLS_HINT} If --ca-file names the root CA already, the server's --tls-cert may lack the intermediate CA certificate(s): put them in that file after the server's own.`
  }
  return TLS_HINT
}

/**
 * What OpenSSL says when the bytes that came back are not TLS at all: a grpcs:// client talking to
 * a plain server (its HTTP/2 frames read as a TLS record of an unknown version).
 */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|http request|record layer failure/i

const NOT_TLS_HINT =
  'Use grpc:// for a server started without --tls-cert/--tls-key (or start it with them to use grpcs://).'

const HINTS: Partial<Record<SyncErrorCode, string>> = {
  AUTH: "Pass the server's token with --token, --token-file or the SYNCFLOW_TOKEN environment variable (one token serves every grpc:// location of a command).",
  TRANSIENT: 'Check that `syncflow serve` is running and reachable; what failed is tried again by the next run.',
  UNSUPPORTED: 'The server is too old for this operation: upgrade the syncflow on the server.',
  PERMISSION: 'The server process may not access this path: check its file permissions.',
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err
}

/** The `syncflow-path` trailer of a syncflow server's status, decoded. */
function pathOf(err: unknown): string | undefined {
  if (!isServiceError(err)) return undefined
  const raw = err.metadata?.get('syncflow-path')[0]
  if (typeof raw !== 'string') return undefined
  try {
    return decodeURIComponent(raw)
  } catch {
    return undefined
  }
}

/** The syncflow code of a gRPC status, when the server did not say (a non-syncflow server, the transport). */
function codeOfStatus(err: ServiceError): SyncErrorCode {
  switch (err.code) {
    case UNAVAILABLE:
      // A TLS handshake that fails on the certificate is a configuration problem, not the network:
      // grpc-js says so only in the text.
      // Node's "Client network socket disconnected before secure TLS connection was established"
      // is not one: the server closed the connection before the handshake (it had all the
      // connections it takes, it was stopping, the network cut it). Read as an untrusted certificate
      // (AUTH), it ended the run or the watch at once, with the hint to pass --ca-file (QA 30a #2).
      return /certificate|self.signed|SSL|TLS/i.test(err.details) && !TLS_NOT_BEGUN.test(err.details)
        ? 'AUTH'
        : 'TRANSIENT'
    case DEADLINE_EXCEEDED:
    case RESOURCE_EXHAUSTED:
      return 'TRANSIENT'
    case CANCELLED:
      // Our own cancels are ABORTED (the signal is checked first); one from the other end (a server
      // shutting down) is retried.
      return 'TRANSIENT'
    case INTERNAL:
      // grpc-js reports a stream reset by the peer (a server killed mid-call) only as INTERNAL with
      // this text: the one place the text decides, for lack of any other signal.
      return /RST_STREAM|reset|closed/i.test(err.details) ? 'TRANSIENT' : 'UNKNOWN'
    case UNAUTHENTICATED:
      return 'AUTH'
    case PERMISSION_DENIED:
      return 'PERMISSION'
    case NOT_FOUND:
      return 'NOT_FOUND'
    case INVALID_ARGUMENT:
      return 'INVALID_PATH'
    case ALREADY_EXISTS:
    case FAILED_PRECONDITION:
    case ABORTED:
      return 'CONFLICT'
    case UNIMPLEMENTED:
      return 'UNSUPPORTED'
    case DATA_LOSS:
      return 'CHECKSUM'
    default:
      return 'UNKNOWN'
  }
}

/**
 * The hint of a failure to reach the server (no status from a syncflow server: the connection
 * refused, cut or timed out), like the one of a failed connect: the run's own retries are over by
 * the time it is shown, on the line of the file whose transfer it cut.
 */
function unreachableHint(server: string): string {
  return `Check that \`syncflow serve\` is running at ${server} and reachable from here; what failed is tried again by the next run.`
}

/** Node's words for a TLS connection closed by the other end before its handshake was done. */
const TLS_NOT_BEGUN = /disconnected before secure TLS connection was established/i

/** Why a connection was not made, from the system error grpc-js quotes (`connect ECONNREFUSED h:p`). */
const CONNECT_FAILURES: readonly (readonly [RegExp, string])[] = [
  [/\bECONNREFUSED\b/, 'connection refused: the server is not running, or listens on another port'],
  [/\b(?:EHOSTUNREACH|ENETUNREACH|EHOSTDOWN)\b/, 'no route to the host'],
  [/\b(?:ENOTFOUND|EAI_AGAIN)\b/, 'its host name was not found'],
  [/\bETIMEDOUT\b/, 'connecting timed out'],
  [/\bECONNRESET\b/, 'the connection was reset'],
  [
    TLS_NOT_BEGUN,
    'the server closed the connection before TLS began: it may be stopping, or have all the connections it takes',
  ],
]

/**
 * grpc-js's text of a connection not made ("No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:8730.", "Failed to connect"), said as what happened, like a connection
 * lost is (QA 11 #8: a watch's retry printed the raw text under the clear "lost the connection").
 * `undefined` for any other text.
 */
function notConnectedMessage(details: string, server: string): string | undefined {
  if (!/No connection established|Failed to connect/i.test(details)) return undefined
  const why = CONNECT_FAILURES.find(([re]) => re.test(details))?.[1]
  return `cannot connect to ${server}${why === undefined ? '' : ` (${why})`}`
}

/** What answers instead of a gRPC server, as grpc-js or OpenSSL say it (see `notGrpcIn`). */
export type NotGrpc =
  /** An HTTP/2 server's own status, not gRPC's (a web server, a proxy's error page). */
  | { readonly kind: 'http-status'; readonly status: number }
  /** Bytes that are not HTTP/2 where HTTP/2 was expected: an HTTP/1.1 server. */
  | { readonly kind: 'not-http2' }
  /** A TLS server that does not offer HTTP/2 (no `h2` in its ALPN): an HTTPS/1.1 server. */
  | { readonly kind: 'no-h2-alpn' }
  /**
   * A body read as a gRPC message whose length prefix is absurd (an HTML page's first bytes, `<htm`,
   * read as a length). Only Hello, whose answer is tiny, can tell this from a real oversized message.
   */
  | { readonly kind: 'oversized' }

/**
 * The one place the text of grpc-js (1.14) and OpenSSL decides that what answered is not a gRPC
 * server: neither gives any other signal for these. `undefined` for anything else.
 */
export function notGrpcIn(details: string): NotGrpc | undefined {
  const http = /Received HTTP status code (\d+)/.exec(details)
  if (http) return { kind: 'http-status', status: Number(http[1]) }
  // Node's HTTP/2 session error (ERR_HTTP2_ERROR) when the answer is not HTTP/2 frames.
  if (/Last error: Protocol error\b/.test(details)) return { kind: 'not-http2' }
  // OpenSSL's alert 120, sent by a TLS server that has none of the protocols the client offered.
  if (/alert no application protocol/i.test(details)) return { kind: 'no-h2-alpn' }
  if (/Received message larger than max/.test(details)) return { kind: 'oversized' }
  return undefined
}

/** `what answers at host:port`, or `the server` when the address is not known here. */
function whatAnswers(server: string | undefined): string {
  return server === undefined ? 'the server' : `what answers at ${server}`
}

const CHECK_ADDRESS =
  'Check the address and port of the grpc:// location: they should be those of `syncflow serve --listen`.'

/**
 * The error of something that is not a syncflow server: a configuration mistake (USAGE, exit 2),
 * except a gateway's "busy" (429, 502-504), which may pass (TRANSIENT). `contentType` is what the
 * answer said it was, when known (Hello's).
 */
export function notGrpcError(
  notGrpc: NotGrpc,
  details: { op: string; path?: string; cause: unknown },
  server: string | undefined,
  contentType?: string,
): SyncError {
  const who = whatAnswers(server)
  switch (notGrpc.kind) {
    case 'http-status':
      if ([429, 502, 503, 504].includes(notGrpc.status)) {
        return new SyncError(
          'TRANSIENT',
          `${who} is an HTTP server that answered with HTTP status ${notGrpc.status} (busy, or not a syncflow server)`,
          {
            ...details,
            hint: `${CHECK_ADDRESS} If it is a gateway in front of syncflow, what failed is tried again by the next run.`,
          },
        )
      }
      return new SyncError('USAGE', `${who} is not a syncflow server: it answered with HTTP status ${notGrpc.status}`, {
        ...details,
        hint: CHECK_ADDRESS,
      })
    case 'not-http2':
      return new SyncError(
        'USAGE',
        `${who} is not a syncflow server: it answers, but not in HTTP/2 (an HTTP/1.1 server?)`,
        { ...details, hint: CHECK_ADDRESS },
      )
    case 'no-h2-alpn':
      return new SyncError(
        'USAGE',
        `${who} is not a syncflow server: its TLS does not offer HTTP/2 (an HTTPS/1.1 server?)`,
        { ...details, hint: CHECK_ADDRESS },
      )
    case 'oversized':
      return new SyncError(
        'USAGE',
        `${who} is not a syncflow server: its answer is not gRPC${contentType === undefined ? '' : ` (content-type ${contentType})`}`,
        { ...details, hint: CHECK_ADDRESS },
      )
  }
}

/**
 * Translates anything a gRPC call threw into a SyncError, once, at the client's boundary. A
 * syncflow server names its own code in the `syncflow-code` trailer (kept when it is one of the
 * closed set); otherwise the gRPC status decides. `signal` tells our own cancel from the peer's.
 * `server` (`host:port`) is named in the hint when the server could not be reached.
 */
export function toSyncError(err: unknown, op: string, path?: string, signal?: AbortSignal, server?: string): SyncError {
  if (isSyncError(err)) return err
  // A call about no path of ours (a listing) names the server's, when it said one.
  const where = path ?? pathOf(err)
  const details = { op: `grpc.${op}`, ...(where !== undefined ? { path: where } : {}), cause: err }
  if (signal?.aborted) return new SyncError('ABORTED', 'interrupted', details)
  if (isServiceError(err)) {
    const named = err.metadata?.get('syncflow-code')[0]
    const code =
      typeof named === 'string' && (SYNC_ERROR_CODES as readonly string[]).includes(named)
        ? (named as SyncErrorCode)
        : codeOfStatus(err)
    // (Whole from `syncflow-hint-bin` where the server sent one: a hint that is not ASCII, QA 31c.)
    const hintBin = err.metadata?.get(HINT_BIN_TRAILER)[0]
    const hintMeta = Buffer.isBuffer(hintBin) ? hintBin.toString('utf8') : err.metadata?.get('syncflow-hint')[0]
    // The server now serves another directory than the one this client said Hello to (restarted
    // with another --root on its address: fx27c #3). Nothing was done there; every other call
    // would be refused alike, so the run stops at once (`unreachable` on an error that is not
    // TRANSIENT: see core's UnreachableStop) instead of failing each file.
    if (typeof named === 'string' && err.metadata?.get(ROOT_CHANGED_TRAILER)[0] !== undefined) {
      const at = server === undefined ? 'the server' : `the server at ${server}`
      return new SyncError(
        'NOT_FOUND',
        `${at} now serves another directory than at the start of the run (restarted with another --root?)`,
        {
          ...details,
          hint: `Nothing was written there. Check that \`syncflow serve\`${server === undefined ? '' : ` at ${server}`} serves the directory you mean (its --root), then run the command again: it goes on from what that directory holds.`,
          unreachable: server ?? 'the server',
        },
      )
    }
    // A grpcs:// client and a plain server: a configuration mistake (USAGE, exit 2), not the
    // certificate (AUTH) and not worth retrying.
    if (err.code === UNAVAILABLE && named === undefined && NOT_TLS.test(err.details)) {
      return new SyncError('USAGE', 'the server does not speak TLS: use grpc:// instead of grpcs://', {
        ...details,
        hint: NOT_TLS_HINT,
      })
    }
    // Something that is not a gRPC server (a web server, an intercepting proxy, an HTTP/1.1-only
    // server): grpc-js maps an HTTP status to a gRPC one (404 → UNIMPLEMENTED, which read as an old
    // syncflow server: QA 7 #12) and says the rest only in text (QA 8 #8).
    // An oversized message is told apart only at Hello (see `helloError`).
    const notGrpc = named === undefined ? notGrpcIn(err.details ?? '') : undefined
    if (notGrpc !== undefined && notGrpc.kind !== 'oversized') return notGrpcError(notGrpc, details, server)
    // A call the other end cancelled (not us: the signal is checked above) without a syncflow
    // status: the server stopped (its shutdown cancels the calls still open, a watch's stream
    // first) or the connection was cut. grpc-js says only "Call cancelled" (QA 10 #7).
    if (err.code === CANCELLED && named === undefined) {
      const lost = `lost the connection to ${server ?? 'the server'} (the server stopped, or the connection was cut)`
      const hint = server !== undefined ? unreachableHint(server) : HINTS.TRANSIENT
      return new SyncError('TRANSIENT', lost, { ...details, ...(hint !== undefined ? { hint } : {}) })
    }
    // A connection not made (the server stopped, a wrong port): said in words, with the hint of an
    // unreachable server.
    const notConnected =
      err.code === UNAVAILABLE && named === undefined && code === 'TRANSIENT' && server !== undefined
        ? notConnectedMessage(err.details ?? '', server)
        : undefined
    if (notConnected !== undefined && server !== undefined) {
      const hint = typeof hintMeta === 'string' ? hintMeta : unreachableHint(server)
      // The whole server is down, not this call's path: a run stops after a few such transfers
      // in a row instead of trying every file 4 times (see core's UnreachableStop).
      return new SyncError('TRANSIENT', notConnected, { ...details, hint, unreachable: server })
    }
    const tlsProblem = code === 'AUTH' && err.code === UNAVAILABLE
    const unreachable = code === 'TRANSIENT' && named === undefined && server !== undefined
    const hint =
      typeof hintMeta === 'string'
        ? hintMeta
        : tlsProblem
          ? tlsHintOf(err.details ?? '')
          : unreachable
            ? unreachableHint(server)
            : HINTS[code]
    // A syncflow server sends its message without its own "CODE: op (path): " (see forClient).
    // grpc-js ends connection failures with an empty "Resolution note: ", and OpenSSL's error
    // strings with a line holding only ".": noise for a user, who gets one line.
    const message = (err.details || err.message)
      .replace(/\s*Resolution note:\s*$/, '')
      .replace(/\s*\n\.?\s*$/, '')
      .replace(/\s*\n\s*/g, ' ')
    return new SyncError(code, message, { ...details, ...(hint !== undefined ? { hint } : {}) })
  }
  if (err instanceof Error && err.name === 'AbortError') return new SyncError('ABORTED', 'interrupted', details)
  return new SyncError('UNKNOWN', err instanceof Error ? err.message : String(err), {
    ...details,
    hint: 'This looks like a bug in syncflow: please report it with the output of -v.',
  })
}
