/** What `onHangup` returns. */
export interface Hangup {
  /** After the job is closed: ends the process as the hangup would have, if one came; else does nothing. */
  finish(): void
  /** Removes the handler (the command is over without a hangup). */
  remove(): void
}

/**
 * SIGHUP (the terminal was closed under a running `watch` or `ui`): stops the job as SIGINT and
 * SIGTERM do (`stop`), so that it closes in order (state saved, no temp file left) instead of dying
 * at once. Once it is closed, `finish()` ends the process by the hangup's own default action: an
 * ordinary exit would try to restore the dead terminal's modes, which fails (EIO), and Node 20
 * aborts on that.
 */
export function onHangup(stop: () => void): Hangup {
  let hungUp = false
  const handler = (): void => {
    hungUp = true
    stop()
  }
  process.on('SIGHUP', handler)
  const remove = (): void => {
    process.off('SIGHUP', handler)
  }
  return {
    remove,
    finish() {
      remove()
      if (hungUp) process.kill(process.pid, 'SIGHUP')
    },
  }
}
