import type { Backend } from '../backend/backend.js'
import type { Entry, HashAlgo } from '../model/entry.js'
import { deltaDirection, MIN_DELTA_SIZE } from './delta-transfer.js'

/**
 * True when the content of a same-size pair with different mtimes is better left to the delta
 * transfer than hashed on both sides first: the hashes are not known yet (hashing = a whole read
 * and digest of each file before any byte moves), the file is big enough for a delta, and one side
 * offers it. The delta reads both files once anyway (the target's signature, the source's
 * matching), and a delta that copies the whole base unchanged (`isWholeBaseCopy`) only sets the
 * mtime: the same outcome as a touch, for one pass over each file instead of two.
 */
export function deltaComparesContent(source: Backend, target: Backend, s: Entry, t: Entry, algo: HashAlgo): boolean {
  if (s.size < MIN_DELTA_SIZE) return false
  if (s.hashes?.[algo] !== undefined && t.hashes?.[algo] !== undefined) return false
  return deltaDirection(source, target) !== undefined
}
