import type { NoticeCode } from '@syncflow/core'

/** What the user can do about a notice, in terms of CLI flags (the engine knows no flags). */
export const NOTICE_HINTS: Partial<Record<NoticeCode, string>> = {
  // They hold back every run's deletes until fixed: how to get out (QA 22 #7, #12).
  DELETES_SUPPRESSED:
    'They run on the first run where every item succeeds and every part can be listed: fix what failed (above), or --exclude it.',
  EMPTY_SOURCE:
    'If the target is meant to be emptied, run again with --allow-empty-source (-v lists the deletes not run).',
  MAX_DELETE:
    'Check the source first (-v lists the deletes not run); if they are intended, raise --max-delete or leave it out. A directory renamed between two local directories? --track-renames renames it instead, and a rename is no delete.',
  SYMLINKS_UNSUPPORTED:
    '--symlinks follow copies what they point to (from a local source: `syncflow serve` never follows them); --symlinks skip leaves them out without a word (a mirror keeps what the target has there; -v lists the links).',
  CONCURRENCY_LOWERED:
    'Raise the limit (ulimit -n, LimitNOFILE= of a systemd service) to run more at once, or give a --concurrency within it.',
  NO_COMMON_HASH:
    'Where no hash of the same kind is on both sides, --checksum compares size and mtime instead, as a run without it does.',
}

/**
 * Two-way sync's own words where `NOTICE_HINTS` speak of a source and a target: a guard's verdict
 * there names the side with no files left (or that lost them) and the side its deletes would empty,
 * and holds back the writes into the first as well (an unmounted disk's mount point).
 */
export const BISYNC_NOTICE_HINTS: Partial<Record<NoticeCode, string>> = {
  EMPTY_SOURCE:
    'Nothing was written to the side with no files left either: if it is a disk not mounted, mount it and run again; if its files were deleted on purpose, run again with --allow-empty-source to delete them on the other side too (-v lists the deletes not run).',
  MAX_DELETE:
    'Nothing was written to the side the files went from either: check it first (a disk not mounted, a wrong path; -v lists the deletes not run); if the deletes are intended, raise --max-delete or leave it out. A directory renamed between two local directories? --track-renames renames it instead, and a rename is no delete.',
}

/**
 * A watch's own words where they differ from `NOTICE_HINTS`: deletes held back by a failure are not
 * left for the user to run (review 38): the watch tries what failed again by itself and runs them
 * with the first try that succeeds (a rename's old name once the new name's copy landed).
 */
export const WATCH_NOTICE_HINTS: Partial<Record<NoticeCode, string>> = {
  DELETES_SUPPRESSED:
    'They run with the first later try of what failed that succeeds: the watch tries again by itself what may pass (a file being written, a permission, a server); what keeps failing, fix (above) or --exclude.',
}

/**
 * A two-way watch's own words for the guards of deletes (whose notes name sides A and B, as a
 * one-shot `bisync`'s do): what it holds (the deletes, and every write into the side that lost its
 * files: an unmounted disk's old files must not come back as edits), in every pass, and how to get
 * on, which is not "run again" as for `bisync`.
 */
export const TWO_WAY_WATCH_NOTICE_HINTS: Partial<Record<NoticeCode, string>> = {
  MAX_DELETE:
    'Nothing is written meanwhile to the side the files went from (-v lists both). Deleted on purpose? Stop (Ctrl-C) and start again with a higher --max-delete (a directory renamed between two local directories: with --track-renames, which renames it, and a rename is no delete). If not (a disk not mounted, a folder moved away), put them back: syncing then goes on by itself.',
  EMPTY_SOURCE:
    'Nothing is deleted or written meanwhile. Emptied on purpose? Stop (Ctrl-C) and start again with --allow-empty-source. If not (a disk not mounted), put its files back: syncing then goes on by itself.',
}
