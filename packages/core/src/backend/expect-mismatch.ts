import type { Entry } from '../model/entry.js'

/**
 * Why `current` does not satisfy `WriteOptions.expect`, or `undefined` when it does: `null` means
 * "must not exist"; an Entry must still be there with the same kind and version (or, without a
 * version, size and mtime). A directory matches by kind only: its version changes with its contents.
 * The one rule of `WriteOptions.expect`, for backends to share (local, memory) and for the engine.
 */
export function expectMismatch(current: Entry | undefined, expected: Entry | null | undefined): string | undefined {
  if (expected === undefined) return undefined
  if (expected === null) return current ? `appeared (a ${current.kind})` : undefined
  if (!current) return 'was removed'
  if (current.kind !== expected.kind) return `became a ${current.kind}`
  if (current.kind === 'dir') return undefined
  if (expected.version !== undefined && current.version !== undefined) {
    return current.version === expected.version ? undefined : 'changed'
  }
  return current.size === expected.size && current.mtimeMs === expected.mtimeMs ? undefined : 'changed'
}
