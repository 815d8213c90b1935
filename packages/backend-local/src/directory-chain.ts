import { readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { existingRealPath } from './existing-real-path.js'

/**
 * Where a directory lies, by identity rather than by name: `ids[0]` is the directory itself
 * (`exists`) or, while it does not exist yet, its nearest existing ancestor; then every directory
 * above it up to `/`. Each id is `machine:device:inode`.
 */
export interface DirectoryChain {
  readonly exists: boolean
  readonly ids: readonly string[]
}

let machine: string | undefined

/**
 * The kernel that device and inode numbers belong to: Linux's boot id (shared by containers on one
 * kernel, where they do name the same files), else the host name.
 */
export function machineId(): string {
  if (machine === undefined) {
    try {
      machine = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    } catch {
      machine = `host:${hostname()}`
    }
  }
  return machine
}

/**
 * The chain of `abs` (see DirectoryChain). Two locations overlap when the first id of one that
 * exists is in the other's chain, whatever names lead to them: a symlink, a bind mount, or a
 * `syncflow serve` on this host whose served directory lies inside a local one (QA 10 #12), which
 * no comparison of paths or URIs can see.
 */
export async function directoryChain(abs: string): Promise<DirectoryChain> {
  const found = await existingRealPath(abs)
  // The nearest existing directory: the path less the names that do not exist yet.
  let real = found.path
  for (let i = 0; i < found.missing; i++) real = dirname(real)
  const ids: string[] = []
  for (let dir = real; ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => undefined)
    if (st !== undefined) ids.push(`${machineId()}:${st.dev}:${st.ino}`)
    if (dirname(dir) === dir) break
  }
  // A file at the path is not a directory that could contain the other side.
  const exists = found.missing === 0 && ((await stat(real).catch(() => undefined))?.isDirectory() ?? false)
  return { exists, ids }
}
