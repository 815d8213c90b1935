import type { SchedulerLike } from 'rxjs'
import type { Backend } from '../backend/backend.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { StateStore } from '../state/state-store.js'

/** How two files are judged equal. */
export type CompareMode = 'size-mtime' | 'checksum' | 'size-only'

/** A limit on deletes: an absolute count or a percentage of the target's files. */
export type MaxDelete =
  | {
      readonly count: number
      /** Deletes already run in the same budget (see the percentage's). [0] */
      readonly alreadyDeleted?: number
      /** Deletes not counted (see the percentage's). [none] */
      readonly uncounted?: (path: string) => boolean
    }
  | {
      readonly percent: number
      /**
       * Files a `watch` deleted since its last full pass, which this run's deletes add to: the limit
       * holds for all of them together, of the file count that pass listed (`ofTargetFiles`), so an
       * `rm -rf` slower than a cycle is not let through a cycle's share at a time. [0]
       */
      readonly alreadyDeleted?: number
      /**
       * Deletes of files not counted against the limit: a `watch`'s files copied since its last full
       * pass, which were not there to protect (a build's temp files). Once the budget was spent,
       * their deletes were held with the rest, and they stayed in the mirror. [none]
       */
      readonly uncounted?: (path: string) => boolean
      /**
       * The target's file count to measure the percentage against, for a run whose target listing
       * is not the whole target (a `watch` cycle lists only its changed paths): the files the last
       * full pass listed, kept up to date since. `null`: not known yet, and every delete is held
       * back (a percentage of an unknown whole cannot be judged). [the files the run listed]
       */
      readonly ofTargetFiles?: number | null
    }

