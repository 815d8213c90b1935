import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * `mkdir -p`, without Node's `recursive: true`, which retries for ever (at full CPU) where a
 * directory can never be made although its parent exists (`/proc/nope`): here that is an error.
 * Each directory made gets `mode` (filtered by the umask, as mkdir's is). A file where a directory
 * should be is left for the calls that follow to find (ENOTDIR, EEXIST): as `mkdir -p` says nothing
 * of a directory already there, this says nothing of what is there. Resolves with the directories
 * this call made, deepest first (not one another process made meanwhile: EEXIST).
 */
export async function makeDirectories(dir: string, mode?: number): Promise<string[]> {
  const make = (d: string) => mkdir(d, mode === undefined ? undefined : { mode })
  try {
    await make(dir)
    return [dir]
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return []
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err
  }
  const above = await makeDirectories(dirname(dir), mode)
  try {
    await make(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return above
  }
  return [dir, ...above]
}
