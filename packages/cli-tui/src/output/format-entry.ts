import type { Entry } from '@syncflow/core'
import { printableName } from './printable.js'

const KIND: Record<Entry['kind'], string> = { file: '-', dir: 'd', symlink: 'l' }

/** One `ls` line: kind, size, mtime (UTC), path; `dir/` for directories, `link -> target` for symlinks. */
export function formatEntry(entry: Entry): string {
  const mtime = Number.isFinite(entry.mtimeMs)
    ? new Date(entry.mtimeMs).toISOString().slice(0, 19).replace('T', ' ')
    : '-'
  const name =
    entry.kind === 'dir'
      ? `${printableName(entry.path)}/`
      : entry.kind === 'symlink'
        ? `${printableName(entry.path)} -> ${printableName(entry.linkTarget ?? '?')}`
        : printableName(entry.path)
  return `${KIND[entry.kind]} ${String(entry.size).padStart(12)}  ${mtime}  ${name}`
}
