import { AsyncLocalStorage } from 'node:async_hooks'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { Socket } from 'node:net'

/** The TCP sockets opened on behalf of one piece of work (see `socketsOpenedIn`). */
export interface OpenedSockets<T> {
  /** What `work` returned. */
  readonly result: T
  /** Destroys those of the sockets still connecting (a connect nothing answers). */
  destroyConnecting(): void
  /** Stops collecting sockets (idempotent). */
  stop(): void
}

const owner = new AsyncLocalStorage<Set<Socket>>()
/** Collections not stopped yet: the last `stop()` disables `owner` (see there). */
let active = 0

/**
 * Runs `work` and collects every TCP client socket opened from it, synchronously or in anything it
 * schedules (Node's `net.client.socket` diagnostics channel, matched by async context), until
 * `stop()`. grpc-js gives no way to abandon a connect: after a connection timeout its socket keeps
 * sending SYNs to an address that drops them, and keeps the process alive for about two minutes.
 */
export function socketsOpenedIn<T>(work: () => T): OpenedSockets<T> {
  const sockets = new Set<Socket>()
  const onSocket = (message: unknown) => {
    if (owner.getStore() === sockets) sockets.add((message as { socket: Socket }).socket)
  }
  subscribe('net.client.socket', onSocket)
  active++
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    unsubscribe('net.client.socket', onSocket)
    // In Node 20 a running AsyncLocalStorage keeps an async hook on every promise and resource the
    // process makes, until disabled: left on, a whole gRPC run (connected once, at its start) paid
    // for it. Only once no collection is running: `owner` is shared by all of them.
    if (--active === 0) owner.disable()
  }
  let result: T
  try {
    result = owner.run(sockets, work)
  } catch (err) {
    stop()
    throw err
  }
  return {
    result,
    // Only sockets not yet connected: a connected one may already carry another client's calls
    // (grpc-js shares a connection between clients of the same address and options).
    destroyConnecting: () => {
      for (const s of sockets) if (s.connecting) s.destroy()
    },
    stop: () => {
      stop()
      sockets.clear()
    },
  }
}
