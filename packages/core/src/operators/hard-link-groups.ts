import { type Backend, supports } from '../backend/backend.js'
import { isSyncError } from '../errors/sync-error.js'
import type { Action } from '../model/action.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { PlanOutcome } from './plan.js'

/** The reason of a later name's link action (`Action.linkTo`). */
const HARD_LINK_REASON = 'hard link'

/** The reason of a rewrite that takes a target name out of a link group the source no longer has. */
const HARD_LINK_SPLIT = 'hard-linked on the target, not in the source'

/** A source file of several names, met in listing order. */
interface Group {
  /** The first name synced: the one transferred; the later ones are linked to its target file. */
  readonly first: RelPath
  /** The target's file of `first` when it was unchanged (its `linkId`, undefined: a file of one name). */
  readonly firstTarget: string | undefined
  /** The first name has an action: its target file is made anew, so every later name is linked again. */
  readonly firstActs: boolean
  /** Names of it not yet met: the group is forgotten at 0. */
  left: number
}

/**
 * A first name's target file, as its later names wait on it (see `firstDone`). Kept while something
 * still needs it (`refs`: its group open, with names yet to be met; each later name's link yet to
 * ask for it), and always until its action has settled: a link may be waiting on `done`.
 */
interface Pending {
  started: boolean
  settledYet: boolean
  refs: number
  readonly done: Promise<Entry | undefined>
  readonly settle: (entry: Entry | undefined) => void
}

/**
 * rsync's `-H` (`SyncOptions.hardLinks`) for one run: the names of one source file (the same
 * `Entry.linkId`) that the run syncs become names of one target file. Planning (`plan`, in listing
 * order) leaves the first name's decision as it is and turns each later one into a link to it
 * (`Action.linkTo`), unless the target's names are that one file already; a target name linked to
 * another group's file is taken out of it (a rewrite: the other names keep the file). Executing
 * (`started`, `settled`, `firstDone`) lets a link wait for the first name's action to complete, so
 * nothing is ever linked to a half-written file.
 *
 * Memory: as rsync, only files of more than one name are remembered (`Entry.linkId` is set on those
 * alone), each until all its names were met, and only the target files of several names that the
 * run keeps.
 *
 * State: decided from the two listings alone (`-H` runs between local directories, whose listings
 * carry mtimes: the store is never asked, see `wantsState`). A link changes the ctime, and so the
 * `version`, of every name of the file, so the record of a first name is stale once its later
 * names are linked; that costs nothing here (size and mtime decide), and a record is never trusted
 * against a listing that differs from it.
 */
export class HardLinkGroups {
  readonly #groups = new Map<string, Group>()
  /** The target's files of several names a synced path keeps, by `linkId`: whose group has them, and how many names are yet to come. */
  readonly #claimed = new Map<string, { readonly by: RelPath; left: number }>()
  /** The first names' target files, by path, while a later name may still need one (see `Pending`). */
  readonly #pending = new Map<RelPath, Pending>()
  /** The links that asked `firstDone` already. */
  readonly #asked = new WeakSet<Action>()

