import { type MonoTypeOperatorFunction, Observable } from 'rxjs'
import type { RelPath } from '../model/rel-path.js'
import type { ObservedChange } from './observed-change.js'

/** Most removals remembered as let out with a new name (see `went`). */
const WENT_MAX = 10_000

/** Options of `holdForNewNames`. */
export interface HoldForNewNamesOptions {
  /**
   * The possible new names of `removed`, a path just found gone: files reported about when it was
   * removed and still awaited upstream (not settled yet: still being written). [] lets it pass.
   */
  readonly newNamesOf: (removed: RelPath) => readonly RelPath[]
}

/**
 * Holds a removal (an entry gone from the source) while a possible new name of it (`newNamesOf`)
 * is still awaited, and lets it out marked `heldFor` just before the first of them comes, so that
 * both reach one batch and one cycle (see `ObservedChange.heldFor`). A file renamed while its
 * writer still appends (`mv app.log app-1.log`) is found gone at once, while its new name waits
 * until it settles or passes busy: let out alone, its delete ran first, and the target held
 * neither name until the new one's copy landed. The same removal found again later is marked
 * alike (its delete went with that file's cycle). Other items pass at once; completion flushes what
 * is held. A removal waits at most as long as its new names' stability wait (bounded upstream).
 */
export function holdForNewNames(opts: HoldForNewNamesOptions): MonoTypeOperatorFunction<ObservedChange> {
  return (source$) =>
    new Observable<ObservedChange>((subscriber) => {
      /** Held removals, by the new names they wait for (one removal under each of its names). */
      const waiting = new Map<RelPath, ObservedChange[]>()
      /** Removals let out already (with another of their names): left in the other lists, skipped there. */
      const letOut = new WeakSet<ObservedChange>()
      /**
       * Paths let out with a new name, and which: the same removal found again (the watcher's report
       * of it, after a check of the path found it gone first) is marked the same.
       */
      const went = new Map<RelPath, RelPath>()
      const release = (name: RelPath): void => {
        const held = waiting.get(name)
        if (held === undefined) return
        waiting.delete(name)
        for (const r of held) {
          if (letOut.has(r)) continue
          letOut.add(r)
          if (went.size >= WENT_MAX) went.clear()
          went.set(r.path, name)
          subscriber.next({ ...r, heldFor: name })
        }
      }
      const sub = source$.subscribe({
        next(change) {
          release(change.path)
          const before = went.get(change.path)
          if (change.entry !== undefined)
            went.delete(change.path) // made again: another file
          else if (before !== undefined) {
            subscriber.next({ ...change, heldFor: before })
            return
          }
          const names = change.entry === undefined ? opts.newNamesOf(change.path) : []
          if (names.length === 0) {
            subscriber.next(change)
            return
          }
          for (const name of names) waiting.set(name, [...(waiting.get(name) ?? []), change])
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          went.clear()
          const held = new Set([...waiting.values()].flat().filter((r) => !letOut.has(r)))
          waiting.clear()
          for (const r of held) subscriber.next(r)
          subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        waiting.clear()
        went.clear()
      }
    })
}
