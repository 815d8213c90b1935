import type * as grpcJs from '@grpc/grpc-js'

/**
 * The calls of one client still under way (started, no status yet), kept by a client interceptor,
 * so that closing the backend can cancel them: grpc-js's `Client.close()` only refuses new calls,
 * and lets those in flight run on. A call that a stalled server never ends (a WriteMany whose files
 * it never answers, a Write it never acknowledges) then kept the library user's `close()`, or the
 * CLI's exit, waiting for it (with no I/O timeout, forever).
 */
export class InFlightCalls {
  readonly #calls = new Set<grpcJs.InterceptingCall>()
  readonly #grpc: typeof grpcJs

  constructor(grpc: typeof grpcJs) {
    this.#grpc = grpc
  }

  /** For the client's `interceptors` option: every call it starts is kept until its status comes. */
  readonly interceptor: grpcJs.Interceptor = (options, nextCall) => {
    const calls = this.#calls
    const { InterceptingCall, ListenerBuilder, RequesterBuilder } = this.#grpc
    const gone = new ListenerBuilder()
      .withOnReceiveStatus((status, next) => {
        calls.delete(call)
        next(status)
      })
      .build()
    const call: grpcJs.InterceptingCall = new InterceptingCall(
      nextCall(options),
      new RequesterBuilder().withStart((metadata, _listener, next) => next(metadata, gone)).build(),
    )
    calls.add(call)
    return call
  }

  /**
   * Cancels every call under way, with status CANCELLED and `details` (each caller sees it as it
   * would its own cancel). The server sees each go, as if the client had gone: what it was writing
   * for them is not committed.
   */
  cancelAll(details: string): void {
    const calls = [...this.#calls]
    this.#calls.clear()
    for (const call of calls) call.cancelWithStatus(this.#grpc.status.CANCELLED, details)
  }
}
