import type { MaxDelete } from '../engine/sync-options.js'
import { hasUnsafeCharacter } from '../model/rel-path.js'
import type { NoticeCode } from '../model/sync-event.js'

/** What the delete guard looks at, once all transfers have finished. */
export interface DeleteGuardInput {
  readonly deletes: number
  /**
   * Of `deletes`, those of directories: held back with the rest, but not counted against
   * `--max-delete`, which counts files as the target's file count does (QA 16 F5: one file and
   * five emptied directories read as "6 deletes (300% of the target)"). [0]
   */
  readonly dirDeletes?: number
  /** Of `deletes`, those of files `MaxDelete.uncounted` takes: not counted against it. [0] */
  readonly uncountedDeletes?: number
  /** Files (not directories) the target listed. */
  readonly targetFiles: number
  /** Files the source listed (the filters applied). */
  readonly sourceFiles: number
  /**
   * Source entries (files or directories) the filters (`--include`, `--exclude`, `.syncflowignore`)
   * left out. With no source file listed, more than 0 means the source is not empty but filtered
   * to nothing, and the guard says so. [unknown: the guard speaks of an empty source]
   */
  readonly sourceExcluded?: number
  readonly failures: number
  readonly listingErrors: number
  readonly aborted: boolean
  readonly maxDelete?: MaxDelete
  readonly allowEmptySource?: boolean
  /**
   * What the reasons call the two sides: two-way sync's `A` and `B` (the side read, the side
   * deleted from), where "the source" and "the target" would name neither. [the source, the target]
   */
  readonly sideNames?: { readonly source: string; readonly target: string }
}

/**
 * Whether a listing error holds back the run's deletes: every one does (an unreadable directory
 * must never read as "no files"), except a name skipped for a character no RelPath may hold (a
 * tab, a newline): no RelPath names that file on either side, so nothing planned is its
 * counterpart. Such a name is still reported (the run exits 1), but a single odd name no longer
 * stops a mirror from ever deleting again.
 *
 * A name that is not UTF-8 holds the deletes back whatever else it holds (QA F9: `a<TAB>\xe9` let
 * a mirror delete, `caf\xe9` did not): its bytes are not known here, only their decoding with
 * U+FFFD, which is not the name. It is told by that U+FFFD in the path (as the local backend
 * reports it; a listing error carries no more): a genuine U+FFFD beside a control character, a
 * rarer name still, holds them back too, the safe side.
 */
export function listingErrorHoldsDeletes(error: { readonly code: string; readonly path?: string }): boolean {
  if (error.code !== 'INVALID_PATH' || error.path === undefined || error.path.includes('\ufffd')) return true
  return !hasUnsafeCharacter(error.path)
}

/** The verdict: run the deletes, or not and why. */
export type DeleteGuardVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: NoticeCode; readonly reason: string }

/**
 * Deletes run only when nothing went wrong: no failed action, no listing error (an unreadable
 * directory must never read as "no files"), not interrupted, within `--max-delete`, and not an
 * empty source emptying a non-empty target unless `--allow-empty-source` says so.
 */
export function guardDeletes(input: DeleteGuardInput): DeleteGuardVerdict {
  if (input.deletes === 0) return { allowed: true }
  const n = input.deletes
  if (input.aborted) return { allowed: false, code: 'INTERRUPTED', reason: `interrupted: ${n} delete(s) not run` }
  if (input.listingErrors > 0) {
    return {
      allowed: false,
      code: 'DELETES_SUPPRESSED',
      reason: `${input.listingErrors} listing error(s): ${n} delete(s) not run, since a part of a tree could not be read`,
    }
  }
  if (input.failures > 0) {
    return {
      allowed: false,
      code: 'DELETES_SUPPRESSED',
      reason: `${input.failures} failed item(s): ${n} delete(s) not run`,
    }
  }
  const names = input.sideNames
  if (input.sourceFiles === 0 && input.targetFiles > 0 && !input.allowEmptySource) {
    // A source filtered to nothing is not an empty one: the fix is in the filters, not the source.
    const why =
      (input.sourceExcluded ?? 0) > 0
        ? `every ${names ? `file of ${names.source}` : 'source file'} is excluded by the filters (--include, --exclude, .syncflowignore)`
        : `${names?.source ?? 'the source'} is empty`
    return {
      allowed: false,
      code: 'EMPTY_SOURCE',
      reason: `${why}: refusing to delete all ${input.targetFiles} file(s) of ${names?.target ?? 'the target'} (use --allow-empty-source if that is what you want)`,
    }
  }
  const max = input.maxDelete
  const files = n - (input.dirDeletes ?? 0) - (input.uncountedDeletes ?? 0)
  // Only directories, or files the limit does not count: nothing to count (once a watch's budget
  // was spent, "0 deletes (with the 2 … run since the last full sync) exceed" held them too).
  if (files <= 0 && !(max && 'percent' in max && max.ofTargetFiles === null)) return { allowed: true }
  const already = max?.alreadyDeleted ?? 0
  if (max && 'count' in max && files + already > max.count) {
    return {
      allowed: false,
      code: 'MAX_DELETE',
      reason: `${deletes(files)}${alreadySaid(already)} ${files === 1 ? 'exceeds' : 'exceed'} --max-delete ${max.count}: none run`,
    }
  }
  if (max && 'percent' in max) return percentVerdict(files, input.targetFiles, max, names?.target)
  return { allowed: true }
}

/** The deletes a watch ran since its last full pass, said beside a cycle's (see `MaxDelete`). */
function alreadySaid(already: number): string {
  return already > 0 ? ` (with the ${deletes(already)} run since the last full sync)` : ''
}

/** `--max-delete P%`: the share of the target's files that `n` deletes are (see `MaxDelete`). */
function percentVerdict(
  n: number,
  listedFiles: number,
  max: { readonly percent: number; readonly ofTargetFiles?: number | null; readonly alreadyDeleted?: number },
  /** The name of the side deleted from (two-way sync's `A` or `B`), else "the target". */
  target?: string,
): DeleteGuardVerdict {
  if (max.ofTargetFiles === null) {
    return {
      allowed: false,
      code: 'MAX_DELETE',
      reason: `${deletes(n)} held back: --max-delete ${max.percent}% is measured against ${target ?? 'the target'}'s file count, not known until a full sync has listed ${target ?? 'the target'} (the next one runs them, or refuses them)`,
    }
  }
  // A count kept up to date between full passes may drift below what this run listed (files put
  // into the target by someone else): what is known to be there is the floor.
  const files = max.ofTargetFiles === undefined ? listedFiles : Math.max(max.ofTargetFiles, listedFiles)
  const already = max.alreadyDeleted ?? 0
  const all = n + already
  if (files === 0 || (all / files) * 100 <= max.percent) return { allowed: true }
  const pct = ((all / files) * 100).toFixed(1)
  // (Named, a side's file count is said: "75.0% of B" read as a share of the side's bytes.)
  const of =
    max.ofTargetFiles === undefined && target === undefined
      ? 'the target'
      : `${target ?? 'the target'}'s ${files} files`
  return {
    allowed: false,
    code: 'MAX_DELETE',
    reason:
      already > 0
        ? `${deletes(n)} (with the ${deletes(already)} run since the last full sync, ${pct}% of ${of}) exceed --max-delete ${max.percent}%: none run`
        : `${deletes(n)} (${pct}% of ${of}) ${n === 1 ? 'exceeds' : 'exceed'} --max-delete ${max.percent}%: none run`,
  }
}

/** "1 delete", "6 deletes". */
function deletes(n: number): string {
  return n === 1 ? '1 delete' : `${n} deletes`
}
