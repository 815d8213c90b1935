import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import { localPathOf } from './local-path-of.js'

/**
 * True when one of the local roots `locations` holds an `--exclude-if-present` marker: the run then
 * excludes everything (the engine says so), and the CLI leaves the target root's own mode and mtime
 * as they are too, so that such a run changes nothing at all, and its check says so.
 */
export function markedRoot(locations: readonly string[], names: readonly string[] | undefined): boolean {
  if (names === undefined || names.length === 0) return false
  return locations.some((location) => {
    let root: string | undefined
    try {
      root = localPathOf(location)
    } catch {
      return false // (a bad file:// URL: openJob says so)
    }
    if (root === undefined) return false
    const dir = root
    return names.some((name) => {
      try {
        return lstatSync(join(dir, name), { throwIfNoEntry: false }) !== undefined
      } catch {
        return false
      }
    })
  })
}
