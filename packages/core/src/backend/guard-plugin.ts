import { finished, type Readable, Transform } from 'node:stream'
import { inspect } from 'node:util'
import { Observable } from 'rxjs'
import { isSyncError, SyncError } from '../errors/sync-error.js'
import { untilAborted } from '../util/until-aborted.js'
import type { Backend } from './backend.js'
import type { BackendPlugin, OpenOptions } from './backend-plugin.js'
import { schemeOf } from './backend-registry.js'

// A third-party plugin's code is not syncflow's: what it throws that is not a SyncError is the
// plugin's to answer for, and a message must say so and name it, not ask for a syncflow bug report
// (QA 4a F4). The CLI wraps every --plugin; a library user wraps one with `guardPlugin` before
// `registerBackend` (QA 19 #4: through the library its plain Errors were "a bug in syncflow").
// Built-in backends are not wrapped: their errors keep syncflow's own wording.

/** What a Backend must have (CONTRIBUTING "Writing a backend": the required members). */
const REQUIRED_METHODS = ['list', 'stat', 'read', 'write', 'remove', 'close', 'rootExists'] as const

/** Methods whose result is an AsyncIterable (errors come from its iterator) or an Observable. */
const ITERABLE_METHODS = new Set(['list', 'deltaFrom'])
const OBSERVABLE_METHODS = new Set(['watch'])
/** Methods whose result is a stream of bytes (errors come mid-file, from the stream). */
const STREAM_METHODS = new Set(['read'])
/** Methods without a path argument; `copyFrom`'s own path is its third argument. */
const PATHLESS_METHODS = new Set(['list', 'close', 'rootExists', 'watch'])

/** Wrapped backend → the plugin's own object, to hand the plugin its own backend (`copyFrom(source)`). */
const unwrapped = new WeakMap<object, object>()

/**
 * `plugin` as registered for `--plugin spec` (`spec`: how the user named it, for messages): its `open` validates what it returns and wraps the
 * backend so that anything its code throws that is not a SyncError names the plugin.
 * - `open` throwing a plain Error: `USAGE` (exit 2), `plugin SPEC ("name"): open() failed: …`;
 * - `open` resolving to something that is not a Backend: `USAGE` naming the missing members;
 * - a backend method throwing a plain Error (or the stream `read` resolves to emitting one
 *   mid-file): `UNKNOWN` with op `<scheme>.<method>`, naming the plugin in the message and blaming
 *   it in the hint.
 * SyncErrors and aborts pass through unchanged.
 */
export function guardPlugin(plugin: BackendPlugin, spec: string): BackendPlugin {
  const label = `plugin ${spec} (${JSON.stringify(plugin.name)})`
  return {
    name: plugin.name,
    schemes: plugin.schemes,
    async open(uri: string, options: OpenOptions): Promise<Backend> {
      let backend: unknown
      try {
        backend = await plugin.open(uri, options)
      } catch (err) {
        if (passesThrough(err)) throw err
        throw new SyncError('USAGE', `${label}: open() failed: ${messageOf(err)}`, {
          cause: err,
          hint: `The plugin threw a plain ${kindOf(err)}, not a SyncError, so syncflow cannot tell whether the location, the credentials or the plugin is at fault: check ${JSON.stringify(uri)}; else report it to the plugin's author (its open() should throw SyncErrors with a code: see "Writing a backend" in CONTRIBUTING.md).`,
        })
      }
      const missing = missingMembers(backend)
      if (missing !== undefined) {
        await closeQuietly(backend)
        throw new SyncError('USAGE', `${label}: open() returned ${missing}`, {
          hint: `A plugin's open() resolves to a Backend { uri, capabilities, ${REQUIRED_METHODS.join(', ')} } (see "Writing a backend" in CONTRIBUTING.md): fix the plugin, or report it to its author.`,
        })
      }
      const wrong = capabilityProblems((backend as Backend).capabilities)
      if (wrong.length > 0) {
        await closeQuietly(backend)
        throw new SyncError('USAGE', `${label}: open() returned a backend whose ${wrong.join('; ')}`, {
          hint: `The engine picks its strategy from a backend's capabilities (see "Capabilities" in packages/core/src/backend/backend.ts and "Writing a backend" in CONTRIBUTING.md): fix the plugin, or report it to its author.`,
        })
      }
      return guardBackend(backend as Backend, schemeOf(uri), label)
    },
  }
}

