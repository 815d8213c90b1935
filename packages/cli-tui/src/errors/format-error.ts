import { asSyncError } from '@syncflow/core'
import { printable, printableMessage } from '../output/printable.js'

/**
 * True for a bug (cli-kit's BugError): an error no backend translated (`UNKNOWN`) or a plain
 * exception. Everything else is a user-fixable condition (cli-kit's AbortError).
 */
export function isBug(err: unknown): boolean {
  return asSyncError(err).code === 'UNKNOWN'
}

/**
 * The text printed on stderr for an error that ended a command. User errors get one message and the
 * hint, never a stack; bugs say to report them. `verbose` adds, for a bug, the stack and causes; for
 * a user error, only what caused it (the messages of its causes: a stack would only be noise there).
 */
export function formatError(err: unknown, verbose: boolean): string {
  const e = asSyncError(err)
  const bug = isBug(err)
  const lines: string[] = []
  // A plugin's plain Error carries a hint that blames the plugin (guard-plugin.ts in core): not ours to
  // report, nor headed "internal error" above a hint saying it is not syncflow's (QA 7 #8).
  const blamed = bug && e.hint !== undefined && !e.hint.includes('bug in syncflow')
  if (blamed) {
    lines.push(`syncflow: ${printable(e.message)}`, `  ${printable(e.hint ?? '')}`)
  } else if (bug) {
    lines.push(`syncflow: internal error: ${printable(e.message)}`)
    lines.push('  This is a bug in syncflow. Please report it with the output of the same command run with -v.')
  } else {
    // A message may quote a name (an S3 key with a line break in it): printed on one line.
    lines.push(`syncflow: ${printableMessage(e.message, e.path)}`)
    if (e.hint) lines.push(`  ${printable(e.hint)}`)
  }
  if (verbose) {
    let cause: unknown = err
    for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
      if (bug && cause.stack) lines.push(indent(depth === 0 ? cause.stack : `caused by: ${cause.stack}`))
      else if (!bug && depth > 0 && cause.message !== '') lines.push(indent(`caused by: ${cause.message}`))
      cause = cause.cause
    }
  }
  return `${printable(lines.join('\n'), true)}\n`
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}
