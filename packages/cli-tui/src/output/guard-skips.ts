import type { NoticeCode, SkippedEvent } from '@syncflow/core'

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

  /**
   * True for a skip a notice says for all (unless -v lists each): a delete whose reason the guard's
   * notice already gave, or a source symlink the target cannot store (the only skip of a symlink),
   * which the run's one SYMLINKS_UNSUPPORTED notice counts (QA 10 #9: 10,000 links, 10,000 lines).
   */
  said(event: Pick<SkippedEvent, 'reason' | 'action'>): boolean {
    if (this.verbose) return false
    const { action } = event
    if (action?.kind === 'skip' && action.source?.kind === 'symlink') return true
    return action?.kind === 'delete' && this.#reason?.startsWith(event.reason) === true
  }

  /** A new cycle (watch): its guard, if any, says so again. */
  reset(): void {
    this.#reason = undefined
  }
}
