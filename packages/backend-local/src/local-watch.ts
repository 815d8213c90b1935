import { sep } from 'node:path'
import { type Change, isRelPath, type RelPath } from '@syncflow/core'
import { Observable } from 'rxjs'
import { toSyncError } from './to-sync-error.js'

/** Options of `watchLocal`. */
export interface LocalWatchOptions {
  /** Report changes inside symlinked directories (the `follow` symlink policy). [false] */
  readonly followSymlinks?: boolean
  /** Names never reported (the backend's own temp files). */
  readonly ignoreName?: (name: string) => boolean
  /** Aborting ends the stream (completes it) and closes the watcher. */
  readonly signal?: AbortSignal
  /** Called once the initial walk is done: from then on every change is reported. */
  readonly onReady?: () => void
}

const toPosix = sep === '/' ? (p: string) => p : (p: string) => p.split(sep).join('/')

/**
 * Change hints below the directory `root` from OS events (inotify, FSEvents,
 * ReadDirectoryChangesW) through chokidar, which is loaded on first use: `add`, `change` and
 * `addDir` are upserts, `unlink` and `unlinkDir` removes. What exists when watching starts is not
 * reported: `onReady` says when the watcher has walked the tree and every later change will be
 * (the initial sync starts then). A watcher error, such as ENOSPC when the inotify watches
 * are exhausted, ends the stream with a SyncError, so the continuous engine falls back to polling
 * and says so. Unsubscribing closes the watcher.
 */
export function watchLocal(root: string, opts: LocalWatchOptions = {}): Observable<Change> {
  return new Observable<Change>((subscriber) => {
    let closed = false
    let closeWatcher: (() => Promise<void>) | undefined
    const emit = (type: Change['type']) => (path: string) => {
      const rel = toPosix(path)
      // Watch events are input like any listing: only safe RelPaths go on.
      if (rel === '' || !isRelPath(rel)) return
      if (opts.ignoreName?.(rel.slice(rel.lastIndexOf('/') + 1))) return
      subscriber.next({ type, path: rel as RelPath })
    }
    const close = (): void => {
      if (closed) return
      closed = true
      opts.signal?.removeEventListener('abort', onAbort)
      void closeWatcher?.().catch(() => {})
    }
    const onAbort = (): void => {
      close()
      subscriber.complete()
    }
    if (opts.signal?.aborted) {
      subscriber.complete()
      return
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    import('chokidar').then(
      ({ watch }) => {
        if (closed) return
        const watcher = watch(root, {
          cwd: root,
          ignoreInitial: true,
          followSymlinks: opts.followSymlinks ?? false,
          ignorePermissionErrors: true,
          // chokidar would hold each unlink 100 ms to merge an editor's save into one change; the
          // engine re-stats and coalesces anyway, and a prompt unlink lets a rename's two halves
          // meet in one batch, where they become a move.
          atomic: false,
        })
        closeWatcher = () => watcher.close()
        watcher
          .on('add', emit('upsert'))
          .on('change', emit('upsert'))
          .on('addDir', emit('upsert'))
          .on('unlink', emit('remove'))
          .on('unlinkDir', emit('remove'))
          .on('ready', () => {
            if (!closed) opts.onReady?.()
          })
          .on('error', (err: unknown) => {
            close()
            subscriber.error(toSyncError(err, 'watch', root))
          })
      },
      (err: unknown) => subscriber.error(toSyncError(err, 'watch', root)),
    )
    return close
  })
}
