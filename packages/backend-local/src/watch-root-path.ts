import { type FSWatcher, watch as fsWatch } from 'node:fs'
import { basename, dirname } from 'node:path'

/** Longest wait between a watch event and the check of the root path it sets off. */
const CHECK_AFTER_MS = 100

/** What `watchRootPath` gives: `poke` after any event of the tree; `close` when done. */
export interface RootPathWatch {
  /** Something happened in the tree: `check` runs within `CHECK_AFTER_MS`, once however many pokes. */
  poke(): void
  close(): void
}

/**
 * Tells `check` when the path a tree is watched by (`path`, a directory or a symlink to one) may
 * have come to lead to another directory: the inotify watch of the root follows its inode, so a
 * root renamed over (`mv src.new src`) or a symlinked root re-pointed (`mv -T current.new current`)
 * went unseen, its new contents never synced until the next rescan (QA 23 #1, #2). The root's
 * parent is watched for the root's name (a rename or re-point there says nothing to the root's own
 * watch); a parent that cannot be watched, or a link further up re-pointed, is caught by `poke`:
 * one check, a stat, per burst of the tree's events, not one per event.
 */
export function watchRootPath(path: string, check: () => void): RootPathWatch {
  let timer: NodeJS.Timeout | undefined
  let parent: FSWatcher | undefined
  const name = basename(path)
  // The root `/` has no parent to watch.
  if (dirname(path) !== path) {
    try {
      parent = fsWatch(dirname(path), { persistent: true }, (_event, named) => {
        if (named === name) check()
      })
      // A parent gone or unreadable: the pokes still check.
      parent.on('error', () => {
        parent?.close()
        parent = undefined
      })
    } catch {
      parent = undefined
    }
  }
  return {
    poke: () => {
      timer ??= setTimeout(() => {
        timer = undefined
        check()
      }, CHECK_AFTER_MS)
    },
    close: () => {
      clearTimeout(timer)
      timer = undefined
      parent?.close()
      parent = undefined
    },
  }
}
