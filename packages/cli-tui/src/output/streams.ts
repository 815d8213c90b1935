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
  /** True once the reader of stdout went away (`syncflow ls | head`). */
  readonly stdoutClosed?: () => boolean
}

/**
 * The process's streams, safe against a closed pipe or terminal: after EPIPE (or EIO), writes to that stream are
 * dropped (a sync is not killed because `| head` stopped reading its log), and `stdoutClosed`
 * lets a listing stop early.
 */
export function processStreams(): Streams {
  const closed = { stdout: false, stderr: false }
  const guard = (name: 'stdout' | 'stderr'): Output => {
    const stream = process[name]
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // EPIPE: the reader went away; EIO: the terminal did (its window was closed).
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err
      closed[name] = true
    })
    return {
      write: (text: string) => closed[name] || stream.write(text),
      get isTTY() {
        return stream.isTTY === true
      },
      get columns() {
        return stream.columns
      },
    }
  }
  return { stdout: guard('stdout'), stderr: guard('stderr'), stdoutClosed: () => closed.stdout }
}