/** What is wrong with a value meant as a Backend (`an object without list, close`); undefined when nothing. */
function missingMembers(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return `${value === null ? 'null' : typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, not a Backend`
  }
  const b = value as Record<string, unknown>
  const missing: string[] = REQUIRED_METHODS.filter((m) => typeof b[m] !== 'function').map((m) => `${m}()`)
  if (typeof b.capabilities !== 'object' || b.capabilities === null) missing.unshift('capabilities')
  if (typeof b.uri !== 'string') missing.unshift('uri')
  return missing.length === 0 ? undefined : `an object without ${missing.join(', ')}, not a Backend`
}

/**
 * What is wrong with a plugin backend's required capabilities, one phrase each; empty when nothing.
 * The engine reads them as typed: `hashes: 'sha256'` failed deep in the run as "internal error:
 * target.capabilities.hashes.find is not a function ... a bug in syncflow" (QA 25).
 */
function capabilityProblems(capabilities: unknown): string[] {
  const c = capabilities as Record<string, unknown>
  const shown = (v: unknown): string => (typeof v === 'string' ? `the string ${JSON.stringify(v)}` : messageOf(v))
  const problems: string[] = []
  if (!Array.isArray(c.hashes) || c.hashes.some((h) => typeof h !== 'string')) {
    problems.push(`capabilities.hashes must be an array of hash names (e.g. ["sha256"], or []), not ${shown(c.hashes)}`)
  }
  if (typeof c.mtimePrecisionMs !== 'number' || !(c.mtimePrecisionMs >= 0) || !Number.isFinite(c.mtimePrecisionMs)) {
    problems.push(
      `capabilities.mtimePrecisionMs must be a number of milliseconds (e.g. 1), not ${shown(c.mtimePrecisionMs)}`,
    )
  }
  for (const key of ['listMtime', 'emptyDirs', 'symlinks', 'permissions', 'caseSensitive']) {
    if (typeof c[key] !== 'boolean') problems.push(`capabilities.${key} must be true or false, not ${shown(c[key])}`)
  }
  if (c.watch !== 'native' && c.watch !== 'poll' && c.watch !== 'none') {
    problems.push(`capabilities.watch must be "native", "poll" or "none", not ${shown(c.watch)}`)
  }
  return problems
}

async function closeQuietly(value: unknown): Promise<void> {
  const close = (value as { close?: unknown } | null | undefined)?.close
  if (typeof close !== 'function') return
  try {
    await close.call(value)
  } catch {
    // it is being refused anyway
  }
}

/** SyncErrors (of any copy of core) and aborts are the plugin speaking the contract: kept as they are. */
function passesThrough(err: unknown): boolean {
  return isSyncError(err) || (err instanceof Error && err.name === 'AbortError')
}

/** An Error's message; anything else as util.inspect shows it (not `[object Object]`: QA 7 #8). */
function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message
  return typeof err === 'string' ? err : inspect(err, { depth: 2, breakLength: Number.POSITIVE_INFINITY })
}

/** `Error`, `TypeError`…, or `value` for a throw of something that is not an Error. */
function kindOf(err: unknown): string {
  return err instanceof Error ? err.name || 'Error' : 'value'
}

/**
 * The backend with each method's failures that are not SyncErrors made `UNKNOWN` errors naming the
 * plugin. A Proxy keeps everything else as the plugin made it (which optional methods exist, its
 * `uri` and `capabilities`, `instanceof`); methods run on the plugin's own object (private fields).
 */
