import { readFile, stat } from 'node:fs/promises'
import { SyncError } from '@syncflow/core'
import { checkTokenText } from '../check-token-text.js'
import { readTokenFile } from '../read-token-file.js'
import { loadProtocol } from '../wire/load-protocol.js'
import { certificateDatesProblem, checkTlsPair } from './check-tls-pair.js'
import { type RunningServer, type ServerOptions, startServer } from './start-server.js'

/** The options of `syncflow serve`, as the CLI parses them (files are paths; the CLI reads nothing). */
export interface ServeOptions {
  /** `--root DIR` */
  readonly root: string
  /** `--listen HOST:PORT` */
  readonly listen: string
  /** `--token T` (else `--token-file`, else the `SYNCFLOW_TOKEN` environment variable) */
  readonly token?: string
  /** `--token-file F`: the token is the file's first line. */
  readonly tokenFile?: string
  /** `--tls-cert F` and `--tls-key F` (PEM files) */
  readonly tlsCert?: string
  readonly tlsKey?: string
  /** `--compress` */
  readonly compress?: boolean
  /** `--read-only`: clients may read the root, not change it. */
  readonly readOnly?: boolean
  /** `--max-message-bytes N` [16 MiB] */
  readonly maxMessageBytes?: number
  /** Stops the server (besides SIGINT/SIGTERM). */
  readonly signal?: AbortSignal
  /** Where status lines go. [stderr] */
  readonly log?: (line: string) => void
  /** Called once listening (tests and the CLI's --json learn the port). */
  readonly onListening?: (server: RunningServer) => void
  /** The environment to read SYNCFLOW_TOKEN from. [process.env] */
  readonly env?: Readonly<Record<string, string | undefined>>
}

/**
 * `syncflow serve`: serves `--root` at `--listen` until SIGINT/SIGTERM/SIGHUP (or `signal`), then stops
 * gracefully and resolves. Throws SyncError `USAGE` (exit 2) for bad options, saying which flag.
 */
export async function runServe(options: ServeOptions): Promise<ServeStop> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const env = options.env ?? process.env
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new SyncError('USAGE', '--token and --token-file both given', { hint: 'Pass only one of them.' })
  }
  const given =
    options.token ??
    (options.tokenFile !== undefined ? await readTokenFile(options.tokenFile) : undefined) ??
    (env.SYNCFLOW_TOKEN || undefined)
  if (given !== undefined && given.trim() === '') {
    throw new SyncError('USAGE', 'the token is empty', { hint: 'Pass a non-empty --token.' })
  }
  const token =
    given === undefined
      ? undefined
      : checkTokenText(
          given,
          options.token !== undefined
            ? '--token'
            : options.tokenFile !== undefined
              ? `--token-file ${options.tokenFile}`
              : 'SYNCFLOW_TOKEN',
        )
  const readPem = async (flag: string, file: string | undefined) => {
    if (file === undefined) return undefined
    try {
      return await readFile(file)
    } catch (err) {
      throw new SyncError('USAGE', `${flag} ${file}: ${(err as Error).message}`, {
        hint: `Give a readable PEM file to ${flag}.`,
        cause: err,
      })
    }
  }
  const tlsCert = await readPem('--tls-cert', options.tlsCert)
  const tlsKey = await readPem('--tls-key', options.tlsKey)
  if (tlsCert !== undefined && tlsKey !== undefined) {
    checkTlsPair(tlsCert, tlsKey, { cert: `--tls-cert ${options.tlsCert}`, key: `--tls-key ${options.tlsKey}` })
  }
  // grpc-js logs its own errors to stderr ("E No address added out of total 1 resolved") before
  // ours say the same for a person; GRPC_VERBOSITY still turns them on for debugging.
  if (process.env.GRPC_VERBOSITY === undefined) {
    const { grpc } = await loadProtocol()
    grpc.setLogVerbosity(grpc.logVerbosity.NONE)
  }
  const serverOptions: ServerOptions = {
    root: options.root,
    listen: options.listen,
    ...(token !== undefined ? { token } : {}),
    ...(tlsCert !== undefined ? { tlsCert } : {}),
    ...(tlsKey !== undefined ? { tlsKey } : {}),
    ...(options.compress ? { compress: true } : {}),
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
    connectionLimits: {
      onRefused: (max) =>
        log(
          `syncflow serve: ${max} connections open at once: refusing more (at most an eighth of its open-files limit, ulimit -n, and 1024)`,
        ),
    },
  }
  const server = await startServer(serverOptions)
  // The signals are taken before the address is printed: whoever waits for that line to stop the
  // server (a script, a test) must find Ctrl-C handled, not the default that kills at once.
  let onInt!: () => void
  let onTerm!: () => void
  let onHup!: () => void
  let onAbort!: () => void
  const stopped = new Promise<ServeStop>((resolve) => {
    onInt = () => resolve('SIGINT')
    onTerm = () => resolve('SIGTERM')
    // The terminal or ssh session it was started from closed: without a handler the process died at
    // once, and an upload in flight left its temp file under the root (QA 31a). Stopped as for
    // SIGTERM; the caller then ends the process by the hangup.
    onHup = () => resolve('SIGHUP')
    onAbort = () => resolve('abort')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
    process.once('SIGHUP', onHup)
    if (options.signal?.aborted) resolve('abort')
    options.signal?.addEventListener('abort', onAbort, { once: true })
  })
  const scheme = server.tls ? 'grpcs' : 'grpc'
  log(
    `syncflow serve: serving ${options.root} at ${scheme}://${server.address}/${options.readOnly ? ' (read-only)' : ''}`,
  )
  if (token === undefined) {
    log(
      `syncflow serve: no token: anyone who can reach this port can ${options.readOnly ? 'read' : 'read and write'} the root`,
    )
  }
  // Whoever reads the token may read and write the whole root: rsync's daemon refuses a secrets file
  // other users may read ("strict modes"), ssh a private key. Said, not refused: a service set up so
  // keeps starting. (Not on Windows, where the mode bits do not say who may read.)
  if (options.tokenFile !== undefined && options.token === undefined && process.platform !== 'win32') {
    const mode = await stat(options.tokenFile).then(
      (st) => st.mode & 0o777,
      () => 0,
    )
    if ((mode & 0o077) !== 0) {
      log(
        `syncflow serve: --token-file ${options.tokenFile} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}): any of them can read and write the root; chmod 600 ${options.tokenFile}`,
      )
    }
  }
  const dates = tlsCert === undefined ? undefined : certificateDatesProblem(tlsCert)
  if (dates !== undefined) {
    log(
      `syncflow serve: the certificate in --tls-cert ${options.tlsCert} ${dates}: every grpcs:// client refuses it; renew it`,
    )
  }
  if (!server.tls && !/^(127\.|\[::1\]|localhost)/.test(server.address)) {
    log('syncflow serve: no TLS: data and token cross the network in clear (use --tls-cert/--tls-key)')
  }
  options.onListening?.(server)
  const why = await stopped
  process.off('SIGINT', onInt)
  process.off('SIGTERM', onTerm)
  process.off('SIGHUP', onHup)
  options.signal?.removeEventListener('abort', onAbort)
  log('syncflow serve: stopping')
  await server.close()
  return why
}

/** What stopped `runServe`: Ctrl-C (the CLI exits 130, as for any interrupted command), SIGTERM, a hangup (SIGHUP), or the signal given. */
export type ServeStop = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'abort'
