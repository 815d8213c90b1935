import type { ActionKind, SyncSummary } from '@syncflow/core'
import { formatDuration } from './format-units.js'

const WOULD: readonly [ActionKind, string][] = [
  ['copy', 'copy'],
  ['update', 'update'],
  ['delete', 'delete'],
  ['move', 'move'],
  ['touch', 'touch'],
  ['mkdir', 'create'],
]

/**
 * What a dry-run cycle of `watch -n` would have done, in a few words, as `sync -n` says it in its
 * summary: `would copy 2, delete 1 in 0.2s` (nothing was written, so no bytes).
 */
export function dryRunCycleText(s: SyncSummary): string {
  // A mkdir of a directory the target has only sets its mode: said as chmod, as its action line.
  // So does a touch of a file for its mode alone.
  const chmod = s.modesSet?.planned ?? 0
  const fileChmod = s.fileModesSet?.planned ?? 0
  // (And a touch of a file's mode and mtime: chmod+touch, QA 26h.)
  const fileChmodTouch = s.fileModesAndMtimesSet?.planned ?? 0
  const n = (kind: ActionKind): number =>
    s.planned[kind] - (kind === 'mkdir' ? chmod : kind === 'touch' ? fileChmod + fileChmodTouch : 0)
  // Grouped as a real run's are (`3,001 copied`): the ui's dry run said `would copy 3001` under a
  // counts line of `would copy 3,001`.
  const num = (v: number): string => v.toLocaleString('en-US')
  const would = WOULD.filter(([kind]) => n(kind) > 0).map(([kind, verb]) => `${verb} ${num(n(kind))}`)
  if (chmod + fileChmod > 0) would.push(`chmod ${num(chmod + fileChmod)}`)
  if (fileChmodTouch > 0) would.push(`chmod+touch ${num(fileChmodTouch)}`)
  const parts = [would.length > 0 ? `would ${would.join(', ')}` : 'nothing to do']
  if (s.skipped > 0) parts.push(`${num(s.skipped)} skipped`)
  if (s.failed > 0) parts.push(`${num(s.failed)} failed`)
  return `${parts.join(', ')} in ${formatDuration(s.durationMs)}`
}
