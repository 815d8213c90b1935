import type { ActionCounts, ActionKind, SyncSummary } from '@syncflow/core'
import { formatBytes, formatDuration, formatRate, plural } from './format-units.js'

const ORDER: readonly ActionKind[] = ['copy', 'update', 'delete', 'move', 'touch', 'mkdir', 'conflict']
/**
 * The words of each count: per action kind, `chmod` (a directory's mode set), `fileChmod` (a
 * file's) and `fileChmodTouch` (a file's mode and mtime set).
 */
type Words = Record<ActionKind | 'chmod' | 'fileChmod' | 'fileChmodTouch', string>

const PAST: Words = {
  copy: 'copied',
  update: 'updated',
  delete: 'deleted',
  move: 'moved',
  touch: 'touched',
  mkdir: 'created',
  chmod: 'chmod',
  fileChmod: 'chmod',
  fileChmodTouch: 'chmod+touched',
  conflict: 'conflicts',
  skip: 'skipped',
}

/** One count of the summary: its verb, how many, and whether it counts directories. */
interface Count {
  readonly word: string
  readonly n: number
  readonly dirs: boolean
  /** Of `n`, how many were directories (a touch or a delete): said apart. */
  readonly ofDirs?: number
}

/**
 * The counts of a summary in a fixed order. A `mkdir` of a directory the target had only set its
 * mode: counted apart, as `chmod` (as its action line says), not as a directory created; so is a
 * `touch` that only set a file's mode (`fileModes`), not as a file touched.
 */
function countsOf(
  c: ActionCounts,
  modes: number,
  words: Words,
  dirs?: { readonly touch: number; readonly delete: number },
  fileModes = 0,
  fileModesAndMtimes = 0,
): Count[] {
  const out: Count[] = []
  for (const kind of ORDER) {
    const n = (c[kind] ?? 0) - (kind === 'mkdir' ? modes : kind === 'touch' ? fileModes + fileModesAndMtimes : 0)
    const ofDirs = kind === 'touch' || kind === 'delete' ? (dirs?.[kind] ?? 0) : 0
    if (n > 0) out.push({ word: words[kind], n, dirs: kind === 'mkdir', ...(ofDirs > 0 ? { ofDirs } : {}) })
    if (kind === 'touch' && fileModes > 0) out.push({ word: words.fileChmod, n: fileModes, dirs: false })
    if (kind === 'touch' && fileModesAndMtimes > 0) {
      out.push({ word: words.fileChmodTouch, n: fileModesAndMtimes, dirs: false })
    }
    if (kind === 'mkdir' && modes > 0) out.push({ word: words.chmod, n: modes, dirs: true })
  }
  return out
}

/** `copied 3 files, deleted 1, created 2 directories`: the first file count and every directory count say their noun. */
function counts(list: Count[]): string[] {
  let named = false
  return list.map(({ word, n, dirs, ofDirs = 0 }) => {
    if (dirs) return `${word} ${plural(n, 'directory', 'directories')}`
    if (ofDirs > 0) {
      // `deleted 3 files and 2 directories`, `touched 1 directory`: both nouns, whatever came before.
      named = true
      const d = plural(ofDirs, 'directory', 'directories')
      return n > ofDirs ? `${word} ${plural(n - ofDirs, 'file')} and ${d}` : `${word} ${d}`
    }
    if (named) return `${word} ${n}`
    named = true
    return `${word} ${plural(n, 'file')}`
  })
}

function errorCodes(s: SyncSummary): string {
  const parts = Object.entries(s.errorCodes)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([code, n]) => `${code} ${n}`)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

/**
 * Where the run's fatal error (`summary.fatal`) is printed when not in the summary: `above` (its
 * failure was said in full as it happened), `below` (right after the summary).
 */
export type FatalSaid = 'above' | 'below'

/** Tail sentences shared by every summary: failures, guards, interruption. `check` deletes nothing anyway. */
function tail(s: SyncSummary, check = false, fatalSaid?: FatalSaid): string[] {
  const out: string[] = []
  if (s.failed > 0) out.push(`${plural(s.failed, 'item')} failed${errorCodes(s)}.`)
  // `check` says it in its first sentence (what could not be listed was not compared).
  // A watch's total spans cycles: those with a listing error deleted nothing, the others did.
  // copy never deletes: its listing errors are in the failed count, with nothing more to say.
  // Deletes held back for it say so themselves ("Deletes suppressed: 1 listing error(s): …"), once.
  const suppressedForIt = s.deletesSuppressed !== undefined && s.mode !== 'watch'
  if (s.listingErrors > 0 && !check && s.mode !== 'copy' && !suppressedForIt) {
    out.push(
      s.mode === 'watch'
        ? `${plural(s.listingErrors, 'listing error')}: the cycles that met one deleted nothing.`
        : `${plural(s.listingErrors, 'listing error')}, so nothing was deleted.`,
    )
  }
  if (s.skipped > 0) out.push(`${s.skipped} skipped.`)
  if (s.deletesSuppressed) out.push(`Deletes suppressed: ${s.deletesSuppressed}.`)
  // A watch always ends by being stopped: whatever it had not synced yet, the next watch does first.
  // (A dry run saved nothing: QA 23 #9.)
  if (s.interrupted && s.dryRun) out.push(s.mode === 'watch' ? 'Stopped.' : 'Interrupted.')
  else if (s.interrupted && s.mode === 'watch')
    out.push('Stopped: what finished is saved; watching again resumes from there.')
  else if (s.interrupted) out.push('Interrupted: what finished is saved; run the same command again to complete it.')
  // (A one-shot run prints its fatal error once, on its own lines: the summary only points at it.)
  if (s.fatal && fatalSaid === undefined) out.push(`Stopped: ${s.fatal.message}`)
  else if (s.fatal && fatalSaid === 'above') out.push('Stopped by the failure above.')
  return out
}

