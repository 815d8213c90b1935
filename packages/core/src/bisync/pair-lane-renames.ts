import type { Backend } from '../backend/backend.js'
import type { Action } from '../model/action.js'
import type { HashAlgo } from '../model/entry.js'
import { moveOf, pairByContent, RENAME_MIN_BYTES } from '../operators/track-renames.js'

/** One direction of a two-way run: the copies and deletes it makes on one side. */
export interface RenameLane {
  readonly copies: Action[]
  readonly deletes: Action[]
}

/** Options of `pairLaneRenames`. */
export interface PairLaneRenamesOptions {
  /** The side the new files are on. */
  readonly source: Backend
  /** The side the lane writes: where the deleted files are, and the moves are made. */
  readonly target: Backend
  /** A hash both sides offer (`renameHash`). */
  readonly hashAlgo: HashAlgo
  /** Smallest file paired. [RENAME_MIN_BYTES] */
  readonly minBytes?: number
  /** Hashes at once. [8] */
  readonly concurrency?: number
  readonly signal?: AbortSignal
}

/**
 * Two-way sync's renames (`BisyncOptions.trackRenames`): in one direction, a file new on the other
 * side and a file this side is to delete (gone from the other side, unchanged here since the last
 * run) that hold the same bytes become one move on this side, as one-way sync's `trackRenames`
 * pairs them (same size and hash, never size and mtime alone). A file renamed on A is then renamed
 * on B, instead of being sent again and its old name deleted.
 *
 * Replaces each paired copy in `lane.copies` by its move, and drops its delete from `lane.deletes`;
 * returns each paired copy's move. Left as they are: a copy at or below a path the lane deletes (it
 * waits for that delete, as a move would have to), and a delete of a path the lane also writes (a
 * directory where the file was: the file must be gone first, as its delete has it).
 */
export async function pairLaneRenames(lane: RenameLane, opts: PairLaneRenamesOptions): Promise<Map<Action, Action>> {
  const moves = new Map<Action, Action>()
  const minBytes = opts.minBytes ?? RENAME_MIN_BYTES
  const deleted = new Set<string>(lane.deletes.map((d) => d.path))
  const written = new Set<string>(lane.copies.map((c) => c.path))
  const atOrBelowDeleted = (path: string): boolean => {
    if (deleted.has(path)) return true
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      if (deleted.has(path.slice(0, slash))) return true
    }
    return false
  }
  const news = lane.copies.flatMap((action) =>
    action.kind === 'copy' &&
    action.target === undefined &&
    action.source?.kind === 'file' &&
    action.source.size >= minBytes &&
    !atOrBelowDeleted(action.path)
      ? [{ action, entry: action.source }]
      : [],
  )
  const gone = lane.deletes.flatMap((action) =>
    action.target?.kind === 'file' && action.target.size >= minBytes
      ? [{ action, entry: action.target, ...(written.has(action.path) ? { unpairable: true } : {}) }]
      : [],
  )
  if (news.length === 0 || gone.length === 0) return moves
  const pairs = await pairByContent(news, gone, opts)
  if (pairs.size === 0) return moves
  const paired = new Set<Action>()
  for (const [n, g] of pairs) {
    moves.set(n.action, moveOf(g.entry, n.action))
    paired.add(g.action)
  }
  lane.copies.splice(0, lane.copies.length, ...lane.copies.map((c) => moves.get(c) ?? c))
  lane.deletes.splice(0, lane.deletes.length, ...lane.deletes.filter((d) => !paired.has(d)))
  return moves
}
