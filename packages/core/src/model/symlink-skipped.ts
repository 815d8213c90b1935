import type { NoticeCode } from './sync-event.js'

/**
 * The notice a backend gives for a symlink its policy skipped (`--symlinks skip`), from `list` and
 * `stat`: not printed, but a mirror keeps what the target has at that path and below.
 */
export function symlinkSkipped(path: string): { code: NoticeCode; message: string; path: string } {
  return { code: 'SYMLINK_SKIPPED', message: `${path}: symlink skipped`, path }
}