/**
 * The files --ignore-existing or --update left as they are without finding them identical, after "N unchanged"
 * (they were counted in it, and said unchanged although they differ: QA 27d).
 */
function leftExisting(s: SyncSummary): string {
  const n = s.leftExisting ?? 0
  const newer = s.leftNewer ?? 0
  return (
    (n > 0 ? `, ${n} existing left as ${n === 1 ? 'it is' : 'they are'} (--ignore-existing)` : '') +
    (newer > 0 ? `, ${newer} newer on the target left as ${newer === 1 ? 'it is' : 'they are'} (--update)` : '')
  )
}

/**
 * The one-paragraph summary printed at the end of `sync`/`copy`/`restore` (not with --json or -q).
 * `bytesPlanned` (from the progress tracker) sizes what a dry run would have copied. A run stopped
 * by a fatal error after it did something (a listing that failed once transfers had started) says
 * what it did; `fatalSaid` tells where its error is printed, else the summary quotes it.
 */
export function formatSummary(s: SyncSummary, bytesPlanned = 0, fatalSaid?: FatalSaid, hardLinked = 0): string {
  const took = formatDuration(s.durationMs)
  const out: string[] = []
  /** The counts of what was done, in `words` (a dry run's "would …", a run's past tense). */
  const tally = (words: Words, done: ActionCounts = s.done): string[] =>
    counts(
      countsOf(
        done,
        s.modesSet?.done ?? 0,
        words,
        s.dirActions?.done,
        s.fileModesSet?.done,
        s.fileModesAndMtimesSet?.done,
      ),
    )
  if (s.dryRun) {
    // What the real run would do: what the dry run went through (its `completed` events), not what
    // was planned. A guard that suppressed the deletes would suppress them then too, and an entry
    // --ignore-existing keeps in the way is neither replaced nor deleted (review 24 #6).
    const would = tally(ORDER_WORDS_PRESENT)
    const what = would.length > 0 ? `would ${would.join(', ')}` : 'nothing to do'
    const size = bytesPlanned > 0 ? ` (${formatBytes(bytesPlanned)} to transfer)` : ''
    out.push(
      `Dry run ${s.fatal ? 'stopped after' : 'in'} ${took}, nothing written: ${what}${size}; ${s.unchanged} unchanged${leftExisting(s)}.`,
    )
    if (s.linked)
      out.push(
        `Of the files to copy, ${s.linked === 1 ? '1 would be' : `${s.linked.toLocaleString('en-US')} would be`} hard-linked from --link-dest (no bytes copied).`,
      )
    if (s.sourceRemoved) out.push(`${filesCount(s.sourceRemoved)} would be removed from the source.`)
  } else {
    // A move within one file system renamed its files (linked, then the source name removed): said
    // `moved`, not copied, and not counted again as removed from the source.
    const moved = s.moved ?? 0
    const did = tally(PAST, moved > 0 ? { ...s.done, copy: s.done.copy - moved, move: s.done.move + moved } : s.done)
    // Nothing done because everything failed, or because the run was stopped, is not "nothing to do".
    const what = did.length > 0 ? did.join(', ') : s.failed > 0 || s.interrupted ? 'nothing done' : 'nothing to do'
    const bytes = s.bytesTransferred > 0 ? `, ${formatBytes(s.bytesTransferred)} transferred` : ''
    out.push(
      `${s.fatal ? 'Stopped after' : 'Done in'} ${took}: ${what}${bytes}; ${s.unchanged} unchanged${leftExisting(s)}.`,
    )
    // --backup-dir: what was kept there, so that a user sees the backups happen.
    if (s.kept)
      out.push(
        `${s.kept === 1 ? '1 old file' : `${s.kept.toLocaleString('en-US')} old files`} kept in the backup directory.`,
      )
    // --link-dest: how much of the snapshot cost no copy; -H: how many names joined their file's first.
    const fromDest = (s.linked ?? 0) - hardLinked
    if (fromDest > 0)
      out.push(
        `Of the files copied, ${fromDest === 1 ? '1 was' : `${fromDest.toLocaleString('en-US')} were`} hard-linked from --link-dest (no bytes copied).`,
      )
    if (hardLinked > 0)
      out.push(
        `${hardLinked === 1 ? '1 name was' : `${hardLinked.toLocaleString('en-US')} names were`} hard-linked to another name of the same file (-H: no bytes copied).`,
      )
    // --remove-source-files / move: what left the source.
    const removed = (s.sourceRemoved ?? 0) - moved
    if (removed > 0 || s.sourceDirsRemoved) {
      const dirs = s.sourceDirsRemoved
        ? `${s.sourceDirsRemoved === 1 ? '1 empty directory' : `${s.sourceDirsRemoved.toLocaleString('en-US')} empty directories`}`
        : ''
      out.push(
        `${[removed > 0 ? (moved > 0 ? `${removed.toLocaleString('en-US')} more ${removed === 1 ? 'file' : 'files'}` : filesCount(removed)) : '', dirs].filter((w) => w).join(' and ')} removed from the source.`,
      )
    }
    // (A run that moved no byte, a move by renames, says its pace in files only: not "0 B/s".)
    const files = `${s.filesPerSec.toFixed(s.filesPerSec < 10 ? 1 : 0)} files/s.`
    if (s.bytesTransferred > 0) out.push(`${formatRate(s.bytesPerSec)}, ${files}`)
    else if (s.filesPerSec > 0) out.push(files)
  }
  out.push(...tail(s, false, fatalSaid))
  return `${out.join(' ')}\n`
}

