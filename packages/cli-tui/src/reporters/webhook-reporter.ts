import type { SyncEvent, SyncSummary } from '@syncflow/core'
import { isVanishedCopy, withoutVanished } from './vanished-copies.js'

/** Options of `WebhookReporter`. Defaults in brackets. */
export interface WebhookOptions {
  /** While a watch waits, re-send the last status this often, so a monitor knows it is alive; 0 = never. [60 s] */
  readonly heartbeatMs?: number
  /** Per request. [10 s] */
  readonly timeoutMs?: number
  /** Retries of a request that failed (network error, 429, 5xx). [3] */
  readonly retries?: number
  /** Base of the exponential backoff between retries. [1 s] */
  readonly retryDelayMs?: number
  /** Requests waiting beyond this are dropped, oldest first (a dead endpoint never grows memory). [100] */
  readonly maxQueue?: number
  /** How long `close()` waits for queued requests (their retries included) before giving up on them. [10 s] */
  readonly closeWaitMs?: number
  /** Told about a request that failed for good (once per failure). */
  readonly onWarning?: (message: string) => void
  /**
   * An interrupted run pings `/fail`: a one-shot run (a cron job's `sync`) stopped before its end
   * did not do its job, where a watch's SIGINT is how it ends. [false]
   */
  readonly interruptedFails?: boolean
  /**
   * A run whose deletes were held back (`deletesSuppressed`: --max-delete, an empty source, a
   * failure) pings `/fail`: a one-shot run exits 1 for it, and a cron job's monitor stayed green
   * while its mirror deleted nothing. A watch's cycle holds them for a later one. [false]
   */
  readonly heldDeletesFail?: boolean
  /**
   * A watch: a copy whose source vanished before it was read is tried again (and found gone), no
   * failure of the cycle (see `isVanishedCopy`); a burst of short-lived files pinged `/fail`. [false]
   */
  readonly vanishedRetried?: boolean
  /** [globalThis.fetch] */
  readonly fetch?: typeof fetch
}

/** What the job is, sent with the `start` ping. */
export interface WebhookJobInfo {
  readonly command: string
  readonly source: string
  readonly target: string
}

interface Ping {
  readonly endpoint: '' | '/start' | '/fail'
  readonly body: unknown
}

/** The run failed for monitoring purposes: a fatal problem, failed items, or an incomplete listing. */
export function summaryFailed(s: SyncSummary): boolean {
  return s.fatal !== undefined || s.failed > 0 || s.listingErrors > 0
}

/**
 * The URL as a warning shows it: each query value is `***` (`?token=…`, `?key=…` hold secrets), and
 * credentials are never in it (the reporter sends them as a header).
 */
function shownUrl(url: string): string {
  const shown = new URL(url)
  for (const key of new Set(shown.searchParams.keys())) shown.searchParams.set(key, '***')
  return shown.toString()
}

/**
 * Why a request failed: undici says "fetch failed" for every network error, the reason is its
 * cause (`connect ECONNREFUSED 127.0.0.1:8080`, `self-signed certificate`, `getaddrinfo ENOTFOUND x`);
 * the warning said "fetch failed" alone, whatever went wrong (QA 30f).
 */
function failureOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? err.cause.message : undefined
  return cause && cause !== err.message ? `${err.message}: ${cause}` : err.message
}

