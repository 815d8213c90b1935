import { realpathSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { SyncError } from '@syncflow/core'
import { machineId } from './directory-chain.js'

/**
 * A directory a `follow` listing must never enter (the run's target): a local path, whose identity
 * is taken each time it is asked for (a target made or made again during the run is fenced from
 * then on), or an identity as a `DirectoryChain` gives it (`machine:device:inode`: a `syncflow
 * serve` root on this host), ignored when it is another machine's.
 */
export type FencedDirectory = { readonly path: string } | { readonly id: string }

/**
 * The directories of `FencedDirectory`s, by `dev:ino`. Under `--symlinks follow` a symlink in the
 * source leading to the target, into it or to a directory holding it made the target part of the
 * source: each `sync` nested one more copy of the target in itself, and `watch` heard its own writes
 * through the link and copied them one level deeper, as fast as the disk allowed (QA 12 #2).
 */
export class Fence {
  readonly #paths: readonly string[]
  readonly #ids: ReadonlySet<string>

  constructor(dirs: readonly FencedDirectory[]) {
    const paths: string[] = []
    const ids = new Set<string>()
    for (const d of dirs) {
      if ('path' in d) paths.push(d.path)
      else {
        const at = d.id.lastIndexOf(':', d.id.lastIndexOf(':') - 1)
        if (at > 0 && d.id.slice(0, at) === machineId()) ids.add(d.id.slice(at + 1))
      }
    }
    this.#paths = paths
    this.#ids = ids
  }

  /** True when nothing is fenced off (on this machine). */
  get empty(): boolean {
    return this.#paths.length === 0 && this.#ids.size === 0
  }

  /** `dev:ino` of each fenced directory that exists now. */
  #current(): string[] {
    const ids = [...this.#ids]
    for (const p of this.#paths) {
      try {
        const st = statSync(p, { throwIfNoEntry: false })
        if (st?.isDirectory()) ids.push(`${st.dev}:${st.ino}`)
      } catch {}
    }
    return ids
  }

  /** True when the directory of identity `id` (`dev:ino`) is a fenced one. */
  isFenced(id: string): boolean {
    return this.#current().includes(id)
  }

  /**
   * True when `abs` resolves (through whatever symlinks) to a fenced directory or to something
   * inside one: each directory from its real path up to `/` is compared by identity, so a bind
   * mount or a differently spelled path cannot hide it. False when it cannot be resolved (gone,
   * dangling: said elsewhere).
   */
  resolvesInto(abs: string): boolean {
    const ids = this.#current()
    if (ids.length === 0) return false
    let dir: string
    try {
      dir = realpathSync.native(abs)
    } catch {
      return false
    }
    for (;;) {
      try {
        const st = statSync(dir, { throwIfNoEntry: false })
        if (st !== undefined && ids.includes(`${st.dev}:${st.ino}`)) return true
      } catch {}
      const up = dirname(dir)
      if (up === dir) return false
      dir = up
    }
  }
}

/**
 * A source path that leads into the run's target under `--symlinks follow`: an error of the listing
 * (or of a watch cycle's stat), like a symlink loop, so the run deletes nothing, and not followed.
 */
export function leadsIntoTarget(op: string, path: string): SyncError {
  return new SyncError('INVALID_PATH', 'leads into the target: not followed', {
    op,
    path,
    hint: 'Followed, it would copy the target into itself on every run. Remove the symlink, exclude it (--exclude), or use --symlinks preserve.',
  })
}
