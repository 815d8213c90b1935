import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'

/**
 * A changed path after it was re-stated on the source: `entry` is what the source holds now
 * (`undefined`: the path is gone). The watcher's own verdict is a hint and is not kept.
 */
export interface ObservedChange {
  readonly path: RelPath
  readonly entry: Entry | undefined
  /**
   * A change reported the path removed or renamed away (`remove`, or one marked `removed` by
   * `coalesceChanges`): an entry there now was made again, and a directory is another one than the
   * target mirrors (see `SyncPathsOptions.replaced`).
   */
  readonly removed?: true
  /**
   * A file that never settled (written without pause: a busy log), let through `maxWaitMs` after
   * its first look (`awaitStable`): its cycle takes it as it is then, instead of leaving it out as
   * changed since `entry` was seen (which it always is).
   */
  readonly busy?: true
  /**
   * A removal held until `heldFor`, a file that appeared as it went and was still being written
   * (its new name, maybe: `holdForNewNames`), came: its delete runs in that file's cycle, after its
   * copy, and is held back while that copy fails, so the target never holds neither name.
   */
  readonly heldFor?: RelPath
}
