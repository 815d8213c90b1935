import { setMaxListeners } from 'node:events'

const children = new WeakMap<AbortSignal, AbortSignal>()

/**
 * A signal that aborts with `signal` and takes any number of listeners. The engine hands one
 * signal to every write in flight, and each request in flight listens on it (the SDK's handler,
 * our body reader): with 64 writes at once Node would warn of a listener leak at the 11th. The
 * child is made once per signal and carries them all; `signal` itself gets one listener.
 */
export function fanOutSignal(signal: AbortSignal): AbortSignal
export function fanOutSignal(signal: AbortSignal | undefined): AbortSignal | undefined
export function fanOutSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  if (!signal) return undefined
  let child = children.get(signal)
  if (!child) {
    const controller = new AbortController()
    setMaxListeners(0, controller.signal)
    if (signal.aborted) controller.abort(signal.reason)
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true })
    child = controller.signal
    children.set(signal, child)
  }
  return child
}
