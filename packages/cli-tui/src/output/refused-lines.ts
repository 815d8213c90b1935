import type { FailedEvent } from '@syncflow/core'
import { printableName } from './printable.js'

/** Refused files listed one by one before the rest are listed one per directory. */
export const REFUSALS_LISTED = 5
/** Directories named in the closing count of the refusals not listed (the rest are counted). */
const DIRS_NAMED = 5

/** Codes of a file refused for who runs (a policy, the server's permissions), not for the file. */
const REFUSED: ReadonlySet<string> = new Set(['AUTH', 'PERMISSION'])

/**
 * Bounds the failure lines of refused files: a policy that refuses one prefix (QA 32b) fails every
 * file under it, one line each, thousands for one directory, burying the rest. The first few are
 * listed, then the first of each other directory; the others are counted, and `tail` names where
 * (the summary counts them all, -v and --json list each).
 */
export class RefusedLines {
  #listed = 0
  /** Directories whose refusals were listed, and how many of each were not. */
  readonly #dirs = new Map<string, number>()

  constructor(private readonly verbose: boolean) {}

  /** True when `event`'s line is printed; false when it is counted instead. */
  shows(event: Pick<FailedEvent, 'path' | 'stage' | 'error'>): boolean {
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
    return false
  }

  /** The line that counts the refusals not listed, and where they are; undefined when none. */
  tail(): string | undefined {
    const counted = [...this.#dirs].filter(([, n]) => n > 0)
    if (counted.length === 0) return undefined
    const total = counted.reduce((sum, [, n]) => sum + n, 0)
    const named = counted
      .slice(0, DIRS_NAMED)
      .map(([dir, n]) => `${dir === '' ? 'the top' : `${printableName(dir)}/`} (${n})`)
      .join(', ')
    const more = counted.length > DIRS_NAMED ? ` and ${counted.length - DIRS_NAMED} more directories` : ''
    return `note: ${total} more refused file(s) not listed, in ${named}${more} (-v or --json lists each)`
  }
}