function guardBackend(backend: Backend, scheme: string, label: string): Backend {
  /** `during` says where in the call it failed (`its read stream failed after 7 bytes`). */
  const blame = (err: unknown, method: string, path: unknown, during?: string): unknown => {
    if (passesThrough(err)) return err
    return new SyncError('UNKNOWN', `${label}: ${during === undefined ? '' : `${during}: `}${messageOf(err)}`, {
      op: `${scheme}.${method}`,
      ...(typeof path === 'string' ? { path } : {}),
      cause: err,
      hint: `This plain ${kindOf(err)} comes from the ${label}, not from syncflow: if its message does not say what to fix, report it to the plugin's author (a backend throws SyncErrors with a code: see "Writing a backend" in CONTRIBUTING.md).`,
    })
  }
  const wrappers = new Map<string, { of: unknown; fn: (...args: unknown[]) => unknown }>()
  // The Proxy's target is a shell whose prototype is the backend, not the backend itself: a frozen
  // backend's methods are fixed own properties, which a Proxy on it must hand out unchanged (QA:
  // "'get' on proxy" for every call of a plugin that froze its backend). Lookups and `instanceof`
  // go through the shell's prototype; methods run on the backend.
  const proxy = new Proxy(Object.create(backend) as Backend, {
    get(_shell, key) {
      const target = backend
      const value: unknown = Reflect.get(target, key, target)
      if (typeof key !== 'string' || typeof value !== 'function' || key === 'constructor') return value
      const known = wrappers.get(key)
      if (known?.of === value) return known.fn
      const method = value as (...args: unknown[]) => unknown
      const fn = (...args: unknown[]): unknown => {
        const path = PATHLESS_METHODS.has(key) ? undefined : key === 'copyFrom' ? args[2] : args[0]
        const fail = (err: unknown): never => {
          throw blame(err, key, path)
        }
        let out: unknown
        try {
          out = method.apply(
            target,
            args.map((a) => (typeof a === 'object' && a !== null ? (unwrapped.get(a) ?? a) : a)),
          )
        } catch (err) {
          return fail(err)
        }
        if (ITERABLE_METHODS.has(key)) {
          if (!isAsyncIterable(out)) {
            // `async list() { return entries }` (a Promise of an array) or an array: the engine iterates
            // with Symbol.asyncIterator, and its TypeError read as a bug in syncflow (review of the plugin API).
            ;(out as Promise<unknown> | undefined)?.then?.(
              () => {},
              () => {},
            )
            return fail(
              new Error(
                `its ${key}() returned ${describeChunk(out)}, not an async iterable: write it as an async generator (async *${key}() { … yield … })`,
              ),
            )
          }
          const signal = key === 'list' ? (args[0] as { signal?: AbortSignal } | undefined)?.signal : undefined
          return guardIterable(out, fail, signal, `${scheme}.${key}`)
        }
        if (OBSERVABLE_METHODS.has(key) && isSubscribable(out)) return guardObservable(out, fail)
        if (typeof (out as PromiseLike<unknown> | undefined)?.then === 'function') {
          if (!STREAM_METHODS.has(key)) {
            const settled = Promise.resolve(out).catch(fail)
            // A call given a signal (a write's, a hash's) that waits for ever and ignores it kept a
            // stopped run waiting, as a listing did (QA 25): given up as ABORTED once it aborts.
            const signal = signalIn(args)
            if (signal === undefined) return settled
            // (Given up on: what it settles to later is not reported as unhandled.)
            settled.catch(() => {})
            return untilAborted(() => settled, signal, `${scheme}.${key}`)
          }
          // A stream's error mid-file reaches the target's write (the engine pipes it there): as a
          // plain Error it would read as the target's failure, or a bug in syncflow (QA F6).
          return Promise.resolve(out).then((stream) => {
            // Anything else would fail in the engine's hands, reading as syncflow's bug (QA 8 #7).
            if (!isReadable(stream))
              fail(new Error(`its ${key}() resolved to ${describeChunk(stream)}, not a Readable stream`))
            return guardReadable(stream as Readable, (err, bytes) =>
              blame(err, key, path, `its ${key}() stream failed after ${bytes} byte${bytes === 1 ? '' : 's'}`),
            )
          }, fail)
        }
        return out
      }
      wrappers.set(key, { of: value, fn })
      return fn
    },
  })
  unwrapped.set(proxy, backend)
  return proxy
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  )
}

interface Subscribable {
  subscribe(observer: { next(v: unknown): void; error(e: unknown): void; complete(): void }): { unsubscribe(): void }
}

function isSubscribable(value: unknown): value is Subscribable {
  return typeof value === 'object' && value !== null && typeof (value as Subscribable).subscribe === 'function'
}

/**
 * The iteration of `source` (once), its failures going through `fail`. With `signal` (a listing's),
 * a `next()` still pending when it aborts is given up as `ABORTED`: a plugin whose listing waits
 * for ever and ignores the signal (a server that never answers) otherwise kept a stopped run, and
 * so the CLI after its first Ctrl-C, waiting for ever, with no summary and no state saved (QA 25).
 */
function guardIterable<T>(
  source: AsyncIterable<T>,
  fail: (err: unknown) => never,
  signal?: AbortSignal,
  op = 'list',
): AsyncIterableIterator<T> {
  let it: AsyncIterator<T> | undefined
  const inner = (): AsyncIterator<T> => {
    try {
      it ??= source[Symbol.asyncIterator]()
    } catch (err) {
      fail(err)
    }
    return it
  }
  return {
    [Symbol.asyncIterator]() {
      return this
    },
    next: async (...a: [] | [unknown]) => {
      const pending = inner()
        .next(...a)
        .catch(fail)
      const checked = op.endsWith('.list') ? pending.then((r) => (r.done ? r : checkEntry(r, fail))) : pending
      if (signal === undefined) return checked
      checked.catch(() => {})
      return untilAborted(() => checked, signal, op)
    },
    return: async (value?: unknown) => {
      const i = inner()
      return i.return ? i.return(value).catch(fail) : { done: true, value: value as T }
    },
    throw: async (err?: unknown) => {
      const i = inner()
      if (i.throw) return i.throw(err).catch(fail)
      throw err
    },
  }
}

