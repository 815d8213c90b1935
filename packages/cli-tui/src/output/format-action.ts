import type { Action, ActionKind } from '@syncflow/core'
import { printable } from './printable.js'

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

/** The path part of an action line: `a → b` for a move. */
function target(action: Action): string {
  return action.kind === 'move' && action.from !== undefined
    ? `${printable(action.from)} → ${printable(action.path)}`
    : printable(action.path)
}

/** A mkdir of a directory that exists only sets its mode: said as `chmod`. */
const isChmod = (action: Action): boolean => action.kind === 'mkdir' && action.target !== undefined

/** A finished action: `copied   docs/a.txt`, or `would copy docs/a.txt` in a dry run. */
export function formatCompleted(action: Action, dryRun: boolean): string {
  if (dryRun) return `would ${(isChmod(action) ? 'chmod' : action.kind).padEnd(WIDTH - 2)} ${target(action)}`
  return `${(isChmod(action) ? 'chmod' : DONE_VERB[action.kind]).padEnd(WIDTH)} ${target(action)}`
}

/** A planned action, as `check` lists differences: `update   docs/a.txt  (size differs)`. */
export function formatPlanned(action: Action): string {
  return `${(isChmod(action) ? 'chmod' : action.kind).padEnd(WIDTH)} ${target(action)}${action.reason ? `  (${action.reason})` : ''}`
}