/** `p%40ss` → `p@ss`; a `%` that starts no escape (`50%off`) is kept as it is, as curl keeps it. */
function decodeOrAsIs(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** `https://hc-ping.com/uuid` + `/fail` → `https://hc-ping.com/uuid/fail` (a query string stays at the end). */
export function endpointUrl(base: string, endpoint: string): string {
  if (endpoint === '') return base
  const url = new URL(base)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${endpoint}`
  return url.toString()
}

/**
 * `--webhook URL`: reports a job to a monitor in the healthchecks.io convention, so existing checks
 * work unchanged: `URL/start` when the job starts, `URL` with the JSON summary after each successful
 * run or cycle, `URL/fail` after a failed one, and, while a watch waits, the last status again
 * every `heartbeatMs`. Requests go out one at a time from a queue, with timeouts and retries, and
 * never hold up the sync: `event()` returns at once. `close()` sends what is queued (bounded wait).
 */
export class WebhookReporter {
  readonly #url: string
  /** `Basic …` from the URL's `user:pass@`, sent as a header (the URL goes without them). */
  readonly #authorization: string | undefined
  readonly #opts: Required<Omit<WebhookOptions, 'onWarning'>> & Pick<WebhookOptions, 'onWarning'>
  readonly #queue: Ping[] = []
  #sending: Promise<void> | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #last: Ping | undefined
  #closed = false
  /** The last failure of a request, if the last request failed (what `close()` says it waited on). */
  #lastFailure: string | undefined
  /** The cycle's vanished copies so far (`vanishedRetried`). */
  #vanished = 0
  /** Aborts the request in flight and its retries when `close()` gives up. */
  readonly #giveUp = new AbortController()

  constructor(url: string, opts: WebhookOptions = {}) {
    // fetch() refuses a URL with credentials ("Request cannot be constructed from a URL that
    // includes credentials"): a `https://user:pass@host/ping` webhook never sent one ping (QA 30f).
    // They go as Basic auth, as curl sends them, and the URL without them.
    const parsed = new URL(url)
    if (parsed.username !== '' || parsed.password !== '') {
      const user = decodeOrAsIs(parsed.username)
      const pass = decodeOrAsIs(parsed.password)
      this.#authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
      parsed.username = ''
      parsed.password = ''
      this.#url = parsed.toString()
    } else {
      this.#url = url
    }
    this.#opts = {
      heartbeatMs: 60_000,
      timeoutMs: 10_000,
      retries: 3,
      retryDelayMs: 1000,
      maxQueue: 100,
      closeWaitMs: 10_000,
      interruptedFails: false,
      heldDeletesFail: false,
      vanishedRetried: false,
      fetch: globalThis.fetch,
      ...opts,
    }
  }

  /** Sends `URL/start`. */
  start(info: WebhookJobInfo): void {
    this.#push({ endpoint: '/start', body: { status: 'start', ts: Date.now(), ...info } })
  }

  /** Feeds one event of the run; only `done` events (one per run or cycle) are sent. */
  event(e: SyncEvent): void {
    if (this.#opts.vanishedRetried && isVanishedCopy(e)) this.#vanished++
    if (e.type !== 'done') return
    // (A watch's own last `done` counts none of them already: see `isVanishedCopy`.)
    const summary = e.summary.mode === 'watch' ? e.summary : withoutVanished(e.summary, this.#vanished)
    this.#vanished = 0
    const failed =
      summaryFailed(summary) ||
      (this.#opts.interruptedFails && summary.interrupted === true) ||
      (this.#opts.heldDeletesFail && summary.deletesSuppressed !== undefined)
    const ping: Ping = {
      endpoint: failed ? '/fail' : '',
      body: { status: failed ? 'fail' : 'success', ts: e.ts, summary },
    }
    this.#last = ping
    this.#push(ping)
    this.#armHeartbeat()
  }

  /**
   * Stops the heartbeat and waits (at most `closeWaitMs`) for queued requests to go out, retries
   * included; what is still queued then is given up, with a warning.
   */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    if (!this.#sending) return
    // A referenced timer: it keeps the process alive while the last pings (and their retry delays,
    // which are unreferenced) go out. Were it unreferenced too, a process with nothing else to do
    // would end here with the ping unsent (and Node's exit code 13 for the pending await).
    let timer: NodeJS.Timeout | undefined
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#opts.closeWaitMs)
    })
    const late = await Promise.race([this.#drained().then(() => false), gaveUp])
    clearTimeout(timer)
    if (late) {
      const pending = this.#queue.length + 1
      this.#queue.length = 0
      this.#giveUp.abort()
      this.#opts.onWarning?.(
        // "no answer" was said of a monitor that answered HTTP 500 to each retry (QA 30f): the last failure is said.
        `webhook ${shownUrl(this.#url)}: ${pending} ping${pending === 1 ? '' : 's'} not sent (${this.#lastFailure !== undefined ? `still failing after ${this.#opts.closeWaitMs / 1000} s: ${this.#lastFailure}` : `no answer within ${this.#opts.closeWaitMs / 1000} s`})`,
      )
    }
  }

  async #drained(): Promise<void> {
    while (this.#sending) await this.#sending
  }

  #armHeartbeat(): void {
    if (this.#opts.heartbeatMs <= 0 || this.#closed) return
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    this.#heartbeat = setInterval(() => {
      const last = this.#last
      if (!last || this.#queue.length > 0) return
      this.#push({ endpoint: last.endpoint, body: { ...(last.body as object), heartbeat: true, ts: Date.now() } })
    }, this.#opts.heartbeatMs)
    this.#heartbeat.unref()
  }

  #push(ping: Ping): void {
    this.#queue.push(ping)
    while (this.#queue.length > this.#opts.maxQueue) this.#queue.shift()
    this.#sending ??= this.#pump().finally(() => {
      this.#sending = undefined
    })
  }

  async #pump(): Promise<void> {
    for (let ping = this.#queue.shift(); ping; ping = this.#queue.shift()) {
      const error = await this.#send(ping)
      // Not the URL whole: its query may hold a token, printed to a log anyone may read (QA 30f).
      if (error) this.#opts.onWarning?.(`webhook ${shownUrl(endpointUrl(this.#url, ping.endpoint))}: ${error}`)
    }
  }

  /** Sends one ping with retries; resolves with the last error, or undefined on success. */
  async #send(ping: Ping): Promise<string | undefined> {
    const url = endpointUrl(this.#url, ping.endpoint)
    let error = ''
    for (let attempt = 0; attempt <= this.#opts.retries; attempt++) {
      // Given up by close(): it has said so.
      if (this.#giveUp.signal.aborted) return undefined
      if (attempt > 0) {
        const wait = this.#opts.retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)
        await new Promise((resolve) => setTimeout(resolve, wait).unref())
        // Given up while it waited (review 23b B6): no request more, which could hold the exit.
        if (this.#giveUp.signal.aborted) return undefined
      }
      // A timer of our own, not AbortSignal.timeout() inside AbortSignal.any(): on Node 20 the
      // garbage collector may take that timeout signal and its timer with it (nodejs/node#57736),
      // and a request the endpoint never answered hung for ever, taking every later ping with it (QA 23 #3).
      const timeout = new AbortController()
      const timer = setTimeout(
        () => timeout.abort(new Error(`no answer within ${this.#opts.timeoutMs / 1000} s`)),
        this.#opts.timeoutMs,
      )
      const onGiveUp = (): void => timeout.abort(this.#giveUp.signal.reason)
      this.#giveUp.signal.addEventListener('abort', onGiveUp, { once: true })
      try {
        const res = await this.#opts.fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'syncflow',
            ...(this.#authorization ? { authorization: this.#authorization } : {}),
          },
          body: JSON.stringify(ping.body),
          signal: timeout.signal,
        })
        await res.body?.cancel().catch(() => {})
        if (res.ok) {
          this.#lastFailure = undefined
          return undefined
        }
        error = `HTTP ${res.status}`
        this.#lastFailure = error
        // A client error other than throttling will not get better by retrying.
        if (res.status < 500 && res.status !== 429) return error
      } catch (err) {
        if (this.#giveUp.signal.aborted) return undefined
        error = failureOf(err)
        this.#lastFailure = error
      } finally {
        clearTimeout(timer)
        this.#giveUp.signal.removeEventListener('abort', onGiveUp)
      }
    }
    return `${error} (gave up after ${this.#opts.retries + 1} attempts)`
  }
}