/** Options of `sync` and `check`. Defaults in brackets. */
export interface SyncOptions {
  /** `mirror` deletes extraneous target files; `copy` never deletes. */
  readonly mode: 'mirror' | 'copy'
  /** Plan and report without writing anything (state store included). [false] */
  readonly dryRun?: boolean
  /** [size-mtime] */
  readonly compare?: CompareMode
  /** Mtimes closer than this are equal. [the coarser `mtimePrecisionMs` of the two sides] */
  readonly modifyWindowMs?: number
  /**
   * Whatever the target already has at a path (but a directory's mode and mtime) is left as it is:
   * only what it lacks is copied, as rsync's and rclone's `--ignore-existing` (a mirror still
   * deletes). Nothing is recorded as in sync on such a run. [false]
   */
  readonly ignoreExisting?: boolean
  /**
   * A target file whose mtime is newer than the source's (beyond the modify window) is left as it is,
   * as `rsync --update` and `rclone --update`; a file replaced by another kind of entry, or a
   * symlink, is not concerned. [false]
   */
  readonly skipNewer?: boolean
  /**
   * Source files larger than this many bytes are not transferred (rsync's and rclone's `--max-size`):
   * not copied, and a copy the target has is left as it is (neither updated nor deleted). [no limit]
   */
  readonly maxSize?: number
  /** As `maxSize`, for files smaller than this many bytes (`--min-size`). [no limit] */
  readonly minSize?: number
  /**
   * Source files whose mtime is further back than this many ms from the start of the run are not
   * transferred (rclone's `--max-age`), as `maxSize`: a copy the target has is left as it is. Counted
   * anew at each run, so each cycle of a continuous job counts from its own start. [no limit]
   */
  readonly maxAgeMs?: number
  /** As `maxAgeMs`, for files modified less than this many ms before the run starts (`--min-age`). [no limit] */
  readonly minAgeMs?: number
  /** Actions executed at once. [the larger `preferredConcurrency` of the two backends, else 8] */
  readonly concurrency?: number
  /** Which paths take part (excluded ones are neither copied nor deleted). [all] */
  readonly filter?: PathFilter
  /**
   * `--exclude-if-present`: marker file names. A directory holding an entry of one of these names,
   * on either side, is excluded on both with all below it (`deleteExcluded` deletes the target's copy
   * of one the source marks). Both backends must have `capabilities.excludeIfPresent`. [none]
   */
  readonly excludeIfPresent?: readonly string[]
  /** Called for each directory a listing finds marked (`excludeIfPresent`), with its side. [none] */
  readonly onMarked?: (dir: string, side: 'source' | 'target') => void
  /** Also delete target files that the filter excludes (mirror only). [false] */
  readonly deleteExcluded?: boolean
  /** Refuse to delete more than this; the run then deletes nothing and says why. [no limit] */
  readonly maxDelete?: MaxDelete
  /** Allow an empty source root to empty a non-empty target. [false] */
  readonly allowEmptySource?: boolean
  /**
   * A mirror's deletes run first, in a pass of their own, then the transfers (rsync and rclone
   * `--delete-before`): for a target that has no room for the new files until the old ones are
   * gone (by default deletes wait for every transfer to succeed, so such a run never converged: QA
   * 22 #6). The deletes are guarded as ever (a listing error, `maxDelete`, an empty source hold them
   * back), but no longer wait for the transfers. Both sides are listed twice; memory stays flat. Not
   * in a dry run, whose plan is the same either way. [false]
   */
  readonly deleteBefore?: boolean
  /**
   * A mirror pairs the target files it would delete with new source files of the same size and
   * content (a hash both sides offer: S3's MD5 as listed, one a `syncflow serve` computes, a local
   * file read), and renames them on the target instead of copying the new file and deleting the old
   * (rclone's `--track-renames`): a renamed directory of big files costs renames (S3: server-side
   * copies), not its bytes again. Files of at least `RENAME_MIN_BYTES` (64 KiB) only; not with
   * `backupTo` (a backup keeps what a delete removes), `deleteBefore`, nor where the two sides share
   * no hash or the target cannot move. Nothing is paired after a listing error. Undefined pairs
   * where a pair costs less than a copy: not between two backends whose `hash()` reads the file
   * here (`capabilities.hashReadsContent`: two local directories, measured slower paired than
   * copied), true pairs there too (a rename on a nearly full disk needs no room for a second copy).
   * [undefined]
   */
  readonly trackRenames?: boolean
  /**
   * A target file about to be replaced or deleted is first kept here, at its path (rsync's and
   * rclone's `--backup-dir`): a hard link where both are local directories on one filesystem, a
   * server-side copy where the backends can, a copy of its bytes otherwise. One that cannot be kept
   * is left as it is (its action fails). Not in a dry run. [none]
   */
  readonly backupTo?: Backend
  /**
   * Added to the name of each file kept in `backupTo` (rsync's and rclone's `--suffix`), so that
   * one backup directory holds several old versions: `f.txt` kept as `f.txt.2026-12-05`. [none]
   */
  readonly backupSuffix?: string
  /** The suffix goes before the name's extension (rclone's `--suffix-keep-extension`): `f.2026-12-05.txt`. [false] */
  readonly backupSuffixKeepsExtension?: boolean
  /**
   * rsync's `--link-dest`: directories holding an earlier copy of the tree (the last snapshot). A
   * file the target lacks that one of them holds unchanged (same size, mtime within the modify
   * window, and permissions; under `compare: 'checksum'` the same hash too) is hard-linked from
   * there rather than copied (`linkFrom`: a local target and directory on one file system; else it
   * is copied), so that each snapshot of a tree costs only the files that changed. Tried in order.
   * Safe for the directory linked from: the engine never writes a file in place, and refuses to
   * chmod or touch one other names share (it rewrites it instead). [none]
   */
  readonly linkDest?: readonly Backend[]
  /**
   * rsync's `--remove-source-files` (rclone's `move`): each source file (or symlink) the target
   * holds once the run is through with it, copied or found there unchanged, is deleted from the
   * source, while it is still what was listed (one that changed since is kept and reported as
   * failed). A file left alone (failed, skipped, `ignoreExisting`'s or `skipNewer`'s different
   * one, excluded) is kept; directories are kept. The target's copies are made durable first
   * (`Flushable`). Only with `mode: 'copy'`. [false]
   */
  readonly removeSourceFiles?: boolean
  /**
   * rclone's `--delete-empty-src-dirs`, with `removeSourceFiles`: the source directories the run
   * left empty are removed at the end too (deepest first; never the root, never one holding
   * anything). [false]
   */
  readonly removeEmptySourceDirs?: boolean
  /**
   * With `removeSourceFiles`: source files copied (or found on the target) as any other, but never
   * removed from the source: the source's `.syncflowignore`, whose rules a next move of the same
   * source still needs (the CLI passes it). [none]
   */
  readonly keepSourcePaths?: readonly string[]
  /**
   * rsync's `-H`: the names of one source file (a file of several names: `Entry.linkId`) that the
   * run syncs become names of one target file. The first name in listing order is transferred as
   * any other; each later one is hard-linked to its target file once that one's action completed
   * (a copy of its own where it failed). Target names that are that one file already are left as
   * they are; separate files become links (a run without it made them); a target name linked to
   * another name the source does not link it to is written anew (the other keeps the file). Needs
   * a source and a target that list link identities (`capabilities.linkIds`) and a target that
   * can link (`LinkFromCapable`): two local directories; else the run is refused (`USAGE`). [false]
   */
  readonly hardLinks?: boolean
  /** The job's state store; absent = no state (`--no-state`). */
  readonly state?: StateStore
  /** Retries of a TRANSIENT failure per action. [3] */
  readonly retries?: number
  /** Base delay of the exponential backoff (with full jitter). [250 ms] */
  readonly retryDelayMs?: number
  /** Total transfer rate cap in bytes/s; 0 = unlimited. [0] */
  readonly bwlimit?: number
  /** Interval of `stats` events. [1000 ms; never more] */
  readonly statsIntervalMs?: number
  /** Aborting stops new actions, abandons in-flight writes atomically, saves state, ends with `done`. */
  readonly signal?: AbortSignal
  /** Scheduler for timers (tests pass a TestScheduler). [asyncScheduler] */
  readonly scheduler?: SchedulerLike
  /** Emit a `planned` event per action. [true] */
  readonly emitPlanned?: boolean
  /**
   * false (`--no-check-updated`): a source file that changes while it is copied is copied as it is,
   * up to the size it was listed with (rclone's `--local-no-check-updated`), instead of failing with
   * CONFLICT ("changed since it was listed", "changed while it was read"). [true]
   */
  readonly checkUpdated?: boolean
  /** Block size for delta transfers (0 = from the file length). [0] */
  readonly blockSize?: number
}
