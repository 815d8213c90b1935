import { bareMessage, SyncError } from '../errors/sync-error.js'
import type { Action, ActionKind } from '../model/action.js'
import type { FailedEvent, SyncEvent } from '../model/sync-event.js'

/** Transfers refused for credentials, with none done, after which the run stops. */
export const REFUSALS_BEFORE_STOP = 3

/**
 * The codes of a refusal that every other transfer would meet alike: credentials (AUTH), and the
 * run's own settings (USAGE: a storage class the service lacks, a server that is not a syncflow one).
 */
const REFUSALS: ReadonlySet<string> = new Set(['AUTH', 'USAGE'])

/** Actions a probe may be (see `RefusalStop.probe`): each writes or reads a file, as the refused ones did. */
const PROBE_KINDS: ReadonlySet<ActionKind> = new Set(['copy', 'update', 'touch', 'move'])

const stopped = new WeakSet<object>()

/** The deepest directory holding both `dir` and `path`'s parent ('' for the root). */
function commonDir(dir: string | undefined, path: string): string {
  const parent = path.lastIndexOf('/') < 0 ? '' : path.slice(0, path.lastIndexOf('/'))
  if (dir === undefined) return parent
  let common = dir
  while (common !== '' && parent !== common && !parent.startsWith(`${common}/`)) {
    common = common.lastIndexOf('/') < 0 ? '' : common.slice(0, common.lastIndexOf('/'))
  }
  return common
}

/** True when `err` is the error a `RefusalStop` ended a run with (a transfer-stage failure, not a listing one). */
export function isRefusalStop(err: unknown): boolean {
  return typeof err === 'object' && err !== null && stopped.has(err)
}

/**
 * True for the failed event a run stopped with after its transfers were refused (see sync.ts): a
 * transfer failure naming no action and no path. It is the run's fatal error, not one more failed item: counted
 * as one, 3 refusals read "4 items failed (AUTH 4)".
 */
export function isRunStop(e: FailedEvent): boolean {
  // (Every transfer failure of an item names its action and path; the root is never transferred.)
  return e.stage === 'transfer' && e.action === undefined && e.path === ''
}

/**
 * Decides when a run stops because its transfers are refused for credentials (AUTH: read-only
 * keys, a bucket policy without PutObject) or for its settings (USAGE: `--s3-storage-class` of a
 * class the service lacks): once the first `limit` failures are all refusals and
 * no action has been done, every other one would be refused too, one request and one printed
 * failure each (QA 15 #6: 2,800 uploads refused one by one, then exit 1, where a credentials
 * problem is exit 2). Then `transfer` starts nothing more (`held`) and lets what is in flight
 * settle: one of those done after all (a policy that allows one prefix, a slow upload that was
 * accepted: QA 16 F3) lifts the hold for good and the refusals stay the failures of their items.
 *
 * None done, and the refusals all below one directory (a policy that refuses one prefix, the one
 * that sorts first: QA 32b), they say nothing yet of the rest of the tree: `probe` asks for one
 * action from outside that directory. Done, and the hold is lifted (the refused items fail one by
 * one, exit 1, as rclone reports them); refused too, and the directory holding every refusal grows
 * (at least one level) and another is asked from outside it. Once the refusals span the root (two
 * of its entries, or a file at the top), `idle` gives the fatal error. No action left outside the
 * directory holding every refusal (the run's only work lies there: every later run of a tree whose
 * one prefix a policy refuses, `aaa-locked/` with its subdirectories, and a watch's cycle of
 * changes there), and nothing says the rest is refused: the hold is lifted for good and the
 * refusals are their items' failures (exit 1; a watch goes on). So read-only keys on a run whose
 * whole work is below one directory fail item by item too, in bounded lines (the CLI's
 * RefusedLines). USAGE refusals (a storage class) are the run's settings, never one prefix's: no
 * probe. Nothing is deleted after a refusal either way.
 */
