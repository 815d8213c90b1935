import { type MonoTypeOperatorFunction, Observable } from 'rxjs'
import type { RelPath } from '../model/rel-path.js'
import type { ObservedChange } from './observed-change.js'

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
 * neither name until the new one's copy landed. Other items pass at once; completion flushes what
 * is held. A removal waits at most as long as its new names' stability wait (bounded upstream).
 */
export function holdForNewNames(opts: HoldForNewNamesOptions): MonoTypeOperatorFunction<ObservedChange> {
  return (source$) =>
    new Observable<ObservedChange>((subscriber) => {
      /** Held removals, by the new names they wait for (one removal under each of its names). */
      const waiting = new Map<RelPath, ObservedChange[]>()
      /** Removals let out already (with another of their names): left in the other lists, skipped there. */
      const letOut = new WeakSet<ObservedChange>()
      const release = (name: RelPath): void => {
        const held = waiting.get(name)
        if (held === undefined) return
        waiting.delete(name)
        for (const r of held) {
          if (letOut.has(r)) continue
          letOut.add(r)
          subscriber.next({ ...r, heldFor: name })
        }
      }
      const sub = source$.subscribe({
        next(change) {
          release(change.path)
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
          const held = new Set([...waiting.values()].flat().filter((r) => !letOut.has(r)))
          waiting.clear()
          for (const r of held) subscriber.next(r)
          subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        waiting.clear()
      }
    })
}
