import type { ExitCode } from '../errors/exit-codes.js'
import { EXIT, exitCodeForError } from '../errors/exit-codes.js'
import { assertTildeExpanded } from '../job/assert-tilde-expanded.js'
import type { Streams } from '../output/streams.js'

/** Parsed flags of `syncflow serve`. */
export interface ServeFlags {
  readonly root: string
  readonly listen: string
  readonly token?: string
  readonly tokenFile?: string
  readonly tlsCert?: string
  readonly tlsKey?: string
  readonly compress?: boolean
  readonly readOnly?: boolean
  readonly verbose?: boolean
}

/**
 * `syncflow serve --root DIR --listen HOST:PORT`: serves DIR to grpc:// clients until SIGINT,
 * SIGTERM or SIGHUP. The gRPC stack is imported only here.
 */
export async function serveCommand(flags: ServeFlags, streams: Streams): Promise<ExitCode> {
  const [{ runServe }, { formatError }, { asSyncError }] = await Promise.all([
    import('@syncflow/backend-grpc'),
    import('../errors/format-error.js'),
    import('@syncflow/core'),
  ])
  try {
    // A quoted '~/srv' reached the server's realpath as it is, and ended in Node's raw ENOENT text;
    // a quoted '~/token' (or certificate, or key) the file's open, in the same words.
    assertTildeExpanded('--root', flags.root)
    if (flags.tokenFile !== undefined) assertTildeExpanded('--token-file', flags.tokenFile)
    if (flags.tlsCert !== undefined) assertTildeExpanded('--tls-cert', flags.tlsCert)
    if (flags.tlsKey !== undefined) assertTildeExpanded('--tls-key', flags.tlsKey)
    const stopped = await runServe({
      root: flags.root,
      listen: flags.listen,
      ...(flags.token !== undefined ? { token: flags.token } : {}),
      ...(flags.tokenFile !== undefined ? { tokenFile: flags.tokenFile } : {}),
      ...(flags.tlsCert !== undefined ? { tlsCert: flags.tlsCert } : {}),
      ...(flags.tlsKey !== undefined ? { tlsKey: flags.tlsKey } : {}),
      ...(flags.compress ? { compress: true } : {}),
      ...(flags.readOnly ? { readOnly: true } : {}),
      log: (line) => void streams.stderr.write(`${line}\n`),
    })
    // A hangup ends the process by that signal, as for the other commands (a shell reports 129): at
    // its exit, once the writes the close cut short have removed their temp files (they settle
    // after close() resolves). No SIGHUP handler is left by then.
    if (stopped === 'SIGHUP') process.once('exit', () => process.kill(process.pid, 'SIGHUP'))
    // Ctrl-C is an interruption like any other command's (130); SIGTERM is how a service manager stops it (0).
    return stopped === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.OK
  } catch (err) {
    streams.stderr.write(formatError(err, flags.verbose === true))
    return exitCodeForError(asSyncError(err))
  }
}
