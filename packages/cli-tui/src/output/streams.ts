/** One output stream, as much of it as the commands use. */
export interface Output {
  write(text: string): unknown
  readonly isTTY?: boolean
  /** Terminal width, when a terminal. */
  readonly columns?: number
}

/** Where a command's output goes: stdout carries results (or NDJSON), stderr carries the rest. */
export interface Streams {
  readonly stdout: Output
  readonly stderr: Output
  /** True once the reader of stdout went away (`syncflow ls | head`), or stdout could not be written. */
  readonly stdoutClosed?: () => boolean
  /** The error that stopped writes to stdout other than its reader going away (ENOSPC: a full disk), if any. */
  readonly stdoutFailed?: () => NodeJS.ErrnoException | undefined
}

/**
 * The process's streams, safe against a closed pipe or terminal: after EPIPE (or EIO), writes to that stream are
 * dropped (a sync is not killed because `| head` stopped reading its log), and `stdoutClosed`
 * lets a listing stop early. Any other write error (ENOSPC: `> file` on a full disk, `> /dev/full`) drops the
 * stream's writes the same way, said once on stderr, and `stdoutFailed` tells the command.
 */
export function processStreams(): Streams {
  const closed = { stdout: false, stderr: false }
  let stdoutFailed: NodeJS.ErrnoException | undefined
  const guard = (name: 'stdout' | 'stderr'): Output => {
    const stream = process[name]
    const onError = (err: NodeJS.ErrnoException): void => {
      if (closed[name]) return
      closed[name] = true
      // EPIPE: the reader went away; EIO: the terminal did (its window was closed).
      if (err.code === 'EPIPE' || err.code === 'EIO') return
      // Anything else (ENOSPC, EFBIG, EDQUOT) was rethrown here: an uncaught exception, a stack
      // trace and exit 1 in the middle of a run, from its first --json event (QA 29b). The run goes
      // on as after EPIPE; the user is told once why its output stops, and where stderr itself
      // failed there is no one left to tell.
      if (name === 'stdout') {
        stdoutFailed = err
        if (!closed.stderr) {
          process.stderr.write(
            `syncflow: cannot write to standard output: ${err.message}\n  What would go there from now on is dropped; free space where it goes, or send it elsewhere.\n`,
          )
        }
      }
    }
    stream.on('error', onError)
    return {
      write: (text: string) => {
        if (closed[name]) return true
        const written = stream.write(text)
        // A file's write fails at once (a SyncWriteStream), its 'error' comes on the next tick: seen
        // now, a listing stops at this entry and its exit code can tell, where it had finished first.
        const errored = stream.errored as NodeJS.ErrnoException | null
        if (errored) onError(errored)
        return written
      },
      get isTTY() {
        return stream.isTTY === true
      },
      get columns() {
        return stream.columns
      },
    }
  }
  return {
    stdout: guard('stdout'),
    stderr: guard('stderr'),
    stdoutClosed: () => closed.stdout,
    stdoutFailed: () => stdoutFailed,
  }
}
