import type { Backend, ListOptions } from '../backend/backend.js'
import type { Entry } from '../model/entry.js'
import type { PauseGate } from './pause-gate.js'

/** What a view changes about the backend it wraps. */
export interface BackendViewOptions {
  /** Replaces `list()`: e.g. the entries of a few changed paths, in listing order. */
  readonly list?: (opts?: ListOptions) => AsyncIterable<Entry>
  /** Calls that change data (and `read`, which starts a transfer) wait while the gate is paused. */
  readonly gate?: PauseGate
  /** Releases gated calls on abort. */
  readonly signal?: AbortSignal
}

/** Calls that start or perform a change, held while paused. */
const GATED = new Set<PropertyKey>([
  'read',
  'write',
  'remove',
  'move',
  'copy',
  'copyFrom',
  'setMtime',
  'setMode',
  'mkdir',
  'symlink',
  'patch',
])

/** view → the backend it wraps. */
const wrapped = new WeakMap<object, Backend>()

/** The real backend behind a view (the argument itself when it is not a view). */
export function unwrapBackend<T>(b: T): T {
  return ((typeof b === 'object' && b !== null && wrapped.get(b)) || b) as T
}

/**
 * A backend that is `backend` with a different `list()` and/or paused writes, so the one-shot
 * engine (`sync`) can run a continuous cycle over a few paths, or a paused run, unchanged. Optional
 * features stay detectable (`supports.*` sees the same methods); calls run on the real backend with
 * views among their arguments unwrapped (so `copyFrom(view)` still recognizes a sibling backend).
 */
export function backendView<B extends Backend>(backend: B, opts: BackendViewOptions): B {
  const real = unwrapBackend(backend)
  // One wrapper per method, made on first use (the engine reads methods on every call).
  const wrappers = new Map<PropertyKey, unknown>()
  const wrap = (target: B, prop: PropertyKey, fn: (...args: unknown[]) => unknown): unknown => {
    const gate = opts.gate
    const call = (args: unknown[]): unknown => fn.apply(target, args.map(unwrapBackend))
    if (gate && GATED.has(prop)) {
      // While running, the call goes straight through and its own promise is returned: no extra
      // async frame per read and write (tens of thousands in a sync of 10,000 files under the UI).
      // The gated methods all return promises, so a synchronous throw becomes a rejection here.
      return (...args: unknown[]) => {
        const wait = gate.wait(opts.signal)
        if (wait) return wait.then(() => call(args))
        try {
          return call(args)
        } catch (err) {
          return Promise.reject(err)
        }
      }
    }
    return (...args: unknown[]) => call(args)
  }
  // Wraps `backend` itself (maybe a view already), so a list view of a gated view stays gated.
  const view = new Proxy(backend, {
    get(target, prop) {
      if (prop === 'list' && opts.list) {
        const list = opts.list
        return (listOpts?: ListOptions) => list(listOpts)
      }
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      let wrapper = wrappers.get(prop)
      if (wrapper === undefined) {
        wrapper = wrap(target, prop, value as (...args: unknown[]) => unknown)
        wrappers.set(prop, wrapper)
      }
      return wrapper
    },
  })
  wrapped.set(view, real)
  return view
}
