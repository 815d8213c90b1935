import type { Entry } from '@syncflow/core'
import { printableName } from './printable.js'

const KIND: Record<Entry['kind'], string> = { file: '-', dir: 'd', symlink: 'l' }

/** One `ls` line: kind, size, mtime (UTC), path; `dir/` for directories, `link -> target` for symlinks. */
export function formatEntry(entry: Entry): string {
  const mtime = formatMtime(entry.mtimeMs)
  const name =
    entry.kind === 'dir'
      ? `${printableName(entry.path)}/`
      : entry.kind === 'symlink'
        ? `${printableName(entry.path)} -> ${printableName(entry.linkTarget ?? '?')}`
        : printableName(entry.path)
  return `${KIND[entry.kind]} ${String(entry.size).padStart(12)}  ${mtime}  ${name}`
}

/**
 * An mtime as `YYYY-MM-DD HH:MM:SS` (UTC); `@SECONDS` (touch -d's form) beyond what a Date holds,
 * ±275760 years, which tmpfs and btrfs can store (`touch -d @10000000000000`): `toISOString` threw
 * there, and `ls` ended with "internal error: Invalid time value", exit 2 (QA 31c); `-` for no number.
 */
function formatMtime(mtimeMs: number): string {
  if (!Number.isFinite(mtimeMs)) return '-'
  const date = new Date(mtimeMs)
  return Number.isNaN(date.getTime()) ? `@${mtimeMs / 1000}` : date.toISOString().slice(0, 19).replace('T', ' ')
}
