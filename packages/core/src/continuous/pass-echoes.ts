import type { SchedulerLike } from 'rxjs'
import type { Backend } from '../backend/backend.js'
import type { BisyncSide } from '../bisync/conflict-name.js'
import type { Change } from '../model/change.js'
import type { Entry } from '../model/entry.js'
import type { CompletedEvent } from '../model/sync-event.js'

/** A change hint, with the side whose watcher gave it (none for hints given by the caller). */
export interface SideChange {
  readonly side?: BisyncSide
  readonly change: Change
  /**
   * What the side held at the path when its watcher's stability check stat'ed it (`entry`
   * undefined: gone): looked at already, so not stat'ed again here. [not looked at]
   */
  readonly seen?: { readonly entry: Entry | undefined }
}

const SIDES: readonly BisyncSide[] = ['a', 'b']
/** How long a pass's write is expected back as an event of its side. */
const ECHO_MS = 10_000
/** Batches larger than this are not looked at path by path: they start a pass (a burst is real work). */
const ECHO_BATCH_MAX = 256
/** Writes of one pass beyond this are not remembered: their events start one more pass, which finds nothing. */
const ECHO_WRITES_MAX = 4096

/** What a pass wrote to a side: the entry it left there (kind, size, mtime), or nothing (a delete). */
type Written = { readonly kind: Entry['kind']; readonly size: number; readonly mtimeMs: number } | 'gone'

/**
 * The writes of the last passes, to know their own events when the sides' watchers report them:
 * a batch of changes that are all such echoes starts no pass (each would list both trees to find
 * nothing, and delay the next real change behind it). A change counts as an echo only when its
 * path is now exactly as the pass left it (stat'ed: same kind, size and mtime, or still gone),
 * so a user's edit made meanwhile is never taken for one.
 */
export class PassEchoes {
  readonly #written: Record<BisyncSide, Map<string, { what: Written; at: number }>> = { a: new Map(), b: new Map() }
  readonly #backends: Record<BisyncSide, Backend>
  readonly #scheduler: SchedulerLike

  constructor(backends: Record<BisyncSide, Backend>, scheduler: SchedulerLike) {
    this.#backends = backends
    this.#scheduler = scheduler
  }

  /** Notes the write of a completed action (on the side it names). */
  wrote(e: CompletedEvent): void {
    const side = e.action.to
    if (side === undefined) return
    const map = this.#written[side]
    if (map.size >= ECHO_WRITES_MAX) return
    const left = e.action.kind === 'delete' ? undefined : (e.result ?? e.action.source)
    const what: Written = left === undefined ? 'gone' : { kind: left.kind, size: left.size, mtimeMs: left.mtimeMs }
    const at = this.#scheduler.now()
    map.set(e.action.path, { what, at })
    // A rename a pass paired (`move`) also took the old name away: its removal is the pass's too.
    if (e.action.kind === 'move' && e.action.from !== undefined) map.set(e.action.from, { what: 'gone', at })
  }

  /** Whether every change of `batch` is the echo of a write (so no pass is needed for it). */
  async all(batch: readonly SideChange[]): Promise<boolean> {
    const now = this.#scheduler.now()
    for (const side of SIDES) {
      for (const [path, w] of this.#written[side]) if (now - w.at > ECHO_MS) this.#written[side].delete(path)
    }
    if (batch.length > ECHO_BATCH_MAX) return false
    for (const { side, change, seen } of batch) {
      if (side === undefined) return false
      if (change.type === 'rename') {
        // (A watcher that pairs a move's two events: its old name must be gone as the pass left it.)
        const old = change.from
        if (old === undefined || this.#written[side].get(old)?.what !== 'gone') return false
        if ((await this.#backends[side].stat(old).catch(() => null)) !== undefined) return false
      }
      const w = this.#written[side].get(change.path)
      if (w === undefined) return false
      const found = seen ? seen.entry : await this.#backends[side].stat(change.path).catch(() => null)
      if (found === null) return false // unreadable: a pass says what is wrong
      if (w.what === 'gone' ? found !== undefined : !same(w.what, found)) return false
    }
    return true
  }
}

/** The entry a side has now is the one written: same kind, and for a file the same size and mtime (to the ms). */
function same(w: Exclude<Written, 'gone'>, now: Entry | undefined): boolean {
  if (now === undefined || now.kind !== w.kind) return false
  return w.kind !== 'file' || (now.size === w.size && Math.abs(now.mtimeMs - w.mtimeMs) < 1)
}
