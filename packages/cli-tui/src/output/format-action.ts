import {
  type Action,
  type ActionKind,
  type FailedEvent,
  MODE_AND_MTIME_DIFFER,
  MODE_DIFFERS,
  type RemovedEvent,
} from '@syncflow/core'
import { printable, printableMessage, printableName } from './printable.js'

const DONE_VERB: Record<ActionKind, string> = {
  copy: 'copied',
  update: 'updated',
  delete: 'deleted',
  mkdir: 'created',
  move: 'moved',
  touch: 'touched',
  conflict: 'conflict',
  skip: 'skipped',
}

const WIDTH = 8

/** Two-way sync's side of an action: `  (A → B)` for what crosses, `  (on B)` for a delete. */
function direction(action: Action): string {
  if (action.to === undefined) return ''
  const to = action.to.toUpperCase()
  if (action.kind === 'delete') return `  (on ${to})`
  return `  (${to === 'A' ? 'B' : 'A'} → ${to})`
}

/** The path part of an action line: `a → b` for a move, with two-way sync's direction. */
function target(action: Action): string {
  return `${path(action)}${direction(action)}`
}

function path(action: Action): string {
  return action.kind === 'move' && action.from !== undefined
    ? `${printableName(action.from)} → ${printableName(action.path)}`
    : action.path === ''
      ? '.' // the root itself (its mode or mtime, from `rootModeAction`, `rootMtimeAction`), as rsync -i says `./`
      : printableName(action.path)
}

/**
 * A file's touch or a directory's mkdir (one that exists) that sets its mode and its mtime: said
 * `chmod+touch`, both halves of the fix (as `chmod` alone it hid the new mtime, as `touch` alone the
 * new mode; QA 26h).
 */
const isChmodTouch = (action: Action): boolean =>
  (action.kind === 'touch' || (action.kind === 'mkdir' && action.target !== undefined)) &&
  action.reason === MODE_AND_MTIME_DIFFER

/** A mkdir of a directory that exists only sets its mode, as does a file's touch for a mode alone: said as `chmod`. */
const isChmod = (action: Action): boolean =>
  !isChmodTouch(action) &&
  ((action.kind === 'mkdir' && action.target !== undefined) ||
    (action.kind === 'touch' && action.reason === MODE_DIFFERS))

/** The verb of a planned (or, in a dry run, would-be) action. */
const verb = (action: Action): string =>
  isChmod(action) ? 'chmod' : isChmodTouch(action) ? 'chmod+touch' : action.kind

/**
 * A finished action: `copied   docs/a.txt`, or `would copy docs/a.txt` in a dry run; `linked`
 * (`would link`) for a new file hard-linked from a `--link-dest` directory, or by -H to another
 * name of its file (`linked`); `moved` for a source file linked to its new name by a move within
 * one file system (its source name goes next: the move is a rename).
 */
export function formatCompleted(action: Action, dryRun: boolean, how?: 'linked' | 'moved'): string {
  if (dryRun) return `would ${(how === 'linked' ? 'link' : verb(action)).padEnd(WIDTH - 2)} ${target(action)}`
  const done = how ? how : isChmod(action) ? 'chmod' : isChmodTouch(action) ? 'chmod+touched' : DONE_VERB[action.kind]
  return `${done.padEnd(WIDTH)} ${target(action)}`
}

/** A source file `--remove-source-files` removed: `removed  docs/a.txt (from the source)`. */
export function formatRemoved(event: Pick<RemovedEvent, 'path' | 'dryRun' | 'dir'>): string {
  const verb = event.dryRun ? `would ${'remove'.padEnd(WIDTH - 2)}` : 'removed'.padEnd(WIDTH)
  return `${verb} ${printableName(event.path)}${event.dir ? '/' : ''}  (from the source)`
}

/** A planned action, as `check` lists differences: `update   docs/a.txt  (size differs)`. */
export function formatPlanned(action: Action): string {
  return `${verb(action).padEnd(WIDTH)} ${target(action)}${action.reason ? `  (${action.reason})` : ''}`
}

/** What lines call the two sides where they are not a source and a target: two-way sync's `A` and `B`. */
export interface SideNames {
  readonly source: string
  readonly target: string
}

/**
 * What a failure line is about: the path, or for a failure that is no one file's (an empty path: a
 * whole listing, the state store) what failed, `(source list)` or `(state store)`, never an empty name.
 * With `names` (two-way sync) a listing's side is said by its name, either side: `x (on A)`, `(B list)`.
 */
export function failedSubject(event: Pick<FailedEvent, 'path' | 'stage' | 'side'>, names?: SideNames): string {
  if (event.path !== '') {
    // (Two-way sync: an odd name may be on either side, and the fix is there.)
    if (names !== undefined && event.side !== undefined) return `${printableName(event.path)} (on ${names[event.side]})`
    // A listing failure on the target (an odd name only the target has) says so: the fix is there.
    return `${printableName(event.path)}${event.side === 'target' ? ' (on the target)' : ''}`
  }
  if (event.stage === 'record') return '(state store)'
  // Whose listing failed: a plugin's message names only the plugin, which may be either side (QA 7 #12).
  return event.stage === 'list' && event.side !== undefined
    ? `(${names?.[event.side] ?? event.side} list)`
    : `(${event.stage})`
}

/**
 * A failure: `failed   docs/a.txt: CODE: op (path): message`, then the hint, if given, indented
 * on the next line. Messages and hints may quote names: their line breaks are escaped, and the
 * message's `(path)` is printed as the name is.
 */
export function formatFailed(
  event: Pick<FailedEvent, 'path' | 'stage' | 'side' | 'error'>,
  hint?: string,
  names?: SideNames,
): string {
  const message = printableMessage(event.error.message, event.error.path)
  return `failed   ${failedSubject(event, names)}: ${message}${hint ? `\n  ${printable(hint)}` : ''}`
}
