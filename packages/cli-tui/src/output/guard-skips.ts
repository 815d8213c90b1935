import type { NoticeCode } from '@syncflow/core'

/** Notices of a guard that kept every delete from running (the summary says why too). */
const DELETE_GUARDS: ReadonlySet<NoticeCode> = new Set([
  'DELETES_SUPPRESSED',
  'MAX_DELETE',
  'EMPTY_SOURCE',
  'INTERRUPTED',
])

/**
 * A guard's verdict is one notice and the summary; the deletes it held back ("skipped" one by one)
 * are listed only with -v: with 100,000 files they would bury the one useful line (a watch printed
 * 6,062 such lines for one `rm -rf SRC/*`, QA). One per run, or per cycle of a watch (`reset`).
 */
export class GuardSkips {
  #reason: string | undefined

  constructor(private readonly verbose: boolean) {}

  /** Notes a notice; true when it is a guard's. */
  notice(code: NoticeCode, message: string): boolean {
    if (!DELETE_GUARDS.has(code)) return false
    this.#reason = message
    return true
  }

  /** True for a skipped delete whose reason the guard's notice already gave (unless -v lists each). */
  said(reason: string, kind: string | undefined): boolean {
    return !this.verbose && kind === 'delete' && this.#reason?.startsWith(reason) === true
  }

  /** A new cycle (watch): its guard, if any, says so again. */
  reset(): void {
    this.#reason = undefined
  }
}
