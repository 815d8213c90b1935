import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errnoOf } from './to-sync-error.js'

/**
 * `mkdir -p`, without Node's `recursive: true`, which retries for ever (at full CPU) where a
 * directory can never be made although its parent exists (`/proc/nope`): here that is an error.
 */
export async function makeDirectories(dir: string): Promise<void> {
  try {
    await mkdir(dir)
    return
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return // a file there: the checks that follow say so
    if (errnoOf(err) !== 'ENOENT' || dirname(dir) === dir) throw err
  }
  await makeDirectories(dirname(dir))
  try {
    await mkdir(dir)
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err
  }
}