const ORDER_WORDS_PRESENT: Words = {
  copy: 'copy',
  update: 'update',
  delete: 'delete',
  move: 'move',
  touch: 'touch',
  mkdir: 'create',
  chmod: 'chmod',
  fileChmod: 'chmod',
  fileChmodTouch: 'chmod+touch',
  conflict: 'report conflicts for',
  skip: 'skip',
}

/** Number of actions done (in a dry run: that would be). */
export function doneCount(s: SyncSummary): number {
  let n = 0
  for (const kind of ORDER) n += s.done[kind] ?? 0
  return n
}

/** Number of differences `check` found (every planned action but `skip`). */
export function differenceCount(s: SyncSummary): number {
  let n = 0
  for (const kind of ORDER) n += s.planned[kind] ?? 0
  return n
}

/**
 * The summary of `check`: in sync, or how many differences of which kind. Never "in sync" when
 * something could not be read, or the check was interrupted: those items were not compared.
 */
export function formatCheckSummary(s: SyncSummary, fatalSaid?: FatalSaid): string {
  const n = differenceCount(s)
  const took = formatDuration(s.durationMs)
  const unread = s.listingErrors > 0 ? ' Parts that could not be listed were not compared.' : ''
  const head =
    n > 0
      ? `${plural(n, 'difference')}: ${countsOf(
          s.planned,
          s.modesSet?.planned ?? 0,
          TO_WORDS,
          undefined,
          s.fileModesSet?.planned,
          s.fileModesAndMtimesSet?.planned,
        )
          .map((c) => `${c.n} ${c.n === 1 ? singular(c.word) : c.word}`)
          .join(', ')}; ${s.unchanged} identical.${unread}`
      : s.failed > 0 || s.listingErrors > 0
        ? `Could not compare ${plural(Math.max(s.failed, s.listingErrors), 'item')}; no differences among the ${plural(s.unchanged, 'file')} compared (${took}).`
        : s.interrupted
          ? // Not "In sync" (then "Interrupted."): what was not compared yet may differ (QA 29b).
            `Stopped before every file was compared: no differences among the ${plural(s.unchanged, 'file')} compared (${took}).`
          : `In sync: ${plural(s.unchanged, 'file')} compared, no differences (${took}).`
  return `${[head, ...tail(s, true, fatalSaid)].join(' ')}\n`
}

/** `dirs to create` → `dir to create`, `dir modes to set` → `dir mode to set` (for a count of 1). */
function singular(words: string): string {
  return words
    .replace(/^dirs /, 'dir ')
    .replace(/^(dir )?modes /, '$1mode ')
    .replace(/^mode and mtimes /, 'mode and mtime ')
}

const TO_WORDS: Words = {
  copy: 'to copy',
  update: 'to update',
  delete: 'to delete',
  move: 'to move',
  touch: 'mtime only',
  mkdir: 'dirs to create',
  chmod: 'dir modes to set',
  fileChmod: 'modes to set',
  fileChmodTouch: 'modes and mtimes to set',
  conflict: 'conflicts',
  skip: 'skipped',
}

/** `1 file`, `1,234 files`. */
function filesCount(n: number): string {
  return n === 1 ? '1 file' : `${n.toLocaleString('en-US')} files`
}
