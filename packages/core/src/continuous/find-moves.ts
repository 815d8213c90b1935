import { type Backend, supports } from '../backend/backend.js'
import type { Entry, HashAlgo } from '../model/entry.js'

/** A rename seen as a pair: the target file whose source vanished, and the new source file with its content. */
export interface MovePair {
  /** The target entry at the old path. */
  readonly from: Entry
  /** The source entry at the new path. */
  readonly to: Entry
}

/** What `findMoves` compares with. */
export interface FindMovesContext {
  readonly source: Backend
  readonly target: Backend
  /** A hash both sides offer (content is then compared by it); else size and mtime must match. */
  readonly hashAlgo: HashAlgo | undefined
  readonly modifyWindowMs: number
  readonly signal?: AbortSignal
}

/** An entry's hash: the listed one, else the backend's `hash()` (`stored`: see HashOptions); undefined when it cannot be had. */
export async function digestOf(
  backend: Backend,
  entry: Entry,
  algo: HashAlgo,
  signal?: AbortSignal,
  stored?: boolean,
): Promise<string | undefined> {
  const known = entry.hashes?.[algo]
  if (known !== undefined) return known
  if (!supports.hash(backend)) return undefined
  try {
    return await backend.hash(entry.path, algo, { ...(signal ? { signal } : {}), ...(stored ? { stored } : {}) })
  } catch {
    // A file that vanished or cannot be read is simply not a rename candidate.
    return undefined
  }
}

/**
 * Pairs target files whose source vanished (`gone`) with new source files (`added`) of the same
 * content, so a rename costs a `move` on the target instead of a delete plus a full copy. Content
 * is the same when the sizes match and the common hash matches (or, without one, the mtimes agree
 * within the modify window, which a rename keeps). Empty files are never paired (nothing to save).
 * Each file is paired at most once; candidates are tried in order.
 */
export async function findMoves(
  gone: readonly Entry[],
  added: readonly Entry[],
  ctx: FindMovesContext,
): Promise<MovePair[]> {
  const bySize = new Map<number, Entry[]>()
  for (const a of added) {
    if (a.kind !== 'file' || a.size === 0) continue
    const list = bySize.get(a.size)
    if (list) list.push(a)
    else bySize.set(a.size, [a])
  }
  const pairs: MovePair[] = []
  // Each new file's hash is asked once, however many vanished files of its size it is compared
  // with (QA 26: a cycle of 765 vanished and 1,057 new files of a few sizes hashed each new file
  // again for every vanished one, ~400,000 hashes one after another, and the watch fell minutes behind).
  const sourceDigests = new Map<string, Promise<string | undefined>>()
  const sourceDigest = (a: Entry, algo: HashAlgo): Promise<string | undefined> => {
    let d = sourceDigests.get(a.path)
    if (d === undefined) {
      d = digestOf(ctx.source, a, algo, ctx.signal)
      sourceDigests.set(a.path, d)
    }
    return d
  }
  for (const g of gone) {
    // Stopping (Ctrl-C): the cycle is not going to move anything. The hashes below swallow their
    // errors (a file that vanished is no candidate), an abort's too, so the pairing went on, hashing,
    // and the watch took minutes to stop after a large batch of renames (QA 26).
    if (ctx.signal?.aborted) break
    if (g.kind !== 'file' || g.size === 0) continue
    const candidates = bySize.get(g.size)
    if (!candidates || candidates.length === 0) continue
    const algo = ctx.hashAlgo
    const goneHash = algo === undefined ? undefined : await digestOf(ctx.target, g, algo, ctx.signal)
    const i = await indexOfMatch(
      candidates,
      async (a) => {
        if (algo === undefined || goneHash === undefined) return Math.abs(a.mtimeMs - g.mtimeMs) <= ctx.modifyWindowMs
        return (await sourceDigest(a, algo)) === goneHash
      },
      ctx.signal,
    )
    if (i < 0) continue
    const [to] = candidates.splice(i, 1)
    if (to) pairs.push({ from: g, to })
  }
  return pairs
}

async function indexOfMatch<T>(
  items: readonly T[],
  test: (item: T) => Promise<boolean>,
  signal?: AbortSignal,
): Promise<number> {
  for (const [i, item] of items.entries()) {
    if (signal?.aborted) return -1
    if (await test(item)) return i
  }
  return -1
}