  /** A pair's outcome under `-H` (pairs in listing order, each once). */
  plan(outcome: PlanOutcome): PlanOutcome {
    const { pair, decision: d } = outcome
    const s = pair.source
    const t = pair.target
    if (s?.kind !== 'file' || (t !== undefined && t.kind !== 'file')) return outcome
    // Left as it is on purpose (--ignore-existing, --update, a filter's size or age), or not decided:
    // not a name this run syncs.
    if (d.kind === 'none' || d.kind === 'error') return outcome
    if (d.kind === 'unchanged' && (d.leftExisting || d.leftNewer)) return outcome
    if (d.kind === 'action' && d.action.kind !== 'copy' && d.action.kind !== 'update' && d.action.kind !== 'touch') {
      return outcome
    }
    const unchanged = d.kind === 'unchanged'
    const group = s.linkId !== undefined ? this.#groups.get(s.linkId) : undefined
    if (group === undefined) {
      // The first name of its source file (or a file of one name): its target file must not be
      // another group's. Kept where it is that group's first: a later name of it is linked anew.
      const clash = t?.linkId !== undefined && unchanged ? this.#claimedBy(t.linkId) : undefined
      const split = clash !== undefined && clash !== pair.path
      const acts = !unchanged || split
      if (unchanged && !split && t?.linkId !== undefined) this.#claim(t.linkId, pair.path, t.nlink ?? 2)
      if (s.linkId !== undefined && s.nlink !== undefined) {
        this.#groups.set(s.linkId, {
          first: pair.path,
          firstTarget: acts ? undefined : t?.linkId,
          firstActs: acts,
          left: s.nlink - 1,
        })
        this.#pendingOf(pair.path, acts ? undefined : t)
      }
      if (!split) return outcome
      const action: Action = {
        kind: 'update',
        path: pair.path,
        source: s,
        ...(t ? { target: t } : {}),
        reason: `${HARD_LINK_SPLIT} (with ${clash})`,
      }
      return { pair, decision: { kind: 'action', action } }
    }
    // A later name: the first name's file already, or linked to it.
    const same = unchanged && !group.firstActs && t?.linkId !== undefined && t.linkId === group.firstTarget
    const pending = this.#pending.get(group.first)
    // (This name's link will ask for it, taken before the group lets go of it.)
    if (!same && pending !== undefined) pending.refs++
    if (--group.left <= 0 && s.linkId !== undefined) {
      this.#groups.delete(s.linkId)
      this.#release(group.first)
    }
    if (same) {
      this.#claim(t.linkId, group.first, t.nlink ?? 2)
      return outcome
    }
    const action: Action = {
      kind: t === undefined ? 'copy' : 'update',
      path: pair.path,
      source: s,
      ...(t ? { target: t } : {}),
      reason: `${HARD_LINK_REASON} to ${group.first}`,
      linkTo: group.first,
    }
    return { pair, decision: { kind: 'action', action } }
  }

  /** The first name's action has started (before any of its later names' links may wait on it). */
  started(action: Action): void {
    const pending = this.#pending.get(action.path)
    if (pending !== undefined) pending.started = true
  }

  /** A first name's action is over: its target file (undefined: it failed, or made no file). */
  settled(action: Action, entry: Entry | undefined): void {
    const pending = this.#pending.get(action.path)
    if (pending === undefined || pending.settledYet) return
    pending.settledYet = true
    pending.settle(entry?.kind === 'file' ? entry : undefined)
    if (pending.refs <= 0) this.#pending.delete(action.path)
  }

  /**
   * The target file of `first` once its action completed (at once where it was unchanged), for a
   * later name to be linked to; undefined where it failed, or has not started yet (the later name
   * then makes its own copy: waiting for an action queued behind it could wait for ever).
   */
  async firstDone(link: Action): Promise<Entry | undefined> {
    const first = link.linkTo
    if (first === undefined) return undefined
    const pending = this.#pending.get(first)
    if (pending === undefined) return undefined
    // (Once per link: its retry, or its run again once a delete cleared its way, asks again.)
    if (!this.#asked.has(link)) {
      this.#asked.add(link)
      this.#release(first)
    }
    return pending.started ? pending.done : undefined
  }

  /** A group's first name: its group holds it (and its action, until it settles: see `#release`). */
  #pendingOf(first: RelPath, unchanged: Entry | undefined): void {
    let settle: (entry: Entry | undefined) => void = () => {}
    const done = new Promise<Entry | undefined>((resolve) => {
      settle = resolve
    })
    const now = unchanged !== undefined
    this.#pending.set(first, { started: now, settledYet: now, refs: 1, done, settle })
    if (now) settle(unchanged)
  }

  #release(first: RelPath): void {
    const pending = this.#pending.get(first)
    if (pending !== undefined && --pending.refs <= 0 && pending.settledYet) this.#pending.delete(first)
  }

  #claimedBy(linkId: string): RelPath | undefined {
    return this.#claimed.get(linkId)?.by
  }

  #claim(linkId: string, by: RelPath, nlink: number): void {
    const had = this.#claimed.get(linkId)
    const left = (had?.left ?? nlink) - 1
    if (left <= 0) this.#claimed.delete(linkId)
    else this.#claimed.set(linkId, { by: had?.by ?? by, left })
  }
}

/**
 * `-H`: makes `action.path` a hard link to the target's file of `action.linkTo` (its first name),
 * once that one's action completed. Returns the target's entry, or `undefined` when the first
 * name's action failed or has not started, its file changed since it completed (never linked to
 * another file than the one written), or no link can be made (`linkFrom` says so: `onRefused` is
 * told): the caller then transfers the file as any other. `targetExpect` is what the write would
 * expect at `action.path`.
 */
export async function linkToFirst(
  target: Backend,
  action: Action,
  groups: HardLinkGroups,
  targetExpect: Entry | null | undefined,
  onRefused: (message: string) => void,
): Promise<Entry | undefined> {
  if (action.linkTo === undefined || !supports.linkFrom(target)) return undefined
  const first = await groups.firstDone(action)
  if (first === undefined) return undefined
  try {
    const linked = await target.linkFrom(target, action.linkTo, action.path, {
      expect: first,
      ...(targetExpect !== undefined ? { targetExpect } : {}),
    })
    if (linked === undefined) {
      onRefused(
        `${action.path} copied, not hard-linked to ${action.linkTo}: the target cannot link them (another file system inside it, or too many links)`,
      )
    }
    return linked
  } catch (err) {
    // The first name's file changed since (CONFLICT), or cannot be linked for a reason of its own:
    // the copy that follows makes this name, and says as its own what is wrong with the target.
    if (!isSyncError(err) || err.code === 'ABORTED') throw err
    return undefined
  }
}
