const SHOW_CURSOR = '\x1b[?25h'
const HIDE_CURSOR = '\x1b[?25l'

/** What `suspendTerminal` returns. */
export interface TerminalSuspension {
  /** Suspends the process as Ctrl-Z does in a shell (the UI's terminal is in raw mode: the key reaches it, not the kernel). */
  suspend(): void
  /** Removes the handlers. */
  remove(): void
}

/**
 * Job control around the UI: a SIGTSTP (`kill -TSTP`, or Ctrl-Z through `suspend`) hands the terminal
 * back as the shell had it (cursor shown, raw mode off) before the process stops; a SIGCONT (`fg`,
 * `kill -CONT`, also after a SIGSTOP) takes it again (raw mode on, cursor hidden) and draws the whole
 * frame anew over what the shell wrote meanwhile. Without this, the shell's prompt came back with no
 * cursor, and after `fg` the terminal stayed in the shell's cooked mode: `q`, `p` and Ctrl-C were
 * line-buffered and echoed (nothing happened until Enter), and the shell's lines stayed in the frame
 * (QA 31a). `redraw` clears the screen and has Ink write its frame whole.
 */
export function suspendTerminal(
  stdin: NodeJS.ReadStream,
  stdout: NodeJS.WriteStream,
  redraw: () => void,
): TerminalSuspension {
  if (!stdin.isTTY || !stdout.isTTY) return { suspend() {}, remove() {} }
  let wasRaw = false
  // Once removed (the UI left), a late call (the timer below) must not set raw mode again.
  let removed = false
  const onStop = (): void => {
    wasRaw = stdin.isRaw
    if (wasRaw) stdin.setRawMode(false)
    stdout.write(SHOW_CURSOR)
    // Stops the process by the signal's default action: with a listener, a SIGTSTP only calls it.
    // (In a process group with no shell to resume it, setsid or `sh -c`, the kernel discards the
    // signal: the process goes on, and no SIGCONT comes, so the terminal is taken back here too.)
    process.off('SIGTSTP', onStop)
    process.kill(process.pid, 'SIGTSTP')
    // Runs once the process goes on: after `fg` (overdue by then, ahead of SIGCONT's handler, which
    // then does it again) or at once where the stop was discarded.
    setTimeout(onContinue, 100)
  }
  const onContinue = (): void => {
    if (removed) return
    process.off('SIGTSTP', onStop)
    process.on('SIGTSTP', onStop)
    // Set raw again even when Node thinks it is: the shell restored its own modes while we were
    // stopped (libuv skips a switch to the mode it last set, hence off first).
    if (wasRaw || stdin.isRaw) {
      stdin.setRawMode(false)
      stdin.setRawMode(true)
    }
    wasRaw = false
    stdout.write(HIDE_CURSOR)
    redraw()
  }
  process.on('SIGTSTP', onStop)
  process.on('SIGCONT', onContinue)
  return {
    suspend: onStop,
    remove() {
      removed = true
      process.off('SIGTSTP', onStop)
      process.off('SIGCONT', onContinue)
    },
  }
}