export class RefusalStop {
  #done = 0
  #refused = 0
  #first: FailedEvent | undefined
  #holding = false
  /** The deepest directory holding every refusal ('' for the root; undefined before the first). */
  #refusedIn: string | undefined
  /** Where the first `limit` refusals were ('' for the root), and the last refusal: a probe's when it was refused too. */
  #heldIn: string | undefined
  #last: FailedEvent | undefined
  /** The hold was lifted with none done (nothing left to probe): refusals are per item from then on. */
  #lifted = false

  constructor(readonly limit = REFUSALS_BEFORE_STOP) {}

  /** Notes an event of the transfers. */
  saw(e: SyncEvent): void {
    // (A directory made says nothing about the other side: an S3 source refusing every read.)
    if (e.type === 'completed' && !e.dryRun && e.action.kind !== 'mkdir') this.#done++
    if (e.type !== 'failed' || !REFUSALS.has(e.error.code) || this.#done > 0 || this.#lifted) return
    this.#first ??= e
    this.#refused++
    this.#refusedIn = commonDir(this.#refusedIn, e.path)
    this.#last = e
    if (this.#refused >= this.limit) {
      this.#holding = true
      this.#heldIn ??= this.#refusedIn
    }
  }

  /**
   * Nothing is in flight any more while held: which action to try next, from outside the directory
   * every refusal so far is below, or undefined when the refusals span the tree (or went through:
   * then `idle` lifts the hold). The caller runs the first action it takes, still held; once it is
   * over, asks again. No action left that it takes: `idle` stops the run.
   */
  probe(): ((a: Action) => boolean) | undefined {
    const dir = this.#refusedIn
    if (!this.#holding || this.#done > 0 || this.#first?.error.code !== 'AUTH' || dir === undefined || dir === '')
      return undefined
    // (Not a directory's touch: its mtime set says nothing of the files' writes.)
    return (a) => PROBE_KINDS.has(a.kind) && a.source?.kind !== 'dir' && a.path !== dir && !a.path.startsWith(`${dir}/`)
  }

  /** True while no new action may start: the run may be about to stop. */
  held(): boolean {
    return this.#holding
  }

  /**
   * Nothing is in flight any more while held: the error to stop with, or undefined to go on.
   * `crowded`: no probe was found before PROBE_WAIT_LIMIT actions queued up (transfer.ts), and they
   * could not be set aside (no room for the temporary file, or more than it may hold): the run stops as it did before probes,
   * since the refusals may well cover what the listing has yet to give.
   */
  idle(crowded = false): SyncError | undefined {
    this.#holding = false
    const first = this.#first
    // Something went through: refusals are per item for the rest of the run (`saw` counts no more).
    if (this.#done > 0 || first === undefined) return undefined
    const auth = first.error.code === 'AUTH'
    // Refused below one directory only, and nothing outside it was left to try (see the class doc).
    if (auth && this.#refusedIn !== '' && !crowded) {
      this.#lifted = true
      return undefined
    }
    const error = new SyncError(
      auth ? 'AUTH' : 'USAGE',
      `stopped: ${this.#refused} transfers in a row were refused${auth ? ' for credentials' : ''}, none accepted${crowded ? this.#crowdedIn() : this.#elsewhere()} (the first: ${first.error.message})`,
      {
        hint:
          first.error.hint ??
          (auth
            ? 'Check that the credentials in use may write there (a read-only key or a bucket policy refuses it).'
            : 'Check the flags and settings that the first refusal names.'),
      },
    )
    stopped.add(error)
    return error
  }

  /** Where the refusals were, when the run stopped without a probe, many more waiting there. */
  #crowdedIn(): string {
    const dir = this.#refusedIn
    return dir === undefined || dir === ''
      ? ''
      : `, all below ${dir}/, where many more wait (if only ${dir}/ is refused to you, --exclude it)`
  }

  /** Where the refusals were, when a probe outside the first ones' directory was refused too (a policy of more than one prefix says so). */
  #elsewhere(): string {
    const dir = this.#heldIn
    const last = this.#last?.path
    if (dir === undefined || dir === '' || last === undefined || last.startsWith(`${dir}/`)) return ''
    return `, below ${dir}/ and outside it too, at ${last}`
  }
}

/** Transfers in a row that failed for a location that cannot be reached, after which the run stops. */
export const UNREACHABLE_BEFORE_STOP = 3

/**
 * Decides when a run stops because a location cannot be reached at all (`SyncError.unreachable`: a
 * `syncflow serve` killed mid-run, its connections refused). Each transfer fails only after its own
 * retries (4 attempts, a second or two), so `limit` of them in a row, none done since, are a server
 * down for longer than a retry's window, not a blip: every other transfer would fail alike, and
 * trying them one by one took 45 s for 380 files (rclone and rsync stop at once). Then `transfer`
 * starts nothing more (`held`) and lets what is in flight settle, as `RefusalStop` does: one of them
 * done after all (the server was restarted) lifts the hold and the run goes on; none, and `idle`
 * gives the run's fatal error (TRANSIENT, naming the address). Nothing is deleted after it, and what
 * was done is recorded, so the next run resumes.
 */
export class UnreachableStop {
  /** Failures of an unreachable location since the last transfer done. */
  #inARow = 0
  #last: { readonly address: string; readonly error: SyncError } | undefined
  #holding = false
  /**
   * The first failure of a location that answers but is not the one the run started with (an
   * `unreachable` error that is not TRANSIENT: a grpc:// server restarted with another --root).
   * No later transfer can succeed, and one that did (a balancer in front of both) would write where
   * the run did not start: the run stops at once, whatever is done after it.
   */
  #replaced: SyncError | undefined

