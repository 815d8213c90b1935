import { type Backend, supports } from '../backend/backend.js'
import type { Action } from '../model/action.js'
import { parentRelPath, type RelPath } from '../model/rel-path.js'
import { mapConcurrent } from '../util/map-concurrent.js'

/**
 * Directory mtimes as `rsync -a` keeps them. A directory's mtime changes whenever a name in it is
 * added, removed or replaced, which every write (temp file, then rename), delete, move and mkdir of
 * a run does: so a mkdir's own mtime does not last past the first file written into it. Once the
 * run's last change is made, each directory the run made, or changed something in, gets its
 * source directory's mtime back. (Setting a directory's times changes nothing above it: any order.)
 *
 * Only where both sides have real directories (`emptyDirs`) and the target makes them. What it
 * keeps grows with the directories a run changes, not with the tree.
 *
 * Modes too, where the target keeps them: a directory whose mode denies its owner writing (0555) is
 * made owner-writable while the run writes into it (`ExecuteOptions.dirModesLater`) and gets its
 * mode with its mtime at the end, as rsync does; else no file could be written into it but as root.
 */
export class DirectoryTimes {
  /** Directories made by the run (`mkdir` actions): their source mtime, known from the listing. */
  readonly #made = new Map<RelPath, number>()
  /** Directories the run changed a name in: their source mtime is read at the end. */
  readonly #changed = new Set<RelPath>()
  /**
   * Directories made (or chmod'ed) owner-writable for the run (`dirModesLater`) whose own mode
   * lacks that: the mode they get back at the end.
   */
  readonly #modes = new Map<RelPath, number>()
  readonly #active: boolean

  constructor(
    readonly source: Backend,
    readonly target: Backend,
  ) {
    this.#active = supports.mkdir(target) && target.capabilities.emptyDirs && source.capabilities.emptyDirs
  }

  /** True when directory modes are set back at the end too (so a run may make them writable meanwhile). */
  get setsModes(): boolean {
    return this.#active && this.target.capabilities.permissions
  }

  /** Notes a completed action. */
  saw(action: Action): void {
    if (!this.#active || action.kind === 'touch' || action.kind === 'skip' || action.kind === 'conflict') return
    if (action.kind === 'mkdir' && action.source) {
      this.#made.set(action.path, action.source.mtimeMs)
      const mode = action.source.mode
      if (this.setsModes && mode !== undefined && (mode & 0o700) !== 0o700) this.#modes.set(action.path, mode)
    }
    this.#changedIn(action.path)
    if (action.kind === 'move' && action.from !== undefined) this.#changedIn(action.from)
  }

  /**
   * Sets the mtimes back, best effort (an mtime is not worth failing a run for), on directories the
   * target still has: never one the run deleted (mkdir would make it again), and not one whose
   * mtime is already right.
   */
  async restore(signal?: AbortSignal, concurrency = 8): Promise<void> {
    if (!this.#active || !supports.mkdir(this.target)) return
    const target = this.target
    const dirs = new Set<RelPath>([...this.#made.keys(), ...this.#changed])
    await mapConcurrent([...dirs], concurrency, async (dir) => {
      if (signal?.aborted) return
      const now = await target.stat(dir).catch(() => undefined)
      if (now?.kind !== 'dir') return
      let mtimeMs = this.#made.get(dir)
      let mode = this.#modes.get(dir)
      if (mtimeMs === undefined) {
        const st = await this.source.stat(dir).catch(() => undefined)
        if (st?.kind !== 'dir') return
        mtimeMs = st.mtimeMs
        // A read-only directory the target made writable to change something in it gets its mode back.
        if (
          this.setsModes &&
          st.mode !== undefined &&
          now.mode !== undefined &&
          (st.mode & 0o7777) !== (now.mode & 0o7777)
        ) {
          mode = st.mode & 0o7777
        }
      }
      if (mode === undefined && Math.abs(now.mtimeMs - mtimeMs) < 1) return
      await target.mkdir(dir, { mtimeMs, ...(mode !== undefined ? { mode } : {}) }).catch(() => {})
    })
  }

  #changedIn(path: RelPath): void {
    // The root's own mtime is left alone: it is no entry of the listing.
    const parent = parentRelPath(path)
    if (parent !== undefined) this.#changed.add(parent)
  }
}