/**
 * A listed value that is no Entry is the plugin's bug, said as such: a `null` read as "a bug in
 * syncflow", a string as "failed undefined", and a `kind: 'blob'` or a size of `"1"` or -1 went
 * on into the engine (QA 25).
 */
function checkEntry<T>(r: IteratorResult<T>, fail: (err: unknown) => never): IteratorResult<T> {
  const e = r.value as { path?: unknown; kind?: unknown; size?: unknown; mtimeMs?: unknown } | null
  const ok =
    typeof e === 'object' &&
    e !== null &&
    typeof e.path === 'string' &&
    (e.kind === 'file' || e.kind === 'dir' || e.kind === 'symlink') &&
    typeof e.size === 'number' &&
    Number.isFinite(e.size) &&
    e.size >= 0 &&
    typeof e.mtimeMs === 'number' &&
    Number.isFinite(e.mtimeMs)
  if (!ok) {
    fail(
      new Error(
        `its list() yielded ${describeChunk(e)}, not an Entry { path: string, kind: 'file' | 'dir' | 'symlink', size: bytes >= 0, mtimeMs: number }`,
      ),
    )
  }
  return r
}

/** The `signal` of the first argument that is an options object holding one. */
function signalIn(args: readonly unknown[]): AbortSignal | undefined {
  for (const a of args) {
    const signal = typeof a === 'object' && a !== null ? (a as { signal?: unknown }).signal : undefined
    if (signal instanceof AbortSignal) return signal
  }
  return undefined
}

function isReadable(value: unknown): value is Readable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Readable).pipe === 'function' &&
    typeof (value as Readable).on === 'function' &&
    typeof (value as Readable).destroy === 'function'
  )
}

/**
 * The bytes of `source` through a stream of ours whose error is `blame(err, bytesSoFar)`: an end
 * without `end` (a plain destroy), an `'error'` without an error and a chunk that is not bytes are
 * errors too, never a short file, a stalled run or a crash (QA 7 #5, #7). Destroying ours (the
 * consumer gave up) destroys the source.
 */
function guardReadable(source: Readable, blame: (err: unknown, bytes: number) => unknown): Readable {
  let bytes = 0
  let failed = false
  const out = new Transform({
    // Object mode on the way in, so that a chunk that is not bytes reaches `transform` to be
    // blamed, rather than throwing inside pipe() (uncaught: a stack trace).
    writableObjectMode: true,
    transform(chunk: unknown, _encoding, done) {
      const buf = asBytes(chunk)
      if (buf === undefined) {
        failed = true
        done(
          blame(
            new Error(`it gave ${describeChunk(chunk)} where bytes go (a Buffer, a Uint8Array or a string)`),
            bytes,
          ) as Error,
        )
        return
      }
      bytes += buf.length
      done(null, buf)
    },
  })
  const fail = (err: unknown): void => {
    if (failed) return
    failed = true
    out.destroy(blame(err, bytes) as Error)
  }
  // finished() takes an 'error' event without an error for no error, and then waits for nothing:
  // the run stalled for ever (QA 7 #5).
  source.on('error', (err: unknown) => fail(err ?? new Error("it emitted 'error' with no error")))
  finished(source, (err) => {
    if (err) fail(err)
  })
  out.on('close', () => {
    if (!source.destroyed) source.destroy()
  })
  source.pipe(out)
  return out
}

function asBytes(chunk: unknown): Buffer | undefined {
  if (Buffer.isBuffer(chunk)) return chunk
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8')
  return undefined
}

/** `a number (123)`, `undefined`, `an object ({ a: 1 })`. */
function describeChunk(chunk: unknown): string {
  if (chunk === undefined || chunk === null) return String(chunk)
  const shown = inspect(chunk, { depth: 1, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 40 })
  const kind = typeof chunk
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} (${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown})`
}

/** An Observable whose error goes through `fail`. */
function guardObservable(source: Subscribable, fail: (err: unknown) => never): Observable<unknown> {
  return new Observable((subscriber) => {
    const sub = source.subscribe({
      next: (v) => subscriber.next(v),
      error: (err) => {
        try {
          fail(err)
        } catch (blamed) {
          subscriber.error(blamed)
        }
      },
      complete: () => subscriber.complete(),
    })
    return () => sub.unsubscribe()
  })
}
