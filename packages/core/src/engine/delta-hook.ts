import type { Backend } from '../backend/backend.js'
import { deltaDirection, deltaTransfer } from '../delta/delta-transfer.js'
import type { NoticeCode } from '../model/sync-event.js'
import type { DeltaTransfer } from '../operators/execute-action.js'
import type { RateLimiter } from '../util/rate-limiter.js'

/** Engine extensions wired by packages that build on core (the delta codec). */
export interface SyncHooks {
  readonly delta?: DeltaTransfer
}

let hooks: SyncHooks = {}

/** Installs engine hooks (called by the delta module at import; tests may reset them). */
export function setSyncHooks(next: SyncHooks): void {
  hooks = { ...hooks, ...next }
}

/** The delta transfer for this pair of backends, when one side offers it (rsync-style, only changed blocks). */
export function deltaHook(
  source: Backend,
  target: Backend,
  blockSize: number | undefined,
  notice: (code: NoticeCode, message: string, path?: string) => void,
  limiter: RateLimiter | undefined,
): DeltaTransfer | undefined {
  if (hooks.delta) return hooks.delta
  if (deltaDirection(source, target) === undefined) return undefined
  return (src, dst, action, meta, opts) =>
    deltaTransfer(src, dst, action.path, meta, {
      ...opts,
      ...(blockSize ? { blockSize } : {}),
      ...(limiter ? { limiter } : {}),
      onFallback: (err) =>
        notice(
          'DELTA_FALLBACK',
          `delta of ${action.path} failed its check (${err.message}): copying the whole file instead`,
          action.path,
        ),
      // (Said only where the partial gave bytes: one of another file's, fetched whole, resumed nothing.)
      onResumed: (partialBytes, reusedBytes) => {
        if (reusedBytes === 0) return
        notice(
          'DOWNLOAD_RESUMED',
          `resumed the download of ${action.path} from a partial of ${mib(partialBytes)} an interrupted run left: ${reusedBytes} of ${meta.size ?? 0} bytes were here already and not fetched again`,
          action.path,
        )
      },
    })
}

/** `bytes` in MiB, for a message: `3.5 MiB`. */
function mib(bytes: number): string {
  return `${Math.round((bytes / (1 << 20)) * 10) / 10} MiB`
}