  constructor(
    readonly limit = UNREACHABLE_BEFORE_STOP,
    /** The error an action's failed event was made from (see `errorOfFailure`). */
    readonly errorOf: (e: FailedEvent) => SyncError | undefined = () => undefined,
  ) {}

  /** Notes an event of the transfers. */
  saw(e: SyncEvent): void {
    // (A directory made says nothing about a source that is down.)
    if (e.type === 'completed' && !e.dryRun && e.action.kind !== 'mkdir') {
      this.#inARow = 0
      this.#last = undefined
      return
    }
    if (e.type !== 'failed') return
    const error = this.errorOf(e)
    if (error?.unreachable === undefined) return
    if (isReplacedLocation(error)) {
      this.#replaced ??= error
      this.#holding = true
      return
    }
    this.#last = { address: error.unreachable, error }
    this.#inARow++
    if (this.#inARow >= this.limit) this.#holding = true
  }

  /** True while no new action may start: the run may be about to stop. */
  held(): boolean {
    return this.#holding
  }

  /** Nothing is in flight any more while held: the error to stop with, or undefined to go on. */
  idle(): SyncError | undefined {
    this.#holding = false
    if (this.#replaced !== undefined) return replacedStop(this.#replaced)
    const last = this.#last
    // Something was done since (the server is back): the failures stay those of their items.
    if (last === undefined || this.#inARow < this.limit) return undefined
    const error = new SyncError(
      'TRANSIENT',
      `stopped: ${last.address} cannot be reached: ${this.#inARow} transfers in a row failed so, none done since (the last: ${bareMessage(last.error)}); the rest were not tried`,
      {
        hint:
          last.error.hint ??
          `Check that ${last.address} is up and reachable from here; what was done is saved, and the next run goes on from there.`,
        unreachable: last.address,
      },
    )
    stopped.add(error)
    return error
  }
}

/**
 * True for the error of a location that answers, but as another one than the run started with (a
 * grpc:// server restarted with another --root): `unreachable` set on an error that is not
 * TRANSIENT. No later call can succeed, and one that did would act where the run did not start.
 */
export function isReplacedLocation(error: SyncError): boolean {
  return error.unreachable !== undefined && !error.retryable
}

/** The error a run stops with at the first failure `isReplacedLocation` says of (its transfers or its deletes). */
export function replacedStop(replaced: SyncError): SyncError {
  // TRANSIENT, as for a location down: the one the run started with may come back (a watch tries
  // again later), and the next run goes on from what was done.
  const error = new SyncError('TRANSIENT', `stopped: ${bareMessage(replaced)}; the rest were not tried`, {
    ...(replaced.hint !== undefined ? { hint: replaced.hint } : {}),
    ...(replaced.unreachable !== undefined ? { unreachable: replaced.unreachable } : {}),
  })
  stopped.add(error)
  return error
}
