import type { SyncSummary } from '@syncflow/core'
import { dryRunCycleText } from '../output/cycle-text.js'
import { formatBytes, formatDuration } from '../output/format-units.js'

/** What a run did, in a few words: `2 copied, 1 deleted, 1.5 KiB in 0.2s`; a dry run, what it would do. */
export function summaryText(s: SyncSummary): string {
  if (s.dryRun) return dryRunCycleText(s)
  const parts: string[] = []
  const add = (v: number, word: string): void => {
    if (v > 0) parts.push(`${v.toLocaleString('en-US')} ${word}`)
  }
  add(s.done.copy, 'copied')
  add(s.done.update, 'updated')
  add(s.done.delete, 'deleted')
  add(s.done.move, 'moved')
  // A touch of a file for its mode alone: chmod, as its action line says.
  const fileChmod = s.fileModesSet?.done ?? 0
  // One for its mode and mtime: chmod+touched (QA 26h).
  const fileChmodTouch = s.fileModesAndMtimesSet?.done ?? 0
  add(s.done.touch - fileChmod - fileChmodTouch, 'touched')
  add(fileChmod, fileChmod === 1 ? 'file chmod' : 'files chmod')
  add(fileChmodTouch, fileChmodTouch === 1 ? 'file chmod+touched' : 'files chmod+touched')
  // A mkdir of a directory the target had only set its mode (its action line says chmod).
  const chmod = s.modesSet?.done ?? 0
  const created = s.done.mkdir - chmod
  add(created, created === 1 ? 'dir created' : 'dirs created')
  add(chmod, chmod === 1 ? 'dir chmod' : 'dirs chmod')
  add(s.skipped, 'skipped')
  add(s.failed, 'failed')
  if (parts.length === 0) parts.push(s.interrupted ? 'nothing done' : 'nothing to do')
  return `${parts.join(', ')}, ${formatBytes(s.bytesTransferred)} in ${formatDuration(s.durationMs)}`
}
