import { type Backend, supports } from '../backend/backend.js'
import { redactLocation } from '../util/redact-location.js'

/**
 * Why `-H` (`SyncOptions.hardLinks`) cannot run between `source` and `target`, or undefined: the
 * source must say which of its names are one file, and the target too (to see which names are one
 * file already), and link one name to another (two local directories).
 */
export function hardLinksProblem(source: Backend, target: Backend): string | undefined {
  if (source.capabilities.linkIds !== true) {
    return `--hard-links needs a source that lists which names are one file (a local directory), and ${redactLocation(source.uri)} does not`
  }
  if (target.capabilities.linkIds !== true || !supports.linkFrom(target)) {
    return `--hard-links needs a target that can hard-link one name to another (a local directory), and ${redactLocation(target.uri)} cannot`
  }
  return undefined
}
