import type { FailedEvent } from '@syncflow/core'
import { printableName } from './printable.js'

/** Refused files listed one by one before the rest are listed one per directory. */
export const REFUSALS_LISTED = 5
/** Directories named in the closing count of the refusals not listed (the rest are counted). */
const DIRS_NAMED = 5

/** What `RefusedLines` reads of a failure. */
type Refusal = Pick<FailedEvent, 'path' | 'stage' | 'error'>

/** Codes of a file refused for who runs (a policy, the server's permissions), not for the file. */
const REFUSED: ReadonlySet<string> = new Set(['AUTH', 'PERMISSION'])

/**
 * Bounds the failure lines of refused files: a policy that refuses one prefix (QA 32b) fails every
 * file under it, one line each, thousands for one directory, burying the rest. The first few are
 * listed, then the first of each other directory; the others are counted, and `tail` names where
 * (the summary counts them all, -v and --json list each).
 */
export class RefusedLines<E extends Refusal = FailedEvent> {
  #listed = 0
  /** The first refusal held back: `tail` lists it when it is the only one (its line is no longer than the count's). */
  #held: E | undefined
  /** Directories whose refusals were listed, and how many of each were not. */
  readonly #dirs = new Map<string, number>()

  constructor(private readonly verbose: boolean) {}

  /** True when `event`'s line is printed; false when it is counted instead. */
  shows(event: E): boolean {
    if (this.verbose || event.stage !== 'transfer' || event.path === '' || !REFUSED.has(event.error.code)) return true
    const slash = event.path.lastIndexOf('/')
    const dir = slash < 0 ? '' : event.path.slice(0, slash)
    const unlisted = this.#dirs.get(dir)
    if (this.#listed < REFUSALS_LISTED || unlisted === undefined) {
      this.#listed++
      this.#dirs.set(dir, unlisted ?? 0)
      return true
    }
    this.#dirs.set(dir, unlisted + 1)
    this.#held ??= event
    return false
  }

  /**
   * The line that counts the refusals not listed, and where they are; undefined when none. A
   * single one is listed instead, by `line` (its failure line): "1 more refused file not listed"
   * said less than the line itself would have.
   */
  tail(line: (event: E) => string): string | undefined {
    const counted = [...this.#dirs].filter(([, n]) => n > 0)
    if (counted.length === 0) return undefined
    const total = counted.reduce((sum, [, n]) => sum + n, 0)
    if (total === 1 && this.#held !== undefined) return line(this.#held)
    const named = counted
      .slice(0, DIRS_NAMED)
      .map(([dir, n]) => `${dir === '' ? 'the top' : `${printableName(dir)}/`} (${n})`)
      .join(', ')
    const more = counted.length > DIRS_NAMED ? ` and ${counted.length - DIRS_NAMED} more directories` : ''
    return `note: ${total} more refused file(s) not listed, in ${named}${more} (-v or --json lists each)`
  }
}
